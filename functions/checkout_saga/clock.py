"""One place that says what "now" is, so every record carries the same timestamp format."""

from datetime import UTC, datetime


def utc_now_iso() -> str:
    """ISO 8601 UTC with milliseconds, e.g. 2026-11-22T09:30:00.123Z (sorts as text)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
