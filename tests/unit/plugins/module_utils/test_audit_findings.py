"""The audit's findings from the onboarding's check-mode results (audit_findings.py): readable diffs, drift entries,
foreign trust, roles without MFA, the root user's state, a client's section and the engineers' section."""

import pytest

from ansible_collections.msp.aws_accounts.plugins.module_utils.audit_findings import (
    client_section,
    diff_lines,
    drift_entry,
    engineer_section,
    foreign_trust,
    roles_without_mfa,
    root_state,
)

MSP = ["123456789012", "111111111111"]
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({}, {}, []),
        ({"a": 1}, {"a": 1}, []),
        (
            {"parent": "/Clients/Onboarding"},
            {"parent": "/Clients/Production"},
            ["parent: /Clients/Onboarding -> /Clients/Production"],
        ),
        ({"tags": {"client": "acme"}}, {"tags": {"client": "acme", "cost": "4711"}}, ["tags.cost: (none) -> 4711"]),
        ({"tags": {"client": "acme", "x": "1"}}, {"tags": {"client": "acme"}}, ["tags.x: 1 -> (none)"]),
        ({"managed": [ADMIN, "b"]}, {"managed": ["b"]}, [f"managed: -{ADMIN}"]),
        ({"managed": ["b"]}, {"managed": ["b", "c"]}, ["managed: +c"]),
        ({"managed": ["a", "b"]}, {"managed": ["b", "a"]}, ['managed: order ["a","b"] -> ["b","a"]']),
        (
            {"trust": {"Statement": [{"Effect": "Allow"}]}},
            {"trust": {"Statement": [{"Effect": "Allow", "Condition": {"Bool": {"mfa": "true"}}}]}},
            ['trust.Statement[0].Condition: (none) -> {"Bool": {"mfa": "true"}}'],
        ),
        ({"s": [{"a": 1}]}, {"s": [{"a": 1}, {"b": 2}]}, ['s: +{"b": 2}']),
        ({"contact": None}, {"contact": {"name": "Ops"}}, ['contact: (none) -> {"name": "Ops"}']),
        ("x", "y", ["(value): x -> y"]),
    ],
)
def test_diff_lines(before, after, expected):
    assert diff_lines(before, after) == expected


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (None, None),
        ({"changed": False, "diff": {"before": {"a": 1}, "after": {"a": 2}}}, None),
        (
            {"changed": True, "diff": {"before": {"a": 1}, "after": {"a": 2}}, "changes": [{"action": "Put"}]},
            {"subject": "s", "actions": ["Put"], "changes": ["a: 1 -> 2"]},
        ),
        (
            {"changed": True, "diff": {"before": {}, "after": {"a": 2}}},
            {"subject": "s", "actions": [], "changes": ["missing: a run would create it"]},
        ),
        (
            {"changed": True, "diff": {"before": {"a": 1}, "after": {}}},
            {"subject": "s", "actions": [], "changes": ["not in the inventory: a run would remove it"]},
        ),
        (
            {"changed": True, "diff": [{"before": {"a": 1}, "after": {"a": 3}}]},
            {"subject": "s", "actions": [], "changes": ["a: 1 -> 3"]},
        ),
        ({"changed": True}, {"subject": "s", "actions": [], "changes": []}),
    ],
)
def test_drift_entry(result, expected):
    assert drift_entry("s", result) == expected


def grant(principal, account_id, require_mfa=True, blocked=False):
    return {"principal": principal, "account_id": account_id, "require_mfa": require_mfa, "blocked": blocked}


def role(name, *grants):
    return {"name": name, "arn": f"arn:aws:iam::222222222222:role/{name}", "grants": list(grants)}


ROLES = [
    role("MspAdmin", grant("arn:aws:iam::123456789012:root", "123456789012")),
    role("NoMfa", grant("123456789012", "123456789012", require_mfa=False)),
    role("OrganizationAccountAccessRole", grant("111111111111", "111111111111", require_mfa=False)),
    role("Vendor", grant("999999999999", "999999999999", require_mfa=False)),
    role("Anyone", grant("*", None)),
    role("Closed", grant("999999999999", "999999999999", blocked=True)),
    role("Both", grant("123456789012", "123456789012"), grant("888888888888", "888888888888")),
]


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (None, []),
        ([], []),
        (ROLES, [("Vendor", ["999999999999"]), ("Anyone", ["*"]), ("Both", ["888888888888"])]),
    ],
)
def test_foreign_trust(roles, expected):
    assert [(r["name"], r["principals"]) for r in foreign_trust(roles, MSP)] == expected


@pytest.mark.parametrize(
    ("access_role", "expected"),
    [
        ("OrganizationAccountAccessRole", [("NoMfa", ["123456789012"])]),
        ("MspOrganizationAccess", [("NoMfa", ["123456789012"]), ("OrganizationAccountAccessRole", ["111111111111"])]),
    ],
)
def test_roles_without_mfa(access_role, expected):
    assert [(r["name"], r["principals"]) for r in roles_without_mfa(ROLES, MSP, access_role)] == expected


NO_CREDENTIALS = {
    "account_id": "222222222222",
    "has_credentials": False,
    "login_profile": False,
    "access_keys": [],
    "signing_certificates": [],
    "mfa_devices": [],
}


