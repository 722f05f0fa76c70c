"""Behaviour switches of the extensions, readable and settable over ``/_sandbox/settings``.

Each extension registers its settings with a default and a sentence of documentation; a reset puts
every setting back to its default.
"""

import threading
from dataclasses import dataclass

from . import control

_lock = threading.Lock()


@dataclass
class Setting:
    name: str
    default: object
    doc: str
    value: object = None


_settings: dict[str, Setting] = {}


def register(name: str, default, doc: str) -> None:
    with _lock:
        if name not in _settings:
            _settings[name] = Setting(name, default, doc, default)


def get(name: str):
    with _lock:
        return _settings[name].value


def update(values: dict) -> dict:
    with _lock:
        unknown = set(values) - set(_settings)
        if unknown:
            raise control.ControlError(
                400, f"unknown settings: {', '.join(sorted(unknown))}; known: {', '.join(sorted(_settings))}"
            )
        for name, value in values.items():
            default = _settings[name].default
            if (
                default is not None
                and not isinstance(value, type(default))
                and not (isinstance(default, float) and isinstance(value, int))
            ):
                kind = type(default).__name__
                raise control.ControlError(400, f"setting {name} takes a value of type {kind}, got {value!r}")
            _settings[name].value = value
    return describe()


def describe() -> dict:
    with _lock:
        return {s.name: {"value": s.value, "default": s.default, "doc": s.doc} for s in _settings.values()}


def reset() -> None:
    with _lock:
        for setting in _settings.values():
            setting.value = setting.default
