"""OU paths: parsing, ids, and the level-by-level walk from the root (organizational_units.py)."""

import botocore.exceptions
import pytest

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput, MspAwsError
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizational_units import (
    RELIST_ATTEMPTS,
    OrganizationTree,
    format_path,
    parse_parent,
    parse_path,
    resolve_path,
    tag_changes,
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


# --- the tree against a fake client: duplicates, foreign roots ----------------------------------------------


class FakeOrganizations:
    """CreateOrganizationalUnit answers DuplicateOrganizationalUnitException; the listing of a parent shows
    the OU another run made only from the ``shows_after``-th listing on (None: never)."""

    def __init__(self, shows_after=None):
        self.shows_after = shows_after
        self.listings = 0
        self.calls = []

    def list_roots(self, aws_retry):
        self.calls.append("ListRoots")
        return {"Roots": [{"Id": "r-root", "Arn": "arn:root", "Name": "Root"}]}

    def create_organizational_unit(self, aws_retry, ParentId, Name, Tags=None):
        self.calls.append("CreateOrganizationalUnit")
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "DuplicateOrganizationalUnitException", "Message": "exists"}},
            "CreateOrganizationalUnit",
        )

    def get_paginator(self, operation):
        assert operation == "list_organizational_units_for_parent"
        self.calls.append("ListOrganizationalUnitsForParent")
        self.listings += 1
        visible = self.shows_after is not None and self.listings >= self.shows_after
        items = [{"Id": "ou-ab12-theirs000", "Arn": "arn:ou", "Name": "Clients"}] if visible else []

        class Paginator:
            def paginate(self, **kwargs):
                return self

            def build_full_result(self):
                return {"OrganizationalUnits": items}

        return Paginator()


def test_duplicate_not_listed_yet_is_listed_again_and_not_counted_as_created():
    sleeps = []
    tree = OrganizationTree(FakeOrganizations(shows_after=3), sleep=sleeps.append)
    created, leaf, parent_id = tree.ensure_levels(("Clients",), [], None, check_mode=False)
    assert leaf["Id"] == "ou-ab12-theirs000" and parent_id == "r-root"
    assert created == []  # another run made it
    assert sleeps == [0.5, 1.0]


def test_duplicate_never_listed_is_a_clear_error_after_bounded_tries():
    sleeps = []
    client = FakeOrganizations(shows_after=None)
    tree = OrganizationTree(client, sleep=sleeps.append)
    with pytest.raises(MspAwsError, match="DuplicateOrganizationalUnitException") as raised:
        tree.create_child("r-root", "Clients")
    assert "run again" in raised.value.message
    assert client.listings == RELIST_ATTEMPTS and len(sleeps) == RELIST_ATTEMPTS - 1


def test_root_id_of_another_organization_is_refused_before_any_other_call():
    client = FakeOrganizations()
    tree = OrganizationTree(client)
    with pytest.raises(MspAwsError) as raised:
        tree.parent("r-zzzz")
    assert "not this organization's root (r-root)" in raised.value.message
    assert "aws_organizational_unit" in raised.value.message
    assert client.calls == ["ListRoots"]
    assert tree.parent("r-root") == {"id": "r-root", "path": "/"}


TAG_CHANGES = {
    "unset-leaves-them": ({"a": "1"}, None, True, ({}, [], {"a": "1"})),
    "same": ({"a": "1"}, {"a": "1"}, True, ({}, [], {"a": "1"})),
    "purge": ({"a": "1", "b": "2"}, {"a": "1"}, True, ({}, ["b"], {"a": "1"})),
    "no-purge": ({"a": "1"}, {"b": "2"}, False, ({"b": "2"}, [], {"a": "1", "b": "2"})),
    "aws-reserved-kept": ({"aws:x": "1"}, {}, True, ({}, [], {"aws:x": "1"})),
}


@pytest.mark.parametrize(("current", "desired", "purge", "expected"), TAG_CHANGES.values(), ids=TAG_CHANGES.keys())
def test_tag_changes(current, desired, purge, expected):
    to_set, to_unset, after = tag_changes(current, desired, purge)
    assert (to_set, sorted(to_unset), after) == expected
