"""OU paths: parsing, ids, and the level-by-level walk from the root (organizational_units.py)."""

import pytest

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizational_units import (
    format_path,
    parse_parent,
    parse_path,
    resolve_path,
)

PATHS = {
    "two-levels": ("Clients/Production", ("Clients", "Production")),
    "leading-slash": ("/Clients/Production", ("Clients", "Production")),
    "trailing-slash": ("Clients/Production/", ("Clients", "Production")),
    "one-level": ("Clients", ("Clients",)),
    "root-slash": ("/", ()),
    "root-empty": ("", ()),
    "spaces-inside-names": ("Client A/Prod 1", ("Client A", "Prod 1")),
}


@pytest.mark.parametrize(("path", "names"), PATHS.values(), ids=PATHS.keys())
def test_parse_path(path, names):
    assert parse_path(path) == names
    assert format_path(names) == "/" + "/".join(names)


BAD_PATHS = {
    "double-slash": ("Clients//Production", "empty level"),
    "blank-level": ("Clients/ /Production", "empty level"),
    "name-too-long": ("Clients/" + "x" * 129, "longer than 128"),
    "not-a-string": (42, "OU path"),
}


@pytest.mark.parametrize(("path", "rule"), BAD_PATHS.values(), ids=BAD_PATHS.keys())
def test_bad_path_names_the_option(path, rule):
    with pytest.raises(InvalidInput) as raised:
        parse_path(path, option="parent")
    assert raised.value.option == "parent" and rule in raised.value.rule


PARENTS = {
    "ou-id": ("ou-ab12-cdef3456", ("id", "ou-ab12-cdef3456")),
    "root-id": ("r-ab12", ("id", "r-ab12")),
    "path": ("Clients/Production", ("path", ("Clients", "Production"))),
    "path-that-looks-like-an-id-prefix": ("ou-Clients", ("path", ("ou-Clients",))),
    "root-path": ("/", ("path", ())),
}


@pytest.mark.parametrize(("value", "parsed"), PARENTS.values(), ids=PARENTS.keys())
def test_parse_parent(value, parsed):
    assert parse_parent(value) == parsed


TREE = {
    "r-root": [{"Id": "ou-1", "Name": "Clients"}, {"Id": "ou-2", "Name": "Internal"}],
    "ou-1": [{"Id": "ou-11", "Name": "Production"}, {"Id": "ou-12", "Name": "production"}],
    "ou-11": [],
    "ou-2": [],
}

RESOLUTIONS = {
    "all-levels-exist": (("Clients", "Production"), ["ou-1", "ou-11"], []),
    "leaf-missing": (("Clients", "Staging"), ["ou-1"], ["Staging"]),
    "everything-missing": (("Partners", "EU"), [], ["Partners", "EU"]),
    "names-are-case-sensitive": (("clients",), [], ["clients"]),
    "exact-case-chosen-among-similar": (("Clients", "production"), ["ou-1", "ou-12"], []),
    "root": ((), [], []),
}


@pytest.mark.parametrize(("names", "found_ids", "missing"), RESOLUTIONS.values(), ids=RESOLUTIONS.keys())
def test_resolve_path(names, found_ids, missing):
    listed = []

    def children_of(parent_id):
        listed.append(parent_id)
        return TREE[parent_id]

    found, still_missing = resolve_path(names, "r-root", children_of)
    assert [ou["Id"] for _path, ou in found] == found_ids
    assert [path for path, _ou in found] == [format_path(names[: i + 1]) for i in range(len(found_ids))]
    assert still_missing == missing
    # One listing per level walked, never more.
    assert len(listed) == min(len(names), len(found_ids) + 1)
