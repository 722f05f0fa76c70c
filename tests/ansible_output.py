"""Reading what ansible-core's command line tools print, for the unit and the integration tests alike.

Import it as ``from ansible_output import plain`` (tests/unit/conftest.py and tests/integration/pytest/conftest.py
put tests/ on sys.path, as for tests/dev_tree.py).
"""


def plain(value):
    """ansible-core 2.19's ``ansible-inventory --list`` marks values an inventory plugin read from outside the
    inventory files (AWS's) as not templates: ``{"__ansible_unsafe": value}``. The value itself, recursively."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value
