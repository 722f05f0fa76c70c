"""Start-up check that the moto internals the extensions hook still exist.

The extensions add methods to moto's classes; a moto release that renames one would otherwise make
the sandbox answer with moto's defaults, silently.  This check fails first, with a clear message.
"""

import importlib

import moto

from . import MOTO_VERSION
from .extensions import required_internals


class SelfCheckError(SystemExit):
    pass


def resolve(dotted: str):
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            target = getattr(target, attribute)
        return target
    raise ImportError(dotted)


def run() -> None:
    missing = []
    for dotted in required_internals():
        try:
            resolve(dotted)
        except (ImportError, AttributeError):
            missing.append(dotted)
    if missing:
        raise SelfCheckError(
            f"msp_sandbox: moto {moto.__version__} lacks internals the sandbox hooks "
            f"(built for moto {MOTO_VERSION}): {', '.join(missing)}. Install moto[server]=={MOTO_VERSION} "
            "or update tests/sandbox/msp_sandbox/extensions."
        )
    if moto.__version__ != MOTO_VERSION:
        print(f"msp_sandbox: warning: built for moto {MOTO_VERSION}, running on moto {moto.__version__}", flush=True)
