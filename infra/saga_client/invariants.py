"""The invariants of all-or-nothing (docs/chaos.md), checked over a snapshot of the stored data.

Pure functions over plain data, so each kind of violation is unit-tested on crafted snapshots. A violation
is a sentence starting with the number of the invariant it breaks:
  1. every order ends CONFIRMED, CANCELLED or COMPENSATION_FAILED, and a status reported final stays so;
  2. stock is conserved: available = initial + restocks - units of CONFIRMED orders - units still held by
     COMPENSATION_FAILED orders (listed by `holdings`);
  3. money is conserved: captured - refunded = totals of CONFIRMED orders + captures still held by
     COMPENSATION_FAILED orders; no CANCELLED order keeps a capture;
  4. available never goes below 0; with N buyers for K < N units, exactly K are sold;
  5. each saga's recorded history agrees with its order's status;
  6. returns: each ends COMPLETED, REJECTED, CANCELLED or COMPENSATION_FAILED; a COMPLETED return is refunded
     and back in stock, a REJECTED or CANCELLED one is neither; an order's returns never claim more units
     than it bought. Invariants 2 and 3 count them: COMPLETED returns (and what stuck ones still hold) are back
     in stock, and captured - refunded = totals of CONFIRMED orders - refunds of COMPLETED returns + what
     stuck sagas hold."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

CONFIRMED, CANCELLED, COMPENSATION_FAILED = "CONFIRMED", "CANCELLED", "COMPENSATION_FAILED"
TERMINAL = frozenset({CONFIRMED, CANCELLED, COMPENSATION_FAILED})
FORWARD_TRAIL = ("ORDER_CREATED", "STOCK_RESERVED", "PAYMENT_CHARGED", "CONFIRMED")
UNDO_ORDER = ("PAYMENT_REFUNDED", "STOCK_RELEASED", "CANCELLED")  # the reverse of the forward effects
UNDO_OF = {"STOCK_RESERVED": "STOCK_RELEASED", "PAYMENT_CHARGED": "PAYMENT_REFUNDED"}


@dataclass(frozen=True)
class OrderFacts:
    """One saga as stored: its order, reservation, payment and saga log, and what the client was told."""

    order_id: str
    status: str  # the order's status (the saga log's when no order was stored)
    saga_status: str | None = None
    total_cents: int = 0
    items: dict[str, int] = field(default_factory=dict)  # sku -> quantity ordered
    reservation_status: str | None = None  # RESERVED | RELEASED | None
    reserved: dict[str, int] = field(default_factory=dict)  # sku -> quantity the reservation took
    payment_status: str | None = None  # CAPTURED | REFUNDED | DECLINED | VOIDED | None
    payment_cents: int = 0
    history: tuple[str, ...] = ()
    reported: tuple[str, ...] = ()  # terminal statuses the API reported, first seen and once the execution ended
    resumed: bool = False  # its compensation was resumed after the run (COMPENSATION_FAILED -> CANCELLED)
    returns_refunded_cents: int = 0  # the payment's refundedCents: what returns gave back

    @property
    def holds_stock(self) -> bool:
        return self.reservation_status == "RESERVED"

    @property
    def holds_capture(self) -> bool:
        return self.payment_status == "CAPTURED"


@dataclass(frozen=True)
class ReturnFacts:
    """One return as stored: its status, refund, the units it claimed, and whether its effects are in place."""

    return_id: str
    order_id: str
    status: str
    refund_cents: int = 0
    units: dict[str, int] = field(default_factory=dict)  # sku -> units, once validated
    restocked: bool = False  # its units are in `available` (RESTOCKED)
    refunded: bool = False  # its refund is in the payment's refundedCents
    reported: str | None = None
    resumed: bool = False


RETURN_FINAL = frozenset({"COMPLETED", "REJECTED", CANCELLED, COMPENSATION_FAILED})
RETURN_HOLDS = frozenset({"COMPLETED", COMPENSATION_FAILED})  # returns whose effects may stay in place


@dataclass(frozen=True)
class Race:
    sku: str
    units: int
    buyers: tuple[str, ...]  # order ids


@dataclass
class Snapshot:
    orders: list[OrderFacts]
    initial_stock: dict[str, int]  # sku -> units when the run began
    available: dict[str, int]  # sku -> units now
    restocked: dict[str, int] = field(default_factory=dict)  # sku -> units added by restocks between phases
    lowest_seen: dict[str, int] = field(default_factory=dict)  # sku -> lowest `available` sampled during the run
    races: list[Race] = field(default_factory=list)
    returns: list[ReturnFacts] = field(default_factory=list)


@dataclass(frozen=True)
class Holding:
    """What a COMPENSATION_FAILED order still holds (invariant 2 and 3 list them explicitly)."""

    order_id: str
    units: dict[str, int]
    captured_cents: int


def check(snapshot: Snapshot) -> list[str]:
    """Every violation found, as readable sentences; [] when all invariants hold."""
    return [
        *_terminal(snapshot),
        *_stock_conserved(snapshot),
        *_money_conserved(snapshot),
        *_never_negative(snapshot),
        *_races_sold_exactly(snapshot),
        *_histories_agree(snapshot),
        *_returns_agree(snapshot),
    ]


def holdings(orders: list[OrderFacts]) -> list[Holding]:
    return [
        Holding(o.order_id, dict(o.reserved) if o.holds_stock else {}, o.payment_cents if o.holds_capture else 0)
        for o in orders
        if o.status == COMPENSATION_FAILED
    ]


def _terminal(snapshot: Snapshot) -> list[str]:
    problems = []
    for o in snapshot.orders:
        if o.status not in TERMINAL:
            problems.append(f"1: order {o.order_id} is {o.status}, not terminal")
        for reported in dict.fromkeys(o.reported):
            resumed = o.resumed and (reported, o.status) == (COMPENSATION_FAILED, CANCELLED)
            if reported != o.status and not resumed:
                problems.append(f"1: order {o.order_id} was reported {reported}, then became {o.status}")
    return problems


def _stock_conserved(snapshot: Snapshot) -> list[str]:
    problems = []
    sold: Counter[str] = Counter()
    held: Counter[str] = Counter()
    for o in snapshot.orders:
        if o.status == CONFIRMED:
            if not o.holds_stock or o.reserved != o.items:
                problems.append(
                    f"2: CONFIRMED order {o.order_id} has reservation {o.reservation_status} {o.reserved}, "
                    f"ordered {o.items}"
                )
            sold.update(o.items)
        elif o.status == COMPENSATION_FAILED:
            if o.holds_stock:
                held.update(o.reserved)
        elif o.holds_stock:
            problems.append(f"2: {o.status} order {o.order_id} still holds its stock {o.reserved}")
    returned: Counter[str] = Counter()
    for r in snapshot.returns:
        if r.restocked and r.status in RETURN_HOLDS:
            returned.update(r.units)
    for sku, initial in snapshot.initial_stock.items():
        expected = initial + snapshot.restocked.get(sku, 0) - sold[sku] - held[sku] + returned[sku]
        now = snapshot.available.get(sku)
        if now != expected:
            problems.append(
                f"2: {sku}: {now} available, expected {expected} = {initial} initial "
                f"+ {snapshot.restocked.get(sku, 0)} restocked - {sold[sku]} sold - {held[sku]} held "
                f"+ {returned[sku]} returned"
            )
    return problems


def _money_conserved(snapshot: Snapshot) -> list[str]:
    problems = []
    taken = [o for o in snapshot.orders if o.payment_status in ("CAPTURED", "REFUNDED")]
    captured = sum(o.payment_cents for o in taken)
    refunded = sum(o.payment_cents for o in taken if o.payment_status == "REFUNDED")
    refunded += sum(o.returns_refunded_cents for o in taken)
    confirmed = sum(o.total_cents for o in snapshot.orders if o.status == CONFIRMED)
    held = sum(h.captured_cents for h in holdings(snapshot.orders))
    given_back = sum(r.refund_cents for r in snapshot.returns if r.status == "COMPLETED")
    stuck_refunds = sum(r.refund_cents for r in snapshot.returns if r.status == COMPENSATION_FAILED and r.refunded)
    if captured - refunded != confirmed - given_back - stuck_refunds + held:
        problems.append(
            f"3: captured {captured} - refunded {refunded} = {captured - refunded}, expected {confirmed} "
            f"confirmed - {given_back} refunded by COMPLETED returns - {stuck_refunds} by stuck returns "
            f"+ {held} held by COMPENSATION_FAILED orders"
        )
    for o in snapshot.orders:
        if o.status == CANCELLED and o.holds_capture:
            problems.append(f"3: CANCELLED order {o.order_id} keeps a captured payment of {o.payment_cents}")
        if o.status == CONFIRMED and (o.payment_status, o.payment_cents) != ("CAPTURED", o.total_cents):
            problems.append(
                f"3: CONFIRMED order {o.order_id} totals {o.total_cents} but its payment is "
                f"{o.payment_status} {o.payment_cents}"
            )
    return problems


def _never_negative(snapshot: Snapshot) -> list[str]:
    problems = [f"4: {sku} has {units} available, below zero" for sku, units in snapshot.available.items() if units < 0]
    problems += [
        f"4: {sku} was seen at {units} available during the run, below zero"
        for sku, units in snapshot.lowest_seen.items()
        if units < 0
    ]
    return problems


def _races_sold_exactly(snapshot: Snapshot) -> list[str]:
    problems = []
    by_id = {o.order_id: o for o in snapshot.orders}
    for race in snapshot.races:
        buyers = [by_id[order_id] for order_id in race.buyers if order_id in by_id]
        sold = sum(o.items.get(race.sku, 0) for o in buyers if o.status == CONFIRMED)
        wanted = sum(o.items.get(race.sku, 0) for o in buyers)
        expected = min(race.units, wanted)
        if sold != expected:
            problems.append(
                f"4: race on {race.sku}: {len(race.buyers)} buyers for {race.units} units, {sold} sold, "
                f"expected {expected}"
            )
    return problems


def _in_order(wanted: tuple[str, ...], history: tuple[str, ...]) -> bool:
    """`wanted` appears in `history` in this order (other states may come between)."""
    remaining = iter(history)
    return all(state in remaining for state in wanted)


def _histories_agree(snapshot: Snapshot) -> list[str]:
    problems = []
    for o in snapshot.orders:
        history = o.history
        if o.saga_status is not None and o.saga_status != o.status:
            problems.append(f"5: order {o.order_id} is {o.status} but its saga log says {o.saga_status}")
        if o.status == CONFIRMED:
            undone = [state for state in history if state in UNDO_ORDER]
            if not _in_order(FORWARD_TRAIL, history) or undone or COMPENSATION_FAILED in history:
                problems.append(f"5: CONFIRMED order {o.order_id} has history {list(history)}")
        elif o.status in (CANCELLED, COMPENSATION_FAILED):
            problems += _undo_agrees(o)
    return problems


def _undo_agrees(o: OrderFacts) -> list[str]:
    """The undo of each effect the saga had comes after that effect, in reverse order of the effects. (An undo
    of an effect it never had only leaves a tombstone, e.g. a resumed RefundPayment voiding a payment never
    charged: where it is logged does not matter.) A CANCELLED saga undid every effect and ends CANCELLED."""
    history, problems = o.history, []
    if CONFIRMED in history:
        problems.append(f"5: {o.status} order {o.order_id} had been CONFIRMED: {list(history)}")
    had = [effect for effect in FORWARD_TRAIL if effect in UNDO_OF and effect in history]
    for effect in had:
        undo = UNDO_OF[effect]
        if undo in history and history.index(undo) < history.index(effect):
            problems.append(f"5: {o.status} order {o.order_id}: {undo} before {effect}: {list(history)}")
        if o.status == CANCELLED and undo not in history:
            problems.append(f"5: CANCELLED order {o.order_id} has {effect} but no {undo}: {list(history)}")
    # The saga log appends each state once: the undos' positions must fall as the effects' positions rise.
    positions = [history.index(UNDO_OF[effect]) for effect in had if UNDO_OF[effect] in history]
    if positions != sorted(positions, reverse=True):
        problems.append(f"5: {o.status} order {o.order_id} undid out of order: {list(history)}")
    if o.status == CANCELLED and (not history or history[-1] != CANCELLED):
        problems.append(f"5: CANCELLED order {o.order_id} does not end CANCELLED: {list(history)}")
    return problems


def _returns_agree(snapshot: Snapshot) -> list[str]:
    problems = []
    bought = {o.order_id: o.items for o in snapshot.orders}
    claimed: dict[str, Counter[str]] = {}
    for r in snapshot.returns:
        if r.status not in RETURN_FINAL:
            problems.append(f"6: return {r.return_id} is {r.status}, not final")
        if r.reported is not None and r.reported != r.status and not (r.resumed and r.reported == COMPENSATION_FAILED):
            problems.append(f"6: return {r.return_id} was reported {r.reported}, then became {r.status}")
        if r.status == "COMPLETED" and not (r.restocked and r.refunded):
            problems.append(f"6: COMPLETED return {r.return_id}: restocked {r.restocked}, refunded {r.refunded}")
        if r.status in ("REJECTED", CANCELLED) and (r.restocked or r.refunded):
            problems.append(f"6: {r.status} return {r.return_id}: restocked {r.restocked}, refunded {r.refunded}")
        if r.status in ("COMPLETED", COMPENSATION_FAILED):
            claimed.setdefault(r.order_id, Counter()).update(r.units)
    for order_id, units in claimed.items():
        over = {sku: n for sku, n in units.items() if n > bought.get(order_id, {}).get(sku, 0)}
        if over:
            problems.append(f"6: order {order_id} had {dict(units)} returned, more than bought {bought.get(order_id)}")
    return problems
