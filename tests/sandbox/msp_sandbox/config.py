"""Settings read from the environment, so tests, the Makefile and CI can run several sandboxes."""

import os
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5055

# tests/sandbox/msp_sandbox/config.py -> repository root
REPO_ROOT = Path(__file__).resolve().parents[3]


def host() -> str:
    return os.environ.get("MSP_SANDBOX_HOST", DEFAULT_HOST)


def port() -> int:
    raw = os.environ.get("MSP_SANDBOX_PORT", str(DEFAULT_PORT))
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"MSP_SANDBOX_PORT must be a port number, got {raw!r}") from None
    if not 0 < value < 65536:
        raise SystemExit(f"MSP_SANDBOX_PORT must be between 1 and 65535, got {value}")
    return value


def state_dir() -> Path:
    return Path(os.environ.get("MSP_SANDBOX_STATE_DIR", REPO_ROOT / "tests" / "output" / "sandbox"))


def endpoint_url(host_: str | None = None, port_: int | None = None) -> str:
    return f"http://{host_ or host()}:{port_ or port()}"
