"""Fault injection: make chosen AWS calls fail, slow down or lose their connection.

A rule matches calls by service, action, calling account and request parameters, and fires on the
next ``count`` matches, on every ``every``-th match, or on ``percent`` of them (seeded, so a test is
repeatable).  What it does: answer ``error_code`` with ``status`` in the service's own protocol, wait
``latency_ms``, or drop the connection.  ``when: after`` lets moto carry the call out first and only
then fails or drops the answer: the client cannot tell whether its write happened, exactly as after
a real time-out.
"""

import itertools
import random
import threading
from dataclasses import asdict, dataclass, field

_ids = itertools.count(1)


class RuleError(ValueError):
    """A rule the injector cannot apply; the control API answers it with HTTP 400."""


@dataclass
class Rule:
    service: str = "*"
    action: str = "*"
    account: str = "*"
    params: dict = field(default_factory=dict)
    error_code: str | None = None
    status: int = 400
    message: str | None = None
    count: int | None = None
    every: int | None = None
    percent: float | None = None
    seed: int | None = None
    latency_ms: int = 0
    drop_connection: bool = False
    when: str = "before"
    id: int = 0
    matched: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        modes = [m for m in (self.count, self.every, self.percent) if m is not None]
        if len(modes) > 1:
            raise RuleError("give at most one of count, every and percent")
        if not modes:
            self.count = 1
        if self.when not in ("before", "after"):
            raise RuleError("when must be 'before' or 'after'")
        if not (self.error_code or self.drop_connection or self.latency_ms):
            raise RuleError("a rule needs error_code, drop_connection or latency_ms")
        if self.percent is not None and not 0 <= self.percent <= 100:
            raise RuleError("percent must be between 0 and 100")
        if self.every is not None and self.every < 1:
            raise RuleError("every must be 1 or more")
        if not 100 <= int(self.status) <= 599:
            raise RuleError("status must be an HTTP status code")
        self._random = random.Random(self.seed)

    def matches(self, service: str, action: str, account: str, params: dict) -> bool:
        return (
            self.service in ("*", service)
            and self.action in ("*", action)
            and self.account in ("*", account)
            and all(str(params.get(key)) == str(value) for key, value in self.params.items())
        )

    def should_fire(self) -> bool:
        """Called once per matching call; counts it and says whether this one is hit."""
        self.matched += 1
        if self.count is not None:
            hit = self.fired < self.count
        elif self.every is not None:
            hit = self.matched % self.every == 0
        else:
            hit = self._random.random() * 100 < self.percent
        if hit:
            self.fired += 1
        return hit

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.fired >= self.count

    def describe(self) -> dict:
        data = asdict(self)
        data["exhausted"] = self.exhausted
        return data


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []

    def add(self, spec: dict) -> Rule:
        known = set(Rule.__dataclass_fields__) - {"id", "matched", "fired"}
        unknown = set(spec) - known
        if unknown:
            raise RuleError(f"unknown fault rule fields: {', '.join(sorted(unknown))}")
        try:
            rule = Rule(**spec)
        except TypeError as exc:
            raise RuleError(str(exc)) from None
        rule.id = next(_ids)
        with self._lock:
            self._rules.append(rule)
        return rule

    def pick(self, service: str, action: str, account: str, params: dict) -> list[Rule]:
        """The rules that fire for this call; each matching rule counts the call once."""
        with self._lock:
            return [
                rule
                for rule in self._rules
                if not rule.exhausted and rule.matches(service, action, account, params) and rule.should_fire()
            ]

    def rules(self) -> list[dict]:
        with self._lock:
            return [rule.describe() for rule in self._rules]

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()


INJECTOR = FaultInjector()
