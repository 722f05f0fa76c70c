"""The engineers' group policies: exactly the roles each group serves, only with MFA, cut to IAM's size, and the
plan that converges the identity account."""

import json
import re

import pytest

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput
from ansible_collections.msp.aws_accounts.plugins.module_utils.engineer_access import (
    MANAGED_POLICY_MAX_SIZE,
    access_plan,
    engineer_problems,
    group_policies,
    is_policy_of,
    policy_name,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.iam_roles import policy_size

IDENTITY = "123456789012"
ACME = "111111111111"
GLOBEX = "210987654321"
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def spec(key, role_name, groups, mfa_max_age=None, path="/msp/"):
    return {"key": key, "role_name": role_name, "path": path, "mfa_max_age": mfa_max_age, "engineer_groups": groups}


CATALOGUE = [
    spec("admin", "MspAdmin", ["msp-admins"], mfa_max_age=3600),
    spec("engineer", "MspEngineer", ["msp-admins", "msp-engineers"]),
    spec("oncall", "MspOnCall", ["msp-admins", "msp-engineers", "msp-oncall"]),
]


def client(host, account_id, roles=None):
    return {"host": host, "key": host, "account_id": account_id, "roles": list(CATALOGUE if roles is None else roles)}


def arn(account, name, path="/msp/", partition="aws"):
    return f"arn:{partition}:iam::{account}:role{path}{name}"


def statement(arns, age=None):
    condition = dict(MFA)
    if age:
        condition["NumericLessThan"] = {"aws:MultiFactorAuthAge": str(age)}
    return {
        "Sid": "AssumeClientRolesWithMfa" + (f"Age{age}" if age else ""),
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": arns,
        "Condition": condition,
    }


def document(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


GROUPS = [{"name": "msp-admins"}, {"name": "msp-engineers"}, {"name": "msp-oncall", "path": "/oncall/"}]
TWO_CLIENTS = [client("acme", ACME), client("globex", GLOBEX, CATALOGUE[1:])]

# case: (clients, groups, partition, {group: [documents of its policies]})
POLICY_CASES = {
    "admins-get-every-role-age-statement-first": (
        TWO_CLIENTS,
        GROUPS,
        "aws",
        {
            "msp-admins": [
                document(
                    statement([arn(ACME, "MspAdmin")], 3600),
                    statement(
                        [
                            arn(ACME, "MspEngineer"),
                            arn(ACME, "MspOnCall"),
                            arn(GLOBEX, "MspEngineer"),
                            arn(GLOBEX, "MspOnCall"),
                        ]
                    ),
                )
            ]
        },
    ),
    "oncall-gets-only-oncall-roles": (
        TWO_CLIENTS,
        GROUPS,
        "aws",
        {"msp-oncall": [document(statement([arn(ACME, "MspOnCall"), arn(GLOBEX, "MspOnCall")]))]},
    ),
    "group-clients-limit-what-it-serves": (
        TWO_CLIENTS,
        [*GROUPS[:2], {"name": "msp-oncall", "clients": ["globex"]}],
        "aws",
        {"msp-oncall": [document(statement([arn(GLOBEX, "MspOnCall")]))]},
    ),
    "group-serving-no-client-gets-no-policy": (
        TWO_CLIENTS,
        [*GROUPS[:2], {"name": "msp-oncall", "clients": []}],
        "aws",
        {"msp-oncall": []},
    ),
    "group-no-role-names-gets-no-policy": (
        [client("acme", ACME, CATALOGUE[:1])],
        GROUPS,
        "aws",
        {
            "msp-admins": [document(statement([arn(ACME, "MspAdmin")], 3600))],
            "msp-engineers": [],
            "msp-oncall": [],
        },
    ),
    "no-clients-no-policies": ([], GROUPS, "aws", {"msp-admins": [], "msp-engineers": [], "msp-oncall": []}),
    "custom-role-on-root-path": (
        [client("hooli", ACME, [spec("analyst", "HooliAnalyst", ["msp-engineers"], path=None)])],
        GROUPS,
        "aws",
        {"msp-engineers": [document(statement([arn(ACME, "HooliAnalyst", path="/")]))], "msp-oncall": []},
    ),
    "two-ages-two-statements-shortest-first": (
        [
            client(
                "acme",
                ACME,
                [spec("a", "RoleA", ["g"], mfa_max_age=7200), spec("b", "RoleB", ["g"], mfa_max_age=900)],
            )
        ],
        [{"name": "g"}],
        "aws",
        {"g": [document(statement([arn(ACME, "RoleB")], 900), statement([arn(ACME, "RoleA")], 7200))]},
    ),
    "china-partition": (
        [client("acme", ACME, CATALOGUE[2:])],
        GROUPS,
        "aws-cn",
        {"msp-oncall": [document(statement([arn(ACME, "MspOnCall", partition="aws-cn")]))]},
    ),
}


@pytest.mark.parametrize(("clients", "groups", "partition", "expected"), POLICY_CASES.values(), ids=POLICY_CASES)
def test_group_policies(clients, groups, partition, expected):
    result = group_policies(clients, groups, partition)
    assert [g["name"] for g in result] == [g["name"] for g in groups]
    for group in (g for g in result if g["name"] in expected):
        assert [p["document"] for p in group["policies"]] == expected[group["name"]]
        assert [p["name"] for p in group["policies"]] == [
            policy_name(group["name"], n) for n in range(1, len(group["policies"]) + 1)
        ]


def test_group_path_defaults_to_root():
    assert [g["path"] for g in group_policies(TWO_CLIENTS, GROUPS)] == ["/", "/", "/oncall/"]


def test_same_input_in_any_order_gives_the_same_documents():
    forward = group_policies(TWO_CLIENTS, GROUPS)
    backward = group_policies([dict(c, roles=list(reversed(c["roles"]))) for c in reversed(TWO_CLIENTS)], GROUPS)
    assert json.dumps(forward, sort_keys=True) == json.dumps(backward, sort_keys=True)


def many_clients(count):
    return [client(f"client{n:03d}", f"{100000000000 + n:012d}") for n in range(count)]


def test_300_clients_with_3_roles_are_cut_into_policies_that_fit():
    clients = many_clients(300)
    admins = group_policies(clients, GROUPS)[0]
    assert len(admins["role_arns"]) == 900
    sizes = [policy_size(p["document"]) for p in admins["policies"]]
    assert all(size <= MANAGED_POLICY_MAX_SIZE for size in sizes), sizes
    # the fewest pieces: every policy but the last is full enough that the next ARN would not fit
    assert all(size > MANAGED_POLICY_MAX_SIZE - 60 for size in sizes[:-1]), sizes
    assert 1 < len(admins["policies"]) <= 10
    granted = [
        (resource, s["Condition"].get("NumericLessThan"))
        for p in admins["policies"]
        for s in p["document"]["Statement"]
        for resource in s["Resource"]
    ]
    # every role exactly once, none lost or repeated across the pieces, admin roles with their MFA age
    assert sorted(resource for resource, _age in granted) == admins["role_arns"]
    assert {r for r, age in granted if age} == {arn(c["account_id"], "MspAdmin") for c in clients}
    assert [p["name"] for p in admins["policies"]][:2] == ["msp-admins-client-roles-01", "msp-admins-client-roles-02"]
    for p in admins["policies"]:
        for s in p["document"]["Statement"]:
            assert s["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}


def test_adding_a_client_keeps_the_names_and_only_extends():
    before = group_policies(many_clients(300), GROUPS)[2]["policies"]
    after = group_policies(many_clients(301), GROUPS)[2]["policies"]
    assert [p["name"] for p in after][: len(before)] == [p["name"] for p in before]
    assert after[: len(before) - 1] == before[:-1]


ERROR_CASES = {
    "role-names-unknown-group": (
        [client("acme", ACME, [spec("x", "X", ["msp-nobody"])])],
        GROUPS,
        10,
        "acme: role x engineer_groups",
    ),
    "group-listed-twice": (TWO_CLIENTS, [{"name": "g"}, {"name": "g"}], 10, r"msp_engineer_groups\[1\].name"),
    "group-name-not-iam": (TWO_CLIENTS, [{"name": "bad name"}], 10, r"msp_engineer_groups\[0\].name"),
    "group-name-too-long-for-policy-names": (
        TWO_CLIENTS,
        [{"name": "g" * 120}],
        10,
        "keep group names to 112 characters",
    ),
    "more-policies-than-the-quota": (many_clients(300), GROUPS, 2, "msp_engineer_groups msp-admins"),
}


@pytest.mark.parametrize(("clients", "groups", "max_policies", "message"), ERROR_CASES.values(), ids=ERROR_CASES)
def test_group_policies_errors(clients, groups, max_policies, message):
    with pytest.raises(InvalidInput, match=message):
        group_policies(clients, groups, max_policies=max_policies)


NAME_CASES = {
    "own-policy": ("msp-oncall", "msp-oncall-client-roles-01", True),
    "three-digits": ("msp-oncall", "msp-oncall-client-roles-100", True),
    "other-group": ("msp-oncall", "msp-admins-client-roles-01", False),
    "prefix-group": ("msp", "msp-oncall-client-roles-01", False),
    "not-numbered": ("msp-oncall", "msp-oncall-client-roles-extra", False),
    "someone-elses": ("msp-oncall", "ReadOnlyAccess", False),
}


@pytest.mark.parametrize(("group", "name", "ours"), NAME_CASES.values(), ids=NAME_CASES)
def test_is_policy_of(group, name, ours):
    assert is_policy_of(group, name) is ours


# --- the plan -------------------------------------------------------------------------------------------

DESIRED = group_policies([client("acme", ACME)], GROUPS)
ENGINEERS = [{"name": "alice", "groups": ["msp-admins"]}, {"name": "bob", "groups": ["msp-oncall"]}]


def policy_arn(name):
    return f"arn:aws:iam::{IDENTITY}:policy/{name}"


def attached(*names):
    return [{"name": name, "arn": policy_arn(name)} for name in names]


def group_state(name, users=(), policies=(), path="/", exists=True):
    return {"name": name, "exists": exists, "path": path, "users": list(users), "attached_policies": list(policies)}


def converged():
    """The identity account as a finished run leaves it."""
    return {
        "groups": [
            group_state("msp-admins", ["alice"], attached("msp-admins-client-roles-01")),
            group_state("msp-engineers", [], attached("msp-engineers-client-roles-01")),
            group_state("msp-oncall", ["bob"], attached("msp-oncall-client-roles-01"), path="/oncall/"),
        ],
        "users": [{"name": "alice", "exists": True}, {"name": "bob", "exists": True}],
        "policy_documents": {p["name"]: json.loads(json.dumps(p["document"])) for g in DESIRED for p in g["policies"]},
    }


def changed_state(change):
    state = converged()
    change(state)
    return state


def group_of(state, name):
    return next(g for g in state["groups"] if g["name"] == name)


def fresh(state):
    state["groups"] = [group_state(g["name"], exists=False) for g in state["groups"]]
    state["users"] = [dict(u, exists=False) for u in state["users"]]
    state["policy_documents"] = {}


def reordered_document(state):
    doc = state["policy_documents"]["msp-admins-client-roles-01"]
    doc["Statement"] = list(reversed(doc["Statement"]))
    doc["Statement"][0]["Resource"] = list(reversed(doc["Statement"][0]["Resource"]))
    doc["Statement"][0]["Action"] = ["sts:assumerole"]


def old_document(state):
    state["policy_documents"]["msp-oncall-client-roles-01"]["Statement"][0]["Resource"].append(arn(GLOBEX, "MspOnCall"))


def stale_and_foreign(state):
    group_of(state, "msp-oncall")["attached_policies"] += attached("msp-oncall-client-roles-02", "TeamExtra")
    group_of(state, "msp-oncall")["attached_policies"].append(
        {"name": "msp-oncall-client-roles-03", "arn": "arn:aws:iam::999999999999:policy/msp-oncall-client-roles-03"}
    )


def detached(state):
    """A policy that is not attached: its document is not read."""
    group_of(state, "msp-engineers")["attached_policies"] = []
    del state["policy_documents"]["msp-engineers-client-roles-01"]


def members_drift(state):
    group_of(state, "msp-admins")["users"] = ["alice", "bob", "carol"]
    group_of(state, "msp-oncall")["users"] = []


# case: (state change, expected plan without "changed")
PLAN_CASES = {
    "converged-is-a-no-op": (lambda state: None, {}),
    "reordered-document-is-the-same": (reordered_document, {}),
    "unlisted-member-stays": (lambda s: group_of(s, "msp-oncall")["users"].append("carol"), {}),
    "fresh-account": (
        fresh,
        {
            "users_to_create": ["alice", "bob"],
            "policies_to_write": [
                "msp-admins-client-roles-01",
                "msp-engineers-client-roles-01",
                "msp-oncall-client-roles-01",
            ],
            "groups_to_converge": [
                ("msp-admins", True, ["alice"], False),
                ("msp-engineers", True, [], False),
                ("msp-oncall", True, ["bob"], False),
            ],
        },
    ),
    "changed-document-is-written": (old_document, {"policies_to_write": ["msp-oncall-client-roles-01"]}),
    "detached-policy-is-written-and-attached": (
        detached,
        {
            "policies_to_write": ["msp-engineers-client-roles-01"],
            "groups_to_converge": [("msp-engineers", False, [], False)],
        },
    ),
    "stale-policy-of-ours-deleted-others-kept": (
        stale_and_foreign,
        {"policies_to_delete": ["msp-oncall-client-roles-02"]},
    ),
    "path-changed": (
        lambda s: group_of(s, "msp-oncall").update(path="/"),
        {"groups_to_converge": [("msp-oncall", False, ["bob"], False)]},
    ),
    "listed-engineer-removed-unlisted-kept-missing-added": (
        members_drift,
        {
            "groups_to_converge": [
                ("msp-admins", False, ["alice", "carol"], True),
                ("msp-oncall", False, ["bob"], False),
            ]
        },
    ),
    "missing-user-created": (
        lambda s: s["users"][1].update(exists=False),
        {"users_to_create": ["bob"]},
    ),
}


@pytest.mark.parametrize(("change", "expected"), PLAN_CASES.values(), ids=PLAN_CASES)
def test_access_plan(change, expected):
    plan = access_plan(DESIRED, ENGINEERS, changed_state(change), IDENTITY)
    assert plan["users_to_create"] == expected.get("users_to_create", [])
    assert [p["name"] for p in plan["policies_to_write"]] == expected.get("policies_to_write", [])
    assert [(g["name"], g["create"], g["users"], g["purge_users"]) for g in plan["groups_to_converge"]] == expected.get(
        "groups_to_converge", []
    )
    assert [p["name"] for p in plan["policies_to_delete"]] == expected.get("policies_to_delete", [])
    assert plan["changed"] is bool(expected)


def test_a_group_losing_all_roles_loses_its_policies():
    desired = group_policies([client("acme", ACME, CATALOGUE[:2])], GROUPS)
    plan = access_plan(desired, ENGINEERS, converged(), IDENTITY)
    assert [p["name"] for p in plan["policies_to_delete"]] == ["msp-oncall-client-roles-01"]
    assert [p["name"] for p in plan["policies_to_write"]] == [
        "msp-admins-client-roles-01",
        "msp-engineers-client-roles-01",
    ]
    assert plan["groups_to_converge"] == []


def test_a_new_group_gets_its_policies_attached_by_arn():
    plan = access_plan(DESIRED, ENGINEERS, changed_state(fresh), IDENTITY)
    oncall = plan["groups_to_converge"][2]
    assert oncall["managed_policies"] == [policy_arn("msp-oncall-client-roles-01")]
    assert oncall["path"] == "/oncall/"


ENGINEER_ERRORS = {
    "unknown-group": ([{"name": "alice", "groups": ["msp-nobody"]}], r"msp_engineers\[0\].groups"),
    "listed-twice": ([{"name": "alice", "groups": []}, {"name": "alice", "groups": []}], r"msp_engineers\[1\].name"),
}


@pytest.mark.parametrize(("engineers", "variable"), ENGINEER_ERRORS.values(), ids=ENGINEER_ERRORS)
def test_engineer_problems(engineers, variable):
    [(found, _rule)] = engineer_problems(engineers, GROUPS)
    assert re.fullmatch(variable, found)
