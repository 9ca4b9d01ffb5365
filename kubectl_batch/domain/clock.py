"""Time source passed into domain functions, so tests can freeze it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def frozen_clock(at: datetime) -> Clock:
    return lambda: at
