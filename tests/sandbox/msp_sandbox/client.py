"""A small client for the sandbox's control API, for tests, fixtures and the benchmark."""

import json
import urllib.error
import urllib.parse
import urllib.request


class SandboxError(RuntimeError):
    pass


class SandboxClient:
    def __init__(self, endpoint_url: str, timeout: float = 30) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.timeout = timeout

    def request(self, method: str, path: str, body: dict | None = None, query: dict | None = None):
        url = f"{self.endpoint_url}/_sandbox{path}"
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            raise SandboxError(f"{method} {path}: HTTP {exc.code}: {detail}") from None

    def health(self) -> dict:
        return self.request("GET", "/health")

    def reset(self) -> dict:
        return self.request("POST", "/reset")

    def world(self) -> dict:
        return self.request("GET", "/world")

    def calls(self, since: int = 0, service: str | None = None, account: str | None = None) -> dict:
        return self.request("GET", "/calls", query={"since": since, "service": service, "account": account})

    def call_summary(self, since: int = 0, service: str | None = None, account: str | None = None) -> dict:
        return self.request("GET", "/calls/summary", query={"since": since, "service": service, "account": account})

    def mark(self) -> int:
        """The sequence number of the last call so far: pass it as ``since`` to see only later calls."""
        return self.call_summary()["last_seq"]

    def add_fault(self, **rule) -> dict:
        return self.request("POST", "/faults", rule)

    def faults(self) -> list:
        return self.request("GET", "/faults")["rules"]

    def clear_faults(self) -> None:
        self.request("DELETE", "/faults")

    def advance_clock(self, seconds: float) -> dict:
        return self.request("POST", "/clock", {"advance_seconds": seconds})

    def settings(self) -> dict:
        return {name: entry["value"] for name, entry in self.request("GET", "/settings").items()}

    def configure(self, **values) -> dict:
        return self.request("POST", "/settings", values)
