"""The sandbox's additions to moto, one module per AWS feature.

Each module defines:
- ``REQUIRED_INTERNALS``: dotted names of the moto internals it hooks, checked at start-up;
- ``install()``: adds or wraps methods on moto's own classes (subclassing a backend in another
  module would break moto's URL routing, which it derives from the backend class's module);
- ``reset()``: forgets the extension's own state (called by ``/moto-api/reset`` and ``/_sandbox/reset``).
"""

import importlib

EXTENSION_MODULES = (
    "moto_fixes",
    "create_account",
    "handshakes",
    "account_management",
    "organizational_units",
    "root_access",
    "service_access",
    "organization_reads",
    "trust_policy",
)


def modules():
    loaded = []
    for name in EXTENSION_MODULES:
        try:
            loaded.append(importlib.import_module(f"{__name__}.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    return loaded


def required_internals() -> list[str]:
    return [path for module in modules() for path in getattr(module, "REQUIRED_INTERNALS", ())]


def install_all() -> None:
    for module in modules():
        module.install()


def reset_all() -> None:
    for module in modules():
        module.reset()
