"""How the SQL views store values both dialects read alike: dates and times as ISO text."""

from __future__ import annotations

from datetime import date


def iso(value: date | None) -> str | None:
    """A date (or a datetime) as its column holds it."""
    return None if value is None else value.isoformat()


def day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)
