"""The engineer_group_policies and engineer_access_plan filters: the module_utils rules, with errors a playbook
user can act on."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.msp.aws_accounts.plugins.filter.engineer_access import (
    FilterModule,
    engineer_access_plan,
    engineer_group_policies,
)

ACME = "111111111111"
IDENTITY = "123456789012"
GROUPS = [{"name": "msp-admins", "path": "/"}, {"name": "msp-oncall", "path": "/", "clients": None}]
ONCALL = {
    "key": "oncall",
    "role_name": "MspOnCall",
    "path": "/msp/",
    "mfa_max_age": None,
    "engineer_groups": ["msp-admins", "msp-oncall"],
}
CLIENTS = [{"host": "acme", "key": "acme", "name": "ACME Corp", "account_id": ACME, "roles": [ONCALL]}]


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"engineer_group_policies", "engineer_access_plan"}


def test_engineer_group_policies_names_and_grants():
    result = engineer_group_policies(CLIENTS, GROUPS)
    assert [(g["name"], [p["name"] for p in g["policies"]]) for g in result] == [
        ("msp-admins", ["msp-admins-client-roles-01"]),
        ("msp-oncall", ["msp-oncall-client-roles-01"]),
    ]
    [statement] = result[1]["policies"][0]["document"]["Statement"]
    assert statement["Resource"] == [f"arn:aws:iam::{ACME}:role/msp/MspOnCall"]
    assert statement["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def test_engineer_group_policies_partition_and_quota_from_templates():
    result = engineer_group_policies(CLIENTS, GROUPS, "aws-us-gov", "10")
    assert result[0]["role_arns"] == [f"arn:aws-us-gov:iam::{ACME}:role/msp/MspOnCall"]


def test_engineer_group_policies_checks_the_engineers_and_the_policy_path():
    result = engineer_group_policies(CLIENTS, GROUPS, "aws", 10, [{"name": "bob", "groups": ["msp-oncall"]}], "/p/")
    assert result[1]["policies"][0]["path"] == "/p/"
    with pytest.raises(AnsibleFilterError, match=r"engineer_group_policies: msp_engineers\[0\].name: 'bob smith'"):
        engineer_group_policies(CLIENTS, GROUPS, engineers=[{"name": "bob smith", "groups": []}])
    with pytest.raises(AnsibleFilterError, match="engineer_group_policies: engineer_access_policy_path"):
        engineer_group_policies(CLIENTS, GROUPS, policy_path="/")


FILTER_ERRORS = {
    "unknown-group": (CLIENTS, GROUPS[:1], "acme: role oncall engineer_groups: 'msp-oncall' is not in"),
    "role-without-path": (
        [dict(CLIENTS[0], roles=[dict(ONCALL, path=None)])],
        GROUPS,
        "acme: role oncall path: is required",
    ),
    "client-without-account": ([{"host": "acme", "roles": [ONCALL]}], GROUPS, "a client or group entry is malformed"),
    "group-without-name": (CLIENTS, [{"path": "/"}], r"msp_engineer_groups\[0\].name"),
}


@pytest.mark.parametrize(("clients", "groups", "message"), FILTER_ERRORS.values(), ids=FILTER_ERRORS)
def test_engineer_group_policies_errors(clients, groups, message):
    with pytest.raises(AnsibleFilterError, match=f"engineer_group_policies: {message}"):
        engineer_group_policies(clients, groups)


def test_engineer_access_plan_on_an_empty_account():
    policies = engineer_group_policies(CLIENTS, GROUPS)
    actual = {
        "groups": [{"name": g["name"], "exists": False} for g in GROUPS],
        "users": [{"name": "bob", "exists": False}],
        "policies": [],
        "policy_documents": {},
    }
    plan = engineer_access_plan(policies, [{"name": "bob", "groups": ["msp-oncall"]}], actual, int(IDENTITY))
    assert plan["changed"]
    assert plan["users_to_create"] == ["bob"]
    assert [p["name"] for p in plan["policies_to_create"]] == [
        "msp-admins-client-roles-01",
        "msp-oncall-client-roles-01",
    ]
    assert plan["groups_to_converge"][1]["managed_policies"] == [
        f"arn:aws:iam::{IDENTITY}:policy/msp-aws-accounts/msp-oncall-client-roles-01"
    ]
    assert plan["groups_to_converge"][1]["users"] == ["bob"]


def test_engineer_access_plan_refuses_a_group_over_its_quota_with_a_filter_error():
    policies = engineer_group_policies(CLIENTS, GROUPS)
    others = [{"name": f"Team{n}", "arn": f"arn:aws:iam::aws:policy/Team{n}"} for n in range(10)]
    actual = {"groups": [{"name": "msp-oncall", "exists": True, "attached_policies": others}], "users": []}
    with pytest.raises(AnsibleFilterError, match="engineer_access_plan: msp_engineer_groups msp-oncall: its 1"):
        engineer_access_plan(policies, [], actual, IDENTITY)
    assert engineer_access_plan(policies, [], actual, IDENTITY, "aws", "11", "/msp-aws-accounts/")["changed"]


def test_engineer_access_plan_refuses_an_unknown_group():
    policies = engineer_group_policies(CLIENTS, GROUPS)
    with pytest.raises(AnsibleFilterError, match=r"msp_engineers\[0\].groups"):
        engineer_access_plan(policies, [{"name": "bob", "groups": ["msp-nobody"]}], {}, IDENTITY)
