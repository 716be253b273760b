"""One place that says what "now" is and how a moment is written, so every record carries the same format."""

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds, e.g. 2026-11-22T09:30:00.123Z (sorts as text); `moment` is aware."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utc_now_iso() -> str:
    return iso(datetime.now(UTC))


def parse_iso(text: str) -> datetime:
    """The aware moment a timestamp of ours (or any ISO 8601 text with an offset or a Z) names."""
    return datetime.fromisoformat(text)
