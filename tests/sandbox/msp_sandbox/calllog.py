"""Every AWS call the sandbox answered: who called what, and how it ended.

Tests read it to prove that a no-op run wrote nothing and that bad input failed before any write;
the benchmark reads it to count calls per action.
"""

import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass

# AWS names its read-only actions with these prefixes; everything else may change state.
READ_PREFIXES = ("Get", "List", "Describe")
MAX_ENTRIES = 200_000


@dataclass
class Call:
    seq: int
    time: float
    service: str
    action: str
    account: str
    status: int
    error_code: str | None
    injected: bool
    duration_ms: float

    @property
    def is_write(self) -> bool:
        return not self.action.startswith(READ_PREFIXES)


class CallLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._seq = 0

    def record(self, **fields) -> None:
        with self._lock:
            self._seq += 1
            self._calls.append(Call(seq=self._seq, time=time.time(), **fields))
            if len(self._calls) > MAX_ENTRIES:
                del self._calls[: len(self._calls) - MAX_ENTRIES]

    def clear(self) -> int:
        """Forget every call; returns the sequence number the next call will follow."""
        with self._lock:
            self._calls.clear()
            return self._seq

    def select(self, since: int = 0, service: str | None = None, account: str | None = None) -> list[Call]:
        with self._lock:
            calls = list(self._calls)
        return [
            c
            for c in calls
            if c.seq > since and (service is None or c.service == service) and (account is None or c.account == account)
        ]

    def summary(self, **filters) -> dict:
        calls = self.select(**filters)
        by_action = Counter(f"{c.service}:{c.action}" for c in calls)
        writes = Counter(f"{c.service}:{c.action}" for c in calls if c.is_write)
        return {
            "last_seq": self._seq,
            "total": len(calls),
            "writes": sum(writes.values()),
            "by_action": dict(sorted(by_action.items())),
            "writes_by_action": dict(sorted(writes.items())),
            "errors": sum(1 for c in calls if c.status >= 400),
        }

    def entries(self, **filters) -> list[dict]:
        return [dict(asdict(c), is_write=c.is_write) for c in self.select(**filters)]


CALL_LOG = CallLog()