@pytest.mark.parametrize(
    ("result", "reason", "state", "held", "why"),
    [
        ({"root_credentials": NO_CREDENTIALS}, None, "none", [], None),
        (
            {"root_credentials": dict(NO_CREDENTIALS, has_credentials=True, login_profile=True, access_keys=[{}, {}])},
            None,
            "present",
            ["a password", "2 access key(s)"],
            None,
        ),
        (
            {"root_credentials": dict(NO_CREDENTIALS, has_credentials=True, mfa_devices=[{}])},
            None,
            "present",
            ["1 MFA device(s)"],
            None,
        ),
        ({"failed": True, "msg": "root access is not enabled"}, None, "unknown", [], "root access is not enabled"),
        (None, "msp_root_access is false", "unknown", [], "msp_root_access is false"),
        (None, None, "unknown", [], "the root user's credentials were not read"),
    ],
)
def test_root_state(result, reason, state, held, why):
    root = root_state("delete", result, reason)
    assert (root["state"], root["held"], root["reason"], root["policy"]) == (state, held, why, "delete")


def client(**extra):
    return {
        "host": "acme",
        "key": "acme",
        "account_id": "222222222222",
        "join": "create",
        "results": [],
        "error": None,
        "roles": [],
        "access_role": "OrganizationAccountAccessRole",
        "root_policy": "delete",
        "root_result": {"root_credentials": NO_CREDENTIALS},
        **extra,
    }


WHO = "Client acme (account 222222222222): "
PASSWORD = {"root_credentials": dict(NO_CREDENTIALS, has_credentials=True, login_profile=True)}


@pytest.mark.parametrize(
    ("extra", "findings"),
    [
        ({}, []),
        (
            {
                "results": [
                    {
                        "subject": "the role /msp/A",
                        "result": {"changed": True, "diff": {"before": {"d": "x"}, "after": {"d": "y"}}},
                    }
                ]
            },
            [WHO + "the role /msp/A differs from the onboarding (now -> as onboarding sets it: d: x -> y)"],
        ),
        ({"results": [{"subject": "the account", "result": {"changed": False}}]}, []),
        (
            {"error": "could not assume"},
            [WHO + "the onboarding's check mode stopped, so drift past that point is unknown: could not assume"],
        ),
        ({"roles": None}, [WHO + "the account's roles could not be read, so their trust is unknown"]),
        (
            {"roles": [ROLES[3]]},
            [WHO + "role arn:aws:iam::222222222222:role/Vendor trusts accounts other than the MSP's: 999999999999"],
        ),
        (
            {"roles": [ROLES[1]]},
            [WHO + "role arn:aws:iam::222222222222:role/NoMfa lets the MSP's 123456789012 in without MFA"],
        ),
        (
            {"root_result": PASSWORD},
            [
                WHO
                + "the root user has a password although client_root_credentials is delete (onboarding deletes them: "
                "run playbooks/onboard.yml for the client)"
            ],
        ),
        ({"root_result": PASSWORD, "root_policy": "keep"}, []),
        ({"root_result": None, "root_reason": "msp_root_access is false"}, []),
    ],
)
def test_client_section_findings(extra, findings):
    section = client_section(client(**extra), MSP)
    assert section["findings"] == findings
    assert section["host"] == "acme" and section["account_id"] == "222222222222"


def test_client_section_keeps_what_it_found():
    section = client_section(client(roles=ROLES, root_result=PASSWORD, root_policy="keep"), MSP)
    assert [r["name"] for r in section["foreign_trust"]] == ["Vendor", "Anyone", "Both"]
    assert [r["name"] for r in section["no_mfa"]] == ["NoMfa"]
    assert section["root"]["state"] == "present" and section["root"]["held"] == ["a password"]
    assert section["roles_read"] and section["drift"] == []


POLICY = {"name": "msp-oncall-client-roles-01", "group": "msp-oncall", "document": {"Statement": [{"Resource": ["a"]}]}}


@pytest.mark.parametrize(
    ("plan", "documents", "error", "expected"),
    [
        (None, None, None, []),
        (
            {
                "users_to_create": [],
                "policies_to_create": [],
                "groups_to_converge": [],
                "policies_to_update": [],
                "policies_to_delete": [],
            },
            {},
            None,
            [],
        ),
        ({"users_to_create": ["bob"]}, {}, None, [("engineer bob's IAM user", ["missing: a run would create it"])]),
        (
            {"policies_to_create": [POLICY]},
            {},
            None,
            [
                (
                    "policy msp-oncall-client-roles-01 of group msp-oncall",
                    ["missing or not attached: a run would create and attach it"],
                )
            ],
        ),
        (
            {
                "groups_to_converge": [
                    {
                        "name": "g",
                        "create": False,
                        "users_added": ["alice"],
                        "users_removed": ["eve"],
                        "policies_attached": [],
                    }
                ]
            },
            {},
            None,
            [("group g", ["member +alice", "member -eve"])],
        ),
        (
            {"groups_to_converge": [{"name": "g", "create": True, "policies_attached": ["arn"]}]},
            {},
            None,
            [("group g", ["missing: a run would create it"])],
        ),
        (
            {"groups_to_converge": [{"name": "g", "create": False, "path": "/x/"}]},
            {},
            None,
            [("group g", ["path -> /x/"])],
        ),
        (
            {"policies_to_update": [POLICY]},
            {POLICY["name"]: {"Statement": [{"Resource": "*"}]}},
            None,
            [("policy msp-oncall-client-roles-01 of group msp-oncall", ['document.Statement[0].Resource: * -> ["a"]'])],
        ),
        (
            {"policies_to_delete": [{"name": "p", "group": "g"}]},
            {},
            None,
            [("policy p", ["no group needs it: a run would delete it"])],
        ),
    ],
)
def test_engineer_section(plan, documents, error, expected):
    section = engineer_section(plan, documents, error)
    assert [(entry["subject"], entry["changes"]) for entry in section["drift"]] == expected
    assert len(section["findings"]) == len(expected)


def test_engineer_section_error_is_a_finding():
    section = engineer_section(None, None, "could not assume the identity account's role")
    assert section["findings"] == [
        "Engineers' access (identity account): the onboarding's check mode stopped: could not assume the identity "
        "account's role"
    ]
