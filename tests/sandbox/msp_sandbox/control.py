"""The sandbox's control API under ``/_sandbox/``: health, reset, world, call log, faults, clock.

Extensions add their own routes (the outbox, root credentials, settings) with ``@route``.  Handlers
take the parsed JSON body and query and return ``(status, json-serialisable value)``.
"""

import json
from collections.abc import Callable
from urllib.parse import parse_qs

PREFIX = "/_sandbox"
_routes: dict[tuple[str, str], Callable] = {}


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def route(method: str, path: str):
    def register(func: Callable) -> Callable:
        _routes[(method.upper(), path)] = func
        return func

    return register


def handle(environ: dict, body: bytes, start_response) -> list[bytes]:
    method = environ.get("REQUEST_METHOD", "GET").upper()
    path = environ.get("PATH_INFO", "")[len(PREFIX) :].rstrip("/") or "/"
    query = {key: values[-1] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
    handler = _routes.get((method, path))
    try:
        if handler is None:
            known = sorted(f"{m} {PREFIX}{p}" for m, p in _routes)
            raise ControlError(404, f"no control route {method} {PREFIX}{path}; known: {', '.join(known)}")
        try:
            payload = json.loads(body) if body.strip() else {}
        except ValueError as exc:
            raise ControlError(400, f"the body is not JSON: {exc}") from None
        if not isinstance(payload, dict):
            raise ControlError(400, "the body must be a JSON object")
        status, value = handler(payload, query)
    except ControlError as exc:
        status, value = exc.status, {"error": str(exc)}
    except (ValueError, KeyError, TypeError) as exc:
        status, value = 400, {"error": f"{type(exc).__name__}: {exc}"}
    data = json.dumps(value, default=str, indent=1).encode()
    start_response(
        f"{status} {'OK' if status < 400 else 'Error'}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]
