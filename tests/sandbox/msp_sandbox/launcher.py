"""Start, stop and inspect a sandbox server running in the background.

``start`` reuses a healthy sandbox already listening on the port, otherwise spawns
``python -m msp_sandbox serve``, waits until it answers and records its pid in the state directory.
``stop`` stops exactly the recorded pid, and only if it is still a sandbox process.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from . import SERVICE_NAME, config

PACKAGE_PARENT = Path(__file__).resolve().parents[1]


class LauncherError(SystemExit):
    pass


def _pid_file(state_dir: Path, port: int) -> Path:
    return state_dir / f"sandbox-{port}.pid"


def _log_file(state_dir: Path, port: int) -> Path:
    return state_dir / f"sandbox-{port}.log"


def health(host: str, port: int, timeout: float = 2) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/_sandbox/health", timeout=timeout) as response:
            data = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("service") == SERVICE_NAME else None


def _port_in_use(host: str, port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def _is_sandbox_process(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return "msp_sandbox" in cmdline


def start(host: str | None = None, port: int | None = None, state_dir: Path | None = None, timeout: float = 90) -> dict:
    host, port = host or config.host(), port or config.port()
    state_dir = Path(state_dir or config.state_dir())
    state_dir.mkdir(parents=True, exist_ok=True)
    pid_file, log_file = _pid_file(state_dir, port), _log_file(state_dir, port)

    running = health(host, port)
    if running:
        print(f"msp_sandbox: reusing the sandbox already healthy at http://{host}:{port} (pid {running['pid']})")
        return running
    if _port_in_use(host, port):
        raise LauncherError(
            f"msp_sandbox: port {port} on {host} is taken by something that is not a sandbox; "
            "stop it or choose another port with MSP_SANDBOX_PORT"
        )

    env = dict(os.environ)
    env["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_PARENT), env.get("PYTHONPATH")]))
    env.pop("MOTO_ACCOUNT_ID", None)  # it would override every caller's account
    command = [sys.executable, "-m", "msp_sandbox", "serve", "--host", host, "--port", str(port)]
    print(f"msp_sandbox: starting on http://{host}:{port} (log: {log_file})")
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_file.read_text(errors="replace")[-3000:]
            raise LauncherError(f"msp_sandbox: the server exited with code {process.returncode}:\n{tail}")
        running = health(host, port)
        if running and running["pid"] == process.pid:
            pid_file.write_text(f"{process.pid}\n")
            print(f"msp_sandbox: ready after {timeout - (deadline - time.monotonic()):.1f}s (pid {process.pid})")
            return running
        time.sleep(0.2)
    process.kill()
    raise LauncherError(f"msp_sandbox: no answer on http://{host}:{port} within {timeout:.0f}s; see {log_file}")


def stop(host: str | None = None, port: int | None = None, state_dir: Path | None = None, timeout: float = 15) -> bool:
    host, port = host or config.host(), port or config.port()
    state_dir = Path(state_dir or config.state_dir())
    pid_file = _pid_file(state_dir, port)
    if not pid_file.exists():
        print(f"msp_sandbox: no sandbox recorded for port {port} in {state_dir}; nothing to stop")
        return False
    pid = int(pid_file.read_text().strip())
    if not _is_sandbox_process(pid):
        print(f"msp_sandbox: recorded pid {pid} is no longer a sandbox; forgetting it")
        pid_file.unlink()
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _is_sandbox_process(pid):
        time.sleep(0.1)
    if _is_sandbox_process(pid):
        os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    print(f"msp_sandbox: stopped pid {pid}")
    return True


def status(host: str | None = None, port: int | None = None) -> dict | None:
    return health(host or config.host(), port or config.port())
