"""The sandbox's clock: real time plus an offset that tests can advance.

Everything time-based in the extensions (handshake expiry, CreateAccount delays, MFA age, the
waiting period before a created account may leave) reads this clock, so a test can jump 15 days
ahead instead of waiting.
"""

import threading
from datetime import UTC, datetime, timedelta

_lock = threading.Lock()
_offset = timedelta(0)


def now() -> datetime:
    with _lock:
        return datetime.now(UTC) + _offset


def advance(seconds: float) -> datetime:
    global _offset
    if seconds < 0:
        raise ValueError("the sandbox clock only moves forward")
    with _lock:
        _offset += timedelta(seconds=seconds)
    return now()


def offset_seconds() -> float:
    with _lock:
        return _offset.total_seconds()


def reset() -> None:
    global _offset
    with _lock:
        _offset = timedelta(0)
