"""Onboarding in slices: what a run over a slice of the inventory keeps of the engineers' policies, and how two
writers of one managed policy converge without losing each other's clients (IAM has no compare-and-set).

The merge rules are pure and tested table-driven; the write protocol (:class:`iam_groups.MergedPolicy`) runs
against an in-memory IAM whose calls can let a concurrent writer act first, at any step."""

import json

import pytest
from botocore.exceptions import ClientError

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import MspAwsError
from ansible_collections.msp.aws_accounts.plugins.module_utils.engineer_access import (
    POLICY_PATH,
    access_plan,
    deletable_versions,
    document_grants,
    group_policies,
    keeps,
    merge_grants,
    merged_groups,
    policy_document,
    rewrite_needed,
    version_number,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.iam_groups import MergedPolicy

IDENTITY = "123456789012"
ACME, GLOBEX, HOOLI, GONE = "111111111111", "210987654321", "333333333333", "444444444444"
MEMBERS = (IDENTITY, ACME, GLOBEX, HOOLI)


def arn(account, name="MspOnCall"):
    return f"arn:aws:iam::{account}:role/msp/{name}"


# --- the pure rules -------------------------------------------------------------------------------------------

DOCUMENT_CASES = {
    "mfa-only": (policy_document([(arn(ACME), None)]), {arn(ACME): None}),
    "ages-per-statement": (
        policy_document([(arn(ACME), 3600), (arn(GLOBEX), None)]),
        {arn(ACME): 3600, arn(GLOBEX): None},
    ),
    "one-resource-not-a-list": (
        {"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arn(ACME)}},
        {arn(ACME): None},
    ),
    "shorter-age-wins": (
        {
            "Statement": [
                {"Effect": "Allow", "Action": ["sts:AssumeRole"], "Resource": [arn(ACME)]},
                {
                    "Effect": "Allow",
                    "Action": "sts:AssumeRole",
                    "Resource": [arn(ACME)],
                    "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "900"}},
                },
            ]
        },
        {arn(ACME): 900},
    ),
    "deny-and-other-actions-ignored": (
        {
            "Statement": [
                {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": arn(ACME)},
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            ]
        },
        {},
    ),
    "none": (None, {}),
}


@pytest.mark.parametrize(("document", "grants"), DOCUMENT_CASES.values(), ids=DOCUMENT_CASES)
def test_document_grants(document, grants):
    assert document_grants(document) == grants


# case: (ARN, keep_account_ids, own_account_ids, kept)
KEEP_CASES = {
    "full-run-keeps-nothing": (arn(GLOBEX), None, [ACME], False),
    "other-slices-active-member": (arn(GLOBEX), MEMBERS, [ACME], True),
    "own-client-decided-by-this-inventory": (arn(ACME), MEMBERS, [ACME], False),
    "account-left-the-organization": (arn(GONE), MEMBERS, [ACME], False),
    "not-an-arn": ("*", MEMBERS, [ACME], False),
}


@pytest.mark.parametrize(("role", "keep", "own", "kept"), KEEP_CASES.values(), ids=KEEP_CASES)
def test_keeps(role, keep, own, kept):
    assert keeps(role, keep, own) is kept


def test_merge_keeps_other_slices_and_own_wins():
    own = {arn(ACME): 3600}
    others = {arn(ACME): None, arn(ACME, "Removed"): None, arn(GLOBEX): None, arn(GONE): None}
    assert merge_grants(own, others, MEMBERS, [ACME]) == {arn(ACME): 3600, arn(GLOBEX): None}
    assert merge_grants(own, others, None, [ACME]) == own


# case: (own, default version, added by concurrent writers, keep, to write next or None)
REWRITE_CASES = {
    "holds-everything": ({arn(ACME): None}, {arn(ACME): None, arn(GLOBEX): None}, {}, MEMBERS, None),
    "own-missing": (
        {arn(ACME): None},
        {arn(GLOBEX): None},
        {},
        MEMBERS,
        {arn(ACME): None, arn(GLOBEX): None},
    ),
    "own-age-differs": ({arn(ACME): 900}, {arn(ACME): None}, {}, MEMBERS, {arn(ACME): 900}),
    "concurrent-addition-lost": (
        {arn(ACME): None},
        {arn(ACME): None},
        {arn(HOOLI): None},
        MEMBERS,
        {arn(ACME): None, arn(HOOLI): None},
    ),
    "own-removed-role-still-there": (
        {arn(ACME): None},
        {arn(ACME): None, arn(ACME, "Removed"): None},
        {},
        MEMBERS,
        {arn(ACME): None},
    ),
    "left-account-still-there": ({arn(ACME): None}, {arn(ACME): None, arn(GONE): None}, {}, MEMBERS, {arn(ACME): None}),
    "full-run-drops-the-rest": ({arn(ACME): None}, {arn(ACME): None, arn(GLOBEX): None}, {}, None, {arn(ACME): None}),
    "full-run-ignores-additions": ({arn(ACME): None}, {arn(ACME): None}, {arn(HOOLI): None}, None, None),
}


@pytest.mark.parametrize(("own", "default", "added", "keep", "expected"), REWRITE_CASES.values(), ids=REWRITE_CASES)
def test_rewrite_needed(own, default, added, keep, expected):
    assert rewrite_needed(own, default, added, keep, [ACME]) == expected


# case: (versions read, default id, default grants, keep, deletable)
DELETE_CASES = {
    "merged-ones-go-oldest-first": (
        {"v3": {arn(GLOBEX): None}, "v2": {}, "v4": {arn(GLOBEX): None}},
        "v4",
        {arn(GLOBEX): None},
        MEMBERS,
        ["v2", "v3"],
    ),
    "never-the-default": ({"v1": {}}, "v1", {}, MEMBERS, []),
    "one-holding-an-unmerged-addition-stays": (
        {"v2": {arn(HOOLI): None}, "v3": {arn(GLOBEX): None}},
        "v3",
        {arn(GLOBEX): None},
        MEMBERS,
        [],
    ),
    "own-and-left-accounts-do-not-hold-one-back": (
        {"v2": {arn(ACME, "Removed"): None, arn(GONE): None}},
        "v3",
        {},
        MEMBERS,
        ["v2"],
    ),
    "full-run-deletes-every-read-one": ({"v2": {arn(HOOLI): None}}, "v3", {}, None, ["v2"]),
    "v10-after-v9": ({"v10": {}, "v9": {}}, "v11", {}, MEMBERS, ["v9", "v10"]),
}


@pytest.mark.parametrize(("read", "default_id", "default", "keep", "expected"), DELETE_CASES.values(), ids=DELETE_CASES)
def test_deletable_versions(read, default_id, default, keep, expected):
    assert deletable_versions(read, default_id, default, keep, [ACME]) == expected


@pytest.mark.parametrize(("version_id", "number"), [("v1", 1), ("v12", 12), (None, 0)])
def test_version_number(version_id, number):
    assert version_number(version_id) == number


# --- the plan of a slice ------------------------------------------------------------------------------------

CATALOGUE = [
    {"key": "oncall", "role_name": "MspOnCall", "path": "/msp/", "engineer_groups": ["msp-oncall"]},
]
GROUPS = [{"name": "msp-oncall"}]


def acme_only():
    return group_policies([{"host": "acme", "key": "acme", "account_id": ACME, "roles": CATALOGUE}], GROUPS)


def actual_with(grants):
    name = "msp-oncall-client-roles-01"
    policy_arn = f"arn:aws:iam::{IDENTITY}:policy{POLICY_PATH}{name}"
    return {
        "groups": [
            {
                "name": "msp-oncall",
                "exists": True,
                "path": "/",
                "users": [],
                "attached_policies": [{"name": name, "arn": policy_arn}],
            }
        ],
        "users": [],
        "policies": [{"name": name, "arn": policy_arn, "path": POLICY_PATH, "default_version_id": "v1"}],
        "policy_documents": {name: policy_document(grants.items())},
    }


# case: (grants in the account, keep, roles the plan's group allows, policy rewritten)
SLICE_PLAN_CASES = {
    "slice-keeps-other-slices-client": (
        {arn(ACME): None, arn(GLOBEX): None},
        MEMBERS,
        [arn(ACME), arn(GLOBEX)],
        False,
    ),
    "slice-adds-its-client-to-others": ({arn(GLOBEX): None}, MEMBERS, [arn(ACME), arn(GLOBEX)], True),
    "slice-drops-a-left-account": ({arn(ACME): None, arn(GONE): None}, MEMBERS, [arn(ACME)], True),
    "full-run-purges-clients-it-does-not-list": ({arn(ACME): None, arn(GLOBEX): None}, None, [arn(ACME)], True),
}


@pytest.mark.parametrize(("grants", "keep", "allowed", "rewritten"), SLICE_PLAN_CASES.values(), ids=SLICE_PLAN_CASES)
def test_slice_plan(grants, keep, allowed, rewritten):
    plan = access_plan(acme_only(), [], actual_with(grants), IDENTITY, keep_account_ids=keep, own_account_ids=[ACME])
    assert plan["groups"][0]["role_arns"] == allowed
    assert [p["name"] for p in plan["policies_to_update"]] == (["msp-oncall-client-roles-01"] if rewritten else [])
    assert not plan["policies_to_delete"]


def test_a_slice_without_roles_for_a_group_keeps_its_policy():
    """No client of this slice serves msp-oncall: the group's policy, full of other slices' clients, stays."""
    desired = group_policies([], GROUPS)
    plan = access_plan(desired, [], actual_with({arn(GLOBEX): None}), IDENTITY, keep_account_ids=MEMBERS)
    assert plan["groups"][0]["role_arns"] == [arn(GLOBEX)]
    assert not plan["changed"]


def with_second_piece(grants, attached):
    """A second piece of msp-oncall, holding ``grants``: attached (read) or not (another run's, in the making)."""
    actual = actual_with({arn(ACME): None})
    name = "msp-oncall-client-roles-02"
    policy_arn = f"arn:aws:iam::{IDENTITY}:policy{POLICY_PATH}{name}"
    actual["policies"].append({"name": name, "arn": policy_arn, "path": POLICY_PATH, "default_version_id": "v1"})
    if attached:
        actual["groups"][0]["attached_policies"].append({"name": name, "arn": policy_arn})
        actual["policy_documents"][name] = policy_document(grants.items())
    return actual


# case: (second piece's grants, attached, keep, deleted)
PIECE_CASES = {
    "slice-leaves-a-piece-it-has-not-read": ({arn(GLOBEX): None}, False, MEMBERS, []),
    "slice-merges-a-read-piece-of-other-slices": ({arn(GLOBEX): None}, True, MEMBERS, []),
    "slice-deletes-a-read-piece-of-its-own-stale-roles": ({arn(ACME, "Gone"): None}, True, MEMBERS, ["-02"]),
    "full-run-deletes-the-unattached-piece": ({arn(GLOBEX): None}, False, None, ["-02"]),
    "full-run-deletes-a-piece-it-no-longer-needs": ({arn(GLOBEX): None}, True, None, ["-02"]),
}


@pytest.mark.parametrize(("grants", "attached", "keep", "deleted"), PIECE_CASES.values(), ids=PIECE_CASES)
def test_what_a_slice_deletes(grants, attached, keep, deleted):
    actual = with_second_piece(grants, attached)
    plan = access_plan(acme_only(), [], actual, IDENTITY, keep_account_ids=keep, own_account_ids=[ACME])
    assert [p["name"] for p in plan["policies_to_delete"]] == [f"msp-oncall-client-roles{d}" for d in deleted]


def test_merged_groups_is_the_input_in_a_full_run():
    desired = acme_only()
    assert merged_groups(desired, {"msp-oncall-client-roles-01": policy_document([(arn(GLOBEX), None)])}, None, []) is (
        desired
    )


# --- the write protocol against an in-memory IAM, with a concurrent writer ---------------------------------

POLICY = f"arn:aws:iam::{IDENTITY}:policy{POLICY_PATH}msp-oncall-client-roles-01"


def error(code, operation):
    return ClientError({"Error": {"Code": code, "Message": code}}, operation)


class Iam:
    """One managed policy's versions, as IAM keeps them: ids count up, at most 5, the newest write is the
    default. ``before[method]`` holds actions of a concurrent writer: the next one runs just before each such call."""

    LIMIT = 5

    def __init__(self, grants=None):
        self.versions = {}
        self.default = None
        self.count = 0
        self.before = {}
        self.calls = []
        if grants is not None:
            self.write(grants)

    def write(self, grants):
        """A write of another run (or the seed): a new default version, making room as amazon.aws would."""
        if len(self.versions) >= self.LIMIT:
            del self.versions[min((v for v in self.versions if v != self.default), key=version_number)]
        self.count += 1
        version_id = f"v{self.count}"
        self.versions[version_id] = json.dumps(policy_document(grants.items()))
        self.default = version_id
        return version_id

    def grants(self, version_id=None):
        return document_grants(json.loads(self.versions[version_id or self.default]))

    def _enter(self, method):
        self.calls.append(method)
        pending = self.before.get(method)
        if pending:
            pending.pop(0)(self)
            if not pending:
                del self.before[method]
        if not self.versions and method not in ("create_policy", "get_policy"):
            raise error("NoSuchEntity", method)

    def get_policy(self, PolicyArn, aws_retry=False):
        self._enter("get_policy")
        if not self.versions:
            raise error("NoSuchEntity", "GetPolicy")
        return {"Policy": {"Arn": PolicyArn, "DefaultVersionId": self.default}}

    def get_policy_version(self, PolicyArn, VersionId, aws_retry=False):
        self._enter("get_policy_version")
        if VersionId not in self.versions:
            raise error("NoSuchEntity", "GetPolicyVersion")
        return {"PolicyVersion": {"Document": self.versions[VersionId], "VersionId": VersionId}}

    def list_policy_versions(self, PolicyArn, aws_retry=False):
        self._enter("list_policy_versions")
        return {"Versions": [{"VersionId": v, "IsDefaultVersion": v == self.default} for v in self.versions]}

    def create_policy(self, aws_retry=False, **params):
        self._enter("create_policy")
        if self.versions:
            raise error("EntityAlreadyExists", "CreatePolicy")
        self.count += 1
        self.versions["v1"] = params["PolicyDocument"]
        self.default = "v1"

    def create_policy_version(self, PolicyArn, PolicyDocument, SetAsDefault, aws_retry=False):
        self._enter("create_policy_version")
        if len(self.versions) >= self.LIMIT:
            raise error("LimitExceeded", "CreatePolicyVersion")
        self.count += 1
        version_id = f"v{self.count}"
        self.versions[version_id] = PolicyDocument
        self.default = version_id
        return {"PolicyVersion": {"VersionId": version_id}}

    def delete_policy_version(self, PolicyArn, VersionId, aws_retry=False):
        self._enter("delete_policy_version")
        if VersionId == self.default:
            raise error("DeleteConflict", "DeletePolicyVersion")
        if VersionId not in self.versions:
            raise error("NoSuchEntity", "DeletePolicyVersion")
        del self.versions[VersionId]


def other_writes(grants):
    """A concurrent slice's write, made from a stale read: its own client's role on top of ``grants``."""
    return lambda iam: iam.write(grants)


def other_deletes(version_id):
    return lambda iam: iam.versions.pop(version_id, None)


def both(*actions):
    return lambda iam: [action(iam) for action in actions]


def converge(iam, own, keep=MEMBERS, own_ids=(ACME,)):
    writer = MergedPolicy(iam, POLICY, keep, list(own_ids), sleep=lambda seconds: None, rand=lambda: 0.5)
    return writer.converge("msp-oncall-client-roles-01", POLICY_PATH, "d", {"managed-by": "x"}, own)


def acme():
    return {arn(ACME): None}


# case: (grants before, concurrent actions {method: [actions]}, roles allowed at the end)
RACE_CASES = {
    "alone-on-a-new-policy": (None, {}, {arn(ACME)}),
    "alone-adding-to-other-slices": ({arn(GLOBEX): None}, {}, {arn(ACME), arn(GLOBEX)}),
    "twin-creates-the-policy-first": (
        None,
        {"create_policy": [other_writes({arn(GLOBEX): None})]},
        {arn(ACME), arn(GLOBEX)},
    ),
    "twin-writes-between-read-and-write": (
        {arn(GLOBEX): None},
        {"create_policy_version": [other_writes({arn(GLOBEX): None, arn(HOOLI): None})]},
        {arn(ACME), arn(GLOBEX), arn(HOOLI)},
    ),
    "twin-overwrites-after-our-write": (
        {arn(GLOBEX): None},
        {"list_policy_versions": [other_writes({arn(GLOBEX): None, arn(HOOLI): None})]},
        {arn(ACME), arn(GLOBEX), arn(HOOLI)},
    ),
    "twin-writes-and-deletes-the-version-we-read": (
        {arn(GLOBEX): None},
        {
            "get_policy_version": [both(other_writes({arn(GLOBEX): None, arn(HOOLI): None}), other_deletes("v1"))],
        },
        {arn(ACME), arn(GLOBEX), arn(HOOLI)},
    ),
    "left-account-dropped-while-twin-writes": (
        {arn(GLOBEX): None, arn(GONE): None},
        {"create_policy_version": [other_writes({arn(GLOBEX): None, arn(GONE): None, arn(HOOLI): None})]},
        {arn(ACME), arn(GLOBEX), arn(HOOLI)},
    ),
}


@pytest.mark.parametrize(("before", "races", "allowed"), RACE_CASES.values(), ids=RACE_CASES)
def test_concurrent_writers_converge(before, races, allowed):
    iam = Iam(before)
    iam.before = {method: list(actions) for method, actions in races.items()}
    result = converge(iam, acme())
    assert set(iam.grants()) == allowed
    assert set(result["grants"]) == allowed
    assert result["changed"]
    assert not iam.before, "a race was never played"


def test_a_policy_that_holds_everything_is_not_written():
    iam = Iam({arn(ACME): None, arn(GLOBEX): None})
    result = converge(iam, acme())
    assert not result["changed"]
    assert "create_policy_version" not in iam.calls


def test_the_five_versions_limit_deletes_merged_versions_only():
    """Four old versions hold other slices' roles the default no longer has: they are merged before they go."""
    iam = Iam({arn(GLOBEX): None})
    for grants in ({arn(HOOLI): None}, {}, {}, {arn(GLOBEX): None}):
        iam.write(grants)
    result = converge(iam, acme())
    assert arn(ACME) in iam.grants()
    assert len(iam.versions) <= Iam.LIMIT
    assert result["changed"]


def test_the_twin_fills_the_versions_between_our_tries():
    """Another writer takes the last free version just before ours: we make room and write."""
    iam = Iam({arn(GLOBEX): None})
    for grants in ({arn(GLOBEX): None}, {arn(GLOBEX): None}, {arn(GLOBEX): None}):
        iam.write(grants)
    iam.before = {"create_policy_version": [other_writes({arn(GLOBEX): None, arn(HOOLI): None})]}
    converge(iam, acme())
    assert set(iam.grants()) == {arn(ACME), arn(GLOBEX), arn(HOOLI)}


def test_a_writer_that_never_wins_gives_up_with_a_clear_error():
    iam = Iam({arn(GLOBEX): None})
    iam.before = {"list_policy_versions": [other_writes({arn(GLOBEX): None})] * 40}
    with pytest.raises(MspAwsError, match=r"rewritten by other runs .* 8 rounds"):
        converge(iam, acme())


def test_a_full_run_writes_exactly_its_own():
    iam = Iam({arn(GLOBEX): None, arn(ACME): None})
    iam.before = {"create_policy_version": [other_writes({arn(HOOLI): None})]}
    converge(iam, acme(), keep=None)
    assert iam.grants() == acme()
    assert list(iam.versions) == [iam.default]
