"""Builds and serves the sandbox: moto's server, the extensions, the middleware and the world."""

import os
import threading

from . import MOTO_VERSION, SERVICE_NAME, clock, control, selfcheck, settings, world
from .calllog import CALL_LOG
from .faults import INJECTOR, RuleError

_reset_lock = threading.Lock()


def build_app():
    # Before moto's IAM backend exists: AWS-managed policies such as AdministratorAccess must be there.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    selfcheck.run()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from .extensions import install_all
    from .middleware import SandboxMiddleware

    install_all()
    app = DomainDispatcherApplication(create_backend_app)
    world.seed()
    return SandboxMiddleware(app)


def reset_world() -> dict:
    """Empty moto and every extension, then seed the world again."""
    from moto.moto_api._internal.models import moto_api_backend

    with _reset_lock:
        moto_api_backend.reset()  # patched by extensions.moto_fixes to clear the sandbox's state too
        INJECTOR.clear()
        CALL_LOG.clear()
        return world.seed()


@control.route("GET", "/health")
def _health(body, query):
    return 200, {"service": SERVICE_NAME, "status": "ok", "pid": os.getpid(), "moto": MOTO_VERSION}


@control.route("POST", "/reset")
def _reset(body, query):
    return 200, reset_world()


@control.route("GET", "/world")
def _world(body, query):
    return 200, world.current()


@control.route("GET", "/calls")
def _calls(body, query):
    filters = {"since": int(query.get("since", 0)), "service": query.get("service"), "account": query.get("account")}
    return 200, {"calls": CALL_LOG.entries(**filters), **CALL_LOG.summary(**filters)}


@control.route("GET", "/calls/summary")
def _calls_summary(body, query):
    filters = {"since": int(query.get("since", 0)), "service": query.get("service"), "account": query.get("account")}
    return 200, CALL_LOG.summary(**filters)


@control.route("DELETE", "/calls")
def _calls_clear(body, query):
    return 200, {"last_seq": CALL_LOG.clear()}


@control.route("GET", "/faults")
def _faults(body, query):
    return 200, {"rules": INJECTOR.rules()}


@control.route("POST", "/faults")
def _faults_add(body, query):
    try:
        rule = INJECTOR.add(body)
    except RuleError as exc:
        raise control.ControlError(400, str(exc)) from None
    return 200, rule.describe()


@control.route("DELETE", "/faults")
def _faults_clear(body, query):
    INJECTOR.clear()
    return 200, {"rules": []}


@control.route("GET", "/clock")
def _clock(body, query):
    return 200, {"now": clock.now().isoformat(), "offset_seconds": clock.offset_seconds()}


@control.route("POST", "/clock")
def _clock_advance(body, query):
    try:
        seconds = float(body["advance_seconds"])
        clock.advance(seconds)
    except (KeyError, ValueError) as exc:
        raise control.ControlError(400, f"give advance_seconds, a number of seconds >= 0 ({exc})") from None
    return 200, {"now": clock.now().isoformat(), "offset_seconds": clock.offset_seconds()}


@control.route("GET", "/settings")
def _settings(body, query):
    return 200, settings.describe()


@control.route("POST", "/settings")
def _settings_update(body, query):
    return 200, settings.update(body)


def serve(host: str, port: int) -> None:
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import run_simple

    app = build_app()
    print(f"msp_sandbox: serving moto {MOTO_VERSION} with extensions on http://{host}:{port}", flush=True)
    run_simple(host, port, app, threaded=True, request_handler=MotoRequestHandler)
