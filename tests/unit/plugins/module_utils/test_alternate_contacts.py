"""Alternate contacts: what the option means, and what must change (alternate_contacts.py)."""

import pytest

from ansible_collections.msp.aws_accounts.plugins.module_utils.alternate_contacts import (
    EMPTY,
    apply_changes,
    contact_changes,
    desired_contacts,
    from_aws,
    to_aws,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput

OPS = {"name": "Ops Desk", "title": "Operations", "email": "ops@acme.example", "phone": "+1 555 0101"}
SEC = {"name": "Sec Desk", "title": "Security", "email": "sec@acme.example", "phone": "+1 555 0102"}
UNSET = {"name": None, "title": None, "email": None, "phone": None}

DESIRED = {
    "nothing-given": (None, {"BILLING": None, "OPERATIONS": None, "SECURITY": None}),
    "one-type": ({"operations": OPS}, {"BILLING": None, "OPERATIONS": OPS, "SECURITY": None}),
    "empty-means-remove": ({"billing": UNSET}, {"BILLING": EMPTY, "OPERATIONS": None, "SECURITY": None}),
    "empty-strings-mean-remove": (
        {"billing": dict.fromkeys(UNSET, "")},
        {"BILLING": EMPTY, "OPERATIONS": None, "SECURITY": None},
    ),
}


@pytest.mark.parametrize(("option", "desired"), DESIRED.values(), ids=DESIRED.keys())
def test_desired_contacts(option, desired):
    assert desired_contacts(option) == desired


BAD = {
    "missing-fields": ({"billing": dict(UNSET, name="Billing")}, "alternate_contacts.billing", "missing: title"),
    "bad-phone": ({"security": dict(SEC, phone="ext. 12")}, "alternate_contacts.security.phone", "digits"),
    "bad-email": ({"operations": dict(OPS, email="ops")}, "alternate_contacts.operations.email", "email address"),
    "long-title": ({"operations": dict(OPS, title="t" * 51)}, "alternate_contacts.operations.title", "1 to 50"),
}


@pytest.mark.parametrize(("option", "where", "rule"), BAD.values(), ids=BAD.keys())
def test_bad_contact_names_the_field(option, where, rule):
    with pytest.raises(InvalidInput) as raised:
        desired_contacts(option)
    assert raised.value.option == where and rule in raised.value.rule


CHANGES = {
    "unset-is-never-touched": ({"SECURITY": None}, {"SECURITY": SEC}, {}),
    "same-is-no-change": ({"SECURITY": SEC}, {"SECURITY": SEC}, {}),
    "new-type-is-put": ({"OPERATIONS": OPS}, {"OPERATIONS": None}, {"OPERATIONS": OPS}),
    "changed-field-is-put": ({"OPERATIONS": OPS}, {"OPERATIONS": dict(OPS, phone="1")}, {"OPERATIONS": OPS}),
    "empty-removes-existing": ({"BILLING": EMPTY}, {"BILLING": OPS}, {"BILLING": None}),
    "empty-on-absent-is-no-change": ({"BILLING": EMPTY}, {"BILLING": None}, {}),
}


@pytest.mark.parametrize(("desired", "actual", "changes"), CHANGES.values(), ids=CHANGES.keys())
def test_contact_changes(desired, actual, changes):
    assert contact_changes(desired, actual) == changes
    after = apply_changes(actual, changes)
    assert contact_changes(desired, after) == {}


def test_aws_shape_round_trip():
    params = to_aws("SECURITY", SEC)
    assert params["AlternateContactType"] == "SECURITY" and params["PhoneNumber"] == SEC["phone"]
    assert from_aws(params) == SEC
