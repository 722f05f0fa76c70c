"""The engineers' group policies: exactly the roles each group serves, only with MFA, cut to IAM's size, and the
plan that converges the identity account."""

import json
import re

import pytest

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput
from ansible_collections.msp.aws_accounts.plugins.module_utils.engineer_access import (
    MANAGED_POLICY_MAX_SIZE,
    POLICY_PATH,
    access_plan,
    engineer_problems,
    group_policies,
    is_policy_of,
    policy_group,
    policy_name,
    serves,
    update_order,
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
    "group-clients-are-inventory-names-not-keys": (
        [
            dict(client("acme", ACME, CATALOGUE[2:]), key="acme-corp"),
            dict(client("globex", GLOBEX, CATALOGUE[2:]), key="acme"),
        ],
        [*GROUPS[:2], {"name": "msp-oncall", "clients": ["acme"]}],
        "aws",
        {"msp-oncall": [document(statement([arn(ACME, "MspOnCall")]))]},
    ),
    "group-listing-only-a-client-key-serves-nothing": (
        [dict(client("globex", GLOBEX, CATALOGUE[2:]), key="globex-corp")],
        [*GROUPS[:2], {"name": "msp-oncall", "clients": ["globex-corp"]}],
        "aws",
        {"msp-oncall": []},
    ),
    "no-clients-no-policies": ([], GROUPS, "aws", {"msp-admins": [], "msp-engineers": [], "msp-oncall": []}),
    "custom-role-on-root-path": (
        [client("hooli", ACME, [spec("analyst", "HooliAnalyst", ["msp-engineers"], path="/")])],
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


def test_policies_are_on_the_collections_own_path():
    result = group_policies(TWO_CLIENTS, GROUPS, policy_path="/msp-other/")
    assert {p["path"] for g in result for p in g["policies"]} == {"/msp-other/"}
    assert {p["path"] for g in group_policies(TWO_CLIENTS, GROUPS) for p in g["policies"]} == {POLICY_PATH}


# case: (group, host, served)
SERVES_CASES = {
    "no-clients-serves-every-client": ({"name": "g"}, "acme", True),
    "clients-none-serves-every-client": ({"name": "g", "clients": None}, "acme", True),
    "listed-inventory-name": ({"name": "g", "clients": ["acme"]}, "acme", True),
    "not-listed": ({"name": "g", "clients": ["acme"]}, "globex", False),
    "empty-list-serves-none": ({"name": "g", "clients": []}, "acme", False),
    "undefined-group-serves-every-client": (None, "acme", True),
}


@pytest.mark.parametrize(("group", "host", "served"), SERVES_CASES.values(), ids=SERVES_CASES)
def test_serves(group, host, served):
    assert serves(group, host) is served


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
    "role-without-path": (
        [client("hooli", ACME, [spec("analyst", "HooliAnalyst", ["msp-engineers"], path=None)])],
        GROUPS,
        10,
        "hooli: role analyst path: is required",
    ),
    "group-name-not-ascii-word": (TWO_CLIENTS, [{"name": "msp/oncall"}], 10, r"msp_engineer_groups\[0\].name"),
    "group-path-not-iam": (TWO_CLIENTS, [{"name": "g", "path": "oncall"}], 10, r"msp_engineer_groups\[0\].path"),
}


@pytest.mark.parametrize(("clients", "groups", "max_policies", "message"), ERROR_CASES.values(), ids=ERROR_CASES)
def test_group_policies_errors(clients, groups, max_policies, message):
    with pytest.raises(InvalidInput, match=message):
        group_policies(clients, groups, max_policies=max_policies)


# case: (engineers, policy_path, message)
INPUT_ERROR_CASES = {
    "engineer-name-not-iam": ([{"name": "alice smith", "groups": []}], POLICY_PATH, r"msp_engineers\[0\].name"),
    "engineer-name-too-long": ([{"name": "a" * 65, "groups": []}], POLICY_PATH, r"msp_engineers\[0\].name"),
    "engineer-unknown-group": ([{"name": "alice", "groups": ["nobody"]}], POLICY_PATH, r"msp_engineers\[0\].groups"),
    "policy-path-root": ([], "/", "engineer_access_policy_path: must be a path of the collection's own"),
    "policy-path-not-iam": ([], "msp", "engineer_access_policy_path: 'msp'"),
}


@pytest.mark.parametrize(("engineers", "policy_path", "message"), INPUT_ERROR_CASES.values(), ids=INPUT_ERROR_CASES)
def test_group_policies_refuse_input_iam_refuses_before_any_call(engineers, policy_path, message):
    with pytest.raises(InvalidInput, match=message):
        group_policies(TWO_CLIENTS, GROUPS, engineers=engineers, policy_path=policy_path)


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
    assert (policy_group(name) == group) is ours


def test_policy_group():
    assert policy_group("msp-oncall-client-roles-02") == "msp-oncall"
    assert policy_group("ReadOnlyAccess") is None


# --- the plan -------------------------------------------------------------------------------------------

DESIRED = group_policies([client("acme", ACME)], GROUPS)
ENGINEERS = [{"name": "alice", "groups": ["msp-admins"]}, {"name": "bob", "groups": ["msp-oncall"]}]


def policy_arn(name, path=POLICY_PATH, account=IDENTITY):
    return f"arn:aws:iam::{account}:policy{path}{name}"


def attached(*names):
    return [{"name": name, "arn": policy_arn(name)} for name in names]


def listed(*names, path=POLICY_PATH, attachment_count=1):
    """Policies as aws_iam_group_info lists them on the policy path."""
    return [
        {
            "name": name,
            "arn": policy_arn(name, path),
            "path": path,
            "default_version_id": "v1",
            "attachment_count": attachment_count,
        }
        for name in names
    ]


def group_state(name, users=(), policies=(), path="/", exists=True):
    return {"name": name, "exists": exists, "path": path, "users": list(users), "attached_policies": list(policies)}


MEMBERS = {"msp-admins": ["alice"], "msp-oncall": ["bob"]}


def converged(desired=None):
    """The identity account as a finished run leaves it (for ``desired``, DESIRED unless given)."""
    desired = DESIRED if desired is None else desired
    return {
        "groups": [
            group_state(
                g["name"], MEMBERS.get(g["name"], []), attached(*(p["name"] for p in g["policies"])), path=g["path"]
            )
            for g in desired
        ],
        "users": [{"name": "alice", "exists": True}, {"name": "bob", "exists": True}],
        "policies": listed(*sorted(p["name"] for g in desired for p in g["policies"])),
        "policy_documents": {p["name"]: json.loads(json.dumps(p["document"])) for g in desired for p in g["policies"]},
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
    state["policies"] = []
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
    state["policies"] += listed("msp-oncall-client-roles-02")


def detached(state):
    """A policy that exists but is not attached: its document is not read."""
    group_of(state, "msp-engineers")["attached_policies"] = []
    del state["policy_documents"]["msp-engineers-client-roles-01"]


def members_drift(state):
    group_of(state, "msp-admins")["users"] = ["alice", "bob", "carol"]
    group_of(state, "msp-oncall")["users"] = []


def group_left_the_inventory(state):
    """msp-sales was listed once: its group is still there, with our policy attached."""
    state["groups"].append(group_state("msp-sales", ["carol"], attached("msp-sales-client-roles-01")))
    state["policies"] += listed("msp-sales-client-roles-01", "msp-sales-client-roles-02")


def unattached_piece(state):
    """A run wrote -02 for msp-admins, then failed before attaching it."""
    state["policies"] += listed("msp-admins-client-roles-02", attachment_count=0)


def others_on_or_below_our_path(state):
    state["policies"] += listed("TeamNotes") + listed("msp-sales-client-roles-01", path=POLICY_PATH + "team/")


# case: (state change, expected plan without "changed")
PLAN_CASES = {
    "converged-is-a-no-op": (lambda state: None, {}),
    "reordered-document-is-the-same": (reordered_document, {}),
    "unlisted-member-stays": (lambda s: group_of(s, "msp-oncall")["users"].append("carol"), {}),
    "fresh-account": (
        fresh,
        {
            "users_to_create": ["alice", "bob"],
            "policies_to_create": [
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
    "changed-document-is-rewritten-after-the-groups": (
        old_document,
        {"policies_to_update": ["msp-oncall-client-roles-01"]},
    ),
    "detached-policy-is-written-then-attached": (
        detached,
        {
            "policies_to_create": ["msp-engineers-client-roles-01"],
            "groups_to_converge": [("msp-engineers", False, [], False)],
        },
    ),
    "stale-policy-of-ours-deleted-others-kept": (
        stale_and_foreign,
        {"policies_to_delete": ["msp-oncall-client-roles-02"]},
    ),
    "group-taken-out-of-the-inventory-loses-our-policies": (
        group_left_the_inventory,
        {"policies_to_delete": ["msp-sales-client-roles-01", "msp-sales-client-roles-02"]},
    ),
    "piece-never-attached-is-deleted": (unattached_piece, {"policies_to_delete": ["msp-admins-client-roles-02"]}),
    "others-on-or-below-our-path-are-kept": (others_on_or_below_our_path, {}),
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
    assert [p["name"] for p in plan["policies_to_create"]] == expected.get("policies_to_create", [])
    assert [(g["name"], g["create"], g["users"], g["purge_users"]) for g in plan["groups_to_converge"]] == expected.get(
        "groups_to_converge", []
    )
    assert [p["name"] for p in plan["policies_to_update"]] == expected.get("policies_to_update", [])
    assert [p["name"] for p in plan["policies_to_delete"]] == expected.get("policies_to_delete", [])
    assert plan["changed"] is bool(expected)


def test_the_policies_of_a_group_taken_out_are_deleted_by_arn_with_their_group():
    plan = access_plan(DESIRED, ENGINEERS, changed_state(group_left_the_inventory), IDENTITY)
    assert plan["policies_to_delete"][0] == {
        "group": "msp-sales",
        "name": "msp-sales-client-roles-01",
        "arn": policy_arn("msp-sales-client-roles-01"),
    }


def test_a_group_losing_all_roles_loses_its_policies():
    desired = group_policies([client("acme", ACME, CATALOGUE[:2])], GROUPS)
    plan = access_plan(desired, ENGINEERS, converged(), IDENTITY)
    assert [p["name"] for p in plan["policies_to_delete"]] == ["msp-oncall-client-roles-01"]
    assert [p["name"] for p in plan["policies_to_update"]] == [
        "msp-admins-client-roles-01",
        "msp-engineers-client-roles-01",
    ]
    assert plan["policies_to_create"] == []
    assert plan["groups_to_converge"] == []


def test_a_new_group_gets_its_policies_attached_by_arn_on_the_policy_path():
    plan = access_plan(DESIRED, ENGINEERS, changed_state(fresh), IDENTITY)
    oncall = plan["groups_to_converge"][2]
    assert oncall["managed_policies"] == [policy_arn("msp-oncall-client-roles-01")]
    assert oncall["path"] == "/oncall/"
    assert {p["path"] for p in plan["policies_to_create"]} == {POLICY_PATH}


# --- the order of the writes: a group never loses, even briefly, a role it keeps -------------------------


def _effective(names, documents):
    return {a for name in names for s in documents[name]["Statement"] for a in s["Resource"]}


def _replay(before, after):
    """Apply the plan from ``before`` to ``after`` write by write, as the role's tasks do, and check after every
    write that each group can still assume every role it has both before and after."""
    plan = access_plan(after, ENGINEERS, converged(before), IDENTITY)
    for old, new in zip(before, after, strict=True):
        group = new["name"]
        documents = {p["name"]: p["document"] for p in old["policies"]}
        attached_names = set(documents)
        kept = set(old["role_arns"]) & set(new["role_arns"])
        writes = [("write", p) for p in plan["policies_to_create"] if p["group"] == group]
        writes += [("attach", g) for g in plan["groups_to_converge"] if g["name"] == group]
        writes += [("write", p) for p in plan["policies_to_update"] if p["group"] == group]
        writes += [("delete", p) for p in plan["policies_to_delete"] if p["group"] == group]
        for kind, item in writes:
            if kind == "write":
                documents[item["name"]] = item["document"]
            elif kind == "attach":
                attached_names |= {a.rsplit("/", 1)[1] for a in item["managed_policies"]}
            else:
                attached_names.discard(item["name"])
            missing = kept - _effective(attached_names, documents)
            assert not missing, f"{group} lost {sorted(missing)[:3]} after {kind} {item['name']}"
        assert _effective(attached_names, documents) == set(new["role_arns"])
    return plan


ALL = many_clients(300)
# case: (clients before, clients after)
ORDER_CASES = {
    "one-policy-grows-to-two": (ALL[:100], ALL[:200]),
    "clients-added-first-push-roles-into-later-policies": (ALL[100:200], ALL[:200]),
    "clients-removed-first-pull-roles-into-earlier-policies": (ALL[:300], ALL[100:300]),
    "clients-removed-last-shrink-to-fewer-policies": (ALL[:300], ALL[:100]),
}


@pytest.mark.parametrize(("before", "after"), ORDER_CASES.values(), ids=ORDER_CASES)
def test_writes_never_take_away_a_role_the_group_keeps(before, after):
    _replay(group_policies(before, GROUPS), group_policies(after, GROUPS))


def test_a_group_growing_to_two_policies_attaches_the_new_one_before_the_first_is_rewritten():
    before, after = group_policies(ALL[:100], GROUPS), group_policies(ALL[:200], GROUPS)
    assert [p["name"] for p in before[2]["policies"]] == ["msp-oncall-client-roles-01"]
    plan = _replay(before, after)
    assert [p["name"] for p in plan["policies_to_create"] if p["group"] == "msp-oncall"] == [
        "msp-oncall-client-roles-02"
    ]
    step = next(g for g in plan["groups_to_converge"] if g["name"] == "msp-oncall")
    assert step["policies_attached"] == [policy_arn("msp-oncall-client-roles-02")]
    assert [p["name"] for p in plan["policies_to_update"] if p["group"] == "msp-oncall"] == [
        "msp-oncall-client-roles-01"
    ]


def _doc(*arns):
    return {"Statement": [{"Resource": list(arns)}]}


# case: (documents now, policies to write, expected order)
UPDATE_ORDER_CASES = {
    "role-moving-to-a-later-policy-is-added-there-first": (
        {"g-01": _doc("a", "b", "c"), "g-02": _doc("d")},
        {"g-01": _doc("a", "b"), "g-02": _doc("c", "d")},
        ["g-02", "g-01"],
    ),
    "role-moving-to-an-earlier-policy-is-added-there-first": (
        {"g-01": _doc("a", "b"), "g-02": _doc("c", "d")},
        {"g-01": _doc("a", "c"), "g-02": _doc("d")},
        ["g-01", "g-02"],
    ),
    "a-chain-of-moves": (
        {"g-01": _doc("a", "b"), "g-02": _doc("c", "d"), "g-03": _doc("e")},
        {"g-01": _doc("x", "a"), "g-02": _doc("b", "c"), "g-03": _doc("d", "e")},
        ["g-03", "g-02", "g-01"],
    ),
    "independent-by-name": (
        {"g-01": _doc("a"), "g-02": _doc("c")},
        {"g-01": _doc("b"), "g-02": _doc("d")},
        ["g-01", "g-02"],
    ),
    "unread-document": ({}, {"g-02": _doc("a"), "g-01": _doc("b")}, ["g-01", "g-02"]),
}


@pytest.mark.parametrize(("documents", "writes", "order"), UPDATE_ORDER_CASES.values(), ids=UPDATE_ORDER_CASES)
def test_update_order(documents, writes, order):
    updates = [{"name": name, "document": document} for name, document in writes.items()]
    assert [p["name"] for p in update_order(updates, documents)] == order


# --- IAM's quota of managed policies per group counts every policy attached ------------------------------


def foreign(count):
    return [{"name": f"Team{n:02d}", "arn": f"arn:aws:iam::aws:policy/Team{n:02d}"} for n in range(count)]


def test_other_policies_attached_count_against_the_quota():
    state = converged()
    group_of(state, "msp-oncall")["attached_policies"] += foreign(9)
    assert not access_plan(DESIRED, ENGINEERS, state, IDENTITY)["changed"]  # 1 of ours + 9 others = 10
    group_of(state, "msp-oncall")["attached_policies"] += foreign(10)[9:]
    with pytest.raises(InvalidInput, match="msp_engineer_groups msp-oncall") as raised:
        access_plan(DESIRED, ENGINEERS, state, IDENTITY)
    assert "the 10 other managed policies attached to it" in raised.value.rule
    assert access_plan(DESIRED, ENGINEERS, state, IDENTITY, max_policies=11)["changed"] is False


def test_our_stale_policies_do_not_count_against_the_quota():
    state = changed_state(stale_and_foreign)  # -02 of ours (deleted), TeamExtra and another account's -03
    group_of(state, "msp-oncall")["attached_policies"] += foreign(7)
    plan = access_plan(DESIRED, ENGINEERS, state, IDENTITY)  # 1 of ours + 9 others = 10
    assert [p["name"] for p in plan["policies_to_delete"]] == ["msp-oncall-client-roles-02"]


ENGINEER_ERRORS = {
    "unknown-group": ([{"name": "alice", "groups": ["msp-nobody"]}], r"msp_engineers\[0\].groups"),
    "listed-twice": ([{"name": "alice", "groups": []}, {"name": "alice", "groups": []}], r"msp_engineers\[1\].name"),
    "not-an-iam-user-name": ([{"name": "alice:admin", "groups": []}], r"msp_engineers\[0\].name"),
}


@pytest.mark.parametrize(("engineers", "variable"), ENGINEER_ERRORS.values(), ids=ENGINEER_ERRORS)
def test_engineer_problems(engineers, variable):
    [(found, _rule)] = engineer_problems(engineers, GROUPS)
    assert re.fullmatch(variable, found)
