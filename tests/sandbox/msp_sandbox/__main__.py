"""Command line: python -m msp_sandbox {serve,start,stop,status,reset,env}."""

import argparse
import json
import signal
import sys

from . import config, launcher


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="msp_sandbox", description=__doc__)
    parser.add_argument("command", choices=["serve", "start", "stop", "status", "reset", "env"])
    parser.add_argument("--host", default=None, help="default: $MSP_SANDBOX_HOST or 127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default: $MSP_SANDBOX_PORT or 5055")
    parser.add_argument("--timeout", type=float, default=90, help="seconds start waits for the server")
    args = parser.parse_args(argv)
    host, port = args.host or config.host(), args.port or config.port()

    if args.command == "serve":
        from .app import serve

        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        serve(host, port)
    elif args.command == "start":
        launcher.start(host, port, timeout=args.timeout)
    elif args.command == "stop":
        launcher.stop(host, port)
    elif args.command == "status":
        running = launcher.status(host, port)
        print(json.dumps(running) if running else f"msp_sandbox: nothing answers on http://{host}:{port}")
        return 0 if running else 1
    elif args.command == "reset":
        from .client import SandboxClient

        SandboxClient(config.endpoint_url(host, port)).reset()
        print("msp_sandbox: reset to a fresh world")
    elif args.command == "env":
        print(f"export AWS_ENDPOINT_URL={config.endpoint_url(host, port)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
