"""Sagas still PENDING long after they started: a lost execution, a timeout, a bug. They hold stock and maybe
money, so a scheduled sweep reports them (docs/operations.md, "Loud failures") rather than letting them wait unseen."""

from datetime import datetime, timedelta

from checkout_saga.clock import iso
from checkout_saga.dal.interfaces import SagaLogRepository
from checkout_saga.models import OrderStatus, SagaRecord

_PAGE = 100


def stale_pending_sagas(saga_log: SagaLogRepository, now: datetime, bound: timedelta) -> list[SagaRecord]:
    """Every PENDING saga that started more than `bound` before `now`, oldest first. The byStatus index holds
    only the sagas in that status, so the sweep reads the PENDING ones, never the whole log."""
    cutoff = iso(now - bound)
    stale: list[SagaRecord] = []
    start = None
    while True:
        records, start = saga_log.list_by_status(OrderStatus.PENDING, _PAGE, start)
        stale += [record for record in records if record.started_at < cutoff]
        if not start:
            return sorted(stale, key=lambda record: record.started_at)
