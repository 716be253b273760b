"""Readable rendering of an order or a return and its saga timeline (GET /orders/{id}, GET /returns/{id})."""

from __future__ import annotations

from typing import Any

from checkout_saga.clock import parse_iso


def money(cents: int) -> str:
    return f"{cents / 100:,.2f}"


def render_order(order: dict[str, Any], label: str) -> str:
    payment = order["payment"]
    saga = order["saga"]
    lines = [
        f"{label}: order {order['orderId']}  ->  {order['status']}",
        "  items   : "
        + ", ".join(f"{item['quantity']} x {item['sku']} @ {money(item['unitPriceCents'])}" for item in order["items"]),
        f"  total   : {money(order['totalCents'])}    payment: {payment['status']} {money(payment['amountCents'])}",
    ]
    if payment.get("refundedCents"):
        lines[-1] += f" ({money(payment['refundedCents'])} refunded by returns)"
    return "\n".join(lines + _saga_lines(saga))


def render_return(shown: dict[str, Any], label: str) -> str:
    lines = [
        f"{label}: return {shown['returnId']} of order {shown['orderId']}  ->  {shown['status']}",
        "  items   : " + ", ".join(f"{item['quantity']} x {item['sku']}" for item in shown["items"]),
        f"  refund  : {money(shown['refundCents'])}    reason: {shown['reason'] or '-'}",
    ]
    return "\n".join(lines + _saga_lines(shown["saga"]))


def _saga_lines(saga: dict[str, Any]) -> list[str]:
    lines = []
    if saga.get("failure"):
        failure = saga["failure"]
        lines.append(f"  failure : {failure['step']} raised {failure['error']}: {failure.get('cause') or ''}")
    lines.append("  saga timeline (time spent reaching each state):")
    history = saga["history"]
    start = parse_iso(history[0]["at"]) if history else None
    previous = start
    for transition in history:
        at = parse_iso(transition["at"])
        since_start = (at - start).total_seconds() * 1000 if start else 0.0
        step = (at - previous).total_seconds() * 1000 if previous else 0.0
        lines.append(f"    +{since_start:7.0f} ms  {transition['state']:<20} ({step:.0f} ms)")
        previous = at
    return lines
