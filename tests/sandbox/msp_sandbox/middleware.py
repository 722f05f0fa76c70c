"""WSGI middleware around moto's application: control API, fault injection and call log."""

import contextlib
import socket
import time

from . import control
from .calllog import CALL_LOG
from .faults import INJECTOR
from .protocol import error_code_of, identify, read_body, render_error


def account_of(access_key: str, environ: dict) -> str:
    """The account moto will act as for this request (same rules as moto's BaseResponse)."""
    from moto.iam.models import get_account_id_from

    return environ.get("HTTP_X_MOTO_ACCOUNT_ID") or get_account_id_from(access_key)


class SandboxMiddleware:
    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response):
        path = environ.get("PATH_INFO", "")
        body = read_body(environ)
        if path.startswith(control.PREFIX):
            return control.handle(environ, body, start_response)
        if path.startswith("/moto-api") or path == "/favicon.ico":
            return self.app(environ, start_response)

        started = time.monotonic()
        info = identify(environ, body)
        account = account_of(info.access_key, environ)
        rules = INJECTOR.pick(info.service, info.action, account, info.params)
        latency = sum(rule.latency_ms for rule in rules)
        if latency:
            time.sleep(latency / 1000)
        failing = next((rule for rule in rules if rule.error_code or rule.drop_connection), None)

        def log(status: int, error_code: str | None, injected: bool) -> None:
            CALL_LOG.record(
                service=info.service,
                action=info.action,
                account=account,
                status=status,
                error_code=error_code,
                injected=injected,
                duration_ms=round((time.monotonic() - started) * 1000, 2),
            )

        if failing is not None and failing.when == "before":
            return self._fail(failing, info, environ, start_response, log)

        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: captured.setdefault("written", []).append(data)

        chunks = self.app(environ, capture)
        try:
            payload = b"".join(captured.get("written", [])) + b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        status = int(captured["status"].split(" ", 1)[0])

        if failing is not None:  # when == "after": the call took effect, its answer is lost
            log(status, error_code_of(captured["headers"], payload) if status >= 400 else None, False)
            return self._fail(failing, info, environ, start_response, lambda *a: None)

        log(status, error_code_of(captured["headers"], payload) if status >= 400 else None, False)
        start_response(captured["status"], captured["headers"])
        return [payload]

    @staticmethod
    def _fail(rule, info, environ, start_response, log):
        if rule.drop_connection:
            log(0, "ConnectionDropped", True)
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                with contextlib.suppress(OSError):  # the client may have gone already
                    sock.shutdown(socket.SHUT_RDWR)
            # werkzeug's server treats ConnectionError from the app as a dropped client.
            raise ConnectionResetError("msp_sandbox: connection dropped by fault injection")
        message = rule.message or f"Injected by the msp sandbox: {rule.error_code}"
        status_line, headers, body = render_error(info, rule.error_code, message, rule.status)
        log(rule.status, rule.error_code, True)
        start_response(status_line, headers)
        return [body]
