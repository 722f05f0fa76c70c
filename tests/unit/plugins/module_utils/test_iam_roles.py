"""The pure reconciliation of a role, desired vs actual -> IAM calls, and the options' input rules."""

import copy

import pytest
from botocore.exceptions import ClientError

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput, MspAwsError
from ansible_collections.msp.aws_accounts.plugins.module_utils.iam_roles import (
    apply_changes,
    check_against_actual,
    desired_role,
    ensure_absent,
    plan_absent,
    plan_present,
    policy_arns_to_verify,
    role_state,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.policies import build_trust_policy

MSP = "123456789012"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
TRUST = build_trust_policy("aws", [MSP])
STORED_TRUST = {  # what IAM hands back for TRUST: reordered, plain strings, booleans
    "Version": "2012-10-17",
    "Statement": {
        "Action": ["sts:AssumeRole"],
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": True}},
        "Principal": {"AWS": [f"arn:aws:iam::{MSP}:root"]},
        "Effect": "Allow",
        "Sid": "TrustMspAccounts",
    },
}
RESTART = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "ec2:RebootInstances", "Resource": "*"}],
}


def existing(**overrides):
    """A role as read_role describes it."""
    role = {
        "RoleName": "Admin",
        "Arn": "arn:aws:iam::210987654321:role/Admin",
        "Path": "/",
        "AssumeRolePolicyDocument": STORED_TRUST,
        "MaxSessionDuration": 3600,
        "Tags": [{"Key": "team", "Value": "msp"}],
    }
    state = role_state(role, [ADMIN], ["restart"], {"restart": RESTART})
    state.update(overrides)
    return state


def desired(**overrides):
    """Nothing managed unless named (None = don't touch)."""
    base = {"name": "Admin", "purge_policies": True, "purge_tags": True}
    return {**base, **overrides}


def actions(changes):
    return [(c["action"], {k: v for k, v in c["params"].items() if k != "RoleName"}) for c in changes]


NO_CHANGE = [
    ("nothing-managed", desired()),
    ("same-trust-written-differently", desired(trust_policy=TRUST)),
    ("same-managed", desired(managed_policies=[ADMIN])),
    (
        "same-inline-reordered",
        desired(inline_policies={"restart": {"Statement": RESTART["Statement"], "Version": "2012-10-17"}}),
    ),
    ("same-tags", desired(tags={"team": "msp"})),
    ("same-settings", desired(max_session_duration=3600, path="/")),
    ("tags-subset-without-purge", desired(tags={}, purge_tags=False)),
    ("policies-subset-without-purge", desired(managed_policies=[], inline_policies={}, purge_policies=False)),
    ("boundary-removed-when-none", desired(permissions_boundary="")),
]


@pytest.mark.parametrize("wanted", [c[1] for c in NO_CHANGE], ids=[c[0] for c in NO_CHANGE])
def test_no_change(wanted):
    actual = existing()
    changes, after = plan_present(wanted, actual)
    assert changes == []
    assert after == actual


CHANGES = [
    (
        "trust-adds-mfa-age",
        desired(trust_policy=build_trust_policy("aws", [MSP], mfa_max_age=900)),
        ["UpdateAssumeRolePolicy"],
    ),
    (
        "session-duration",
        desired(max_session_duration=7200),
        [("UpdateRole", {"MaxSessionDuration": 7200, "Description": ""})],
    ),
    (
        "description",
        desired(description="MSP admins"),
        [("UpdateRole", {"MaxSessionDuration": 3600, "Description": "MSP admins"})],
    ),
    (
        "boundary-set",
        desired(permissions_boundary=READ_ONLY),
        [("PutRolePermissionsBoundary", {"PermissionsBoundary": READ_ONLY})],
    ),
    (
        "managed-swap",
        desired(managed_policies=[READ_ONLY]),
        [("AttachRolePolicy", {"PolicyArn": READ_ONLY}), ("DetachRolePolicy", {"PolicyArn": ADMIN})],
    ),
    (
        "managed-add-without-purge",
        desired(managed_policies=[READ_ONLY], purge_policies=False),
        [("AttachRolePolicy", {"PolicyArn": READ_ONLY})],
    ),
    ("inline-changed", desired(inline_policies={"restart": build_trust_policy("aws", [MSP])}), ["PutRolePolicy"]),
    ("inline-purged", desired(inline_policies={}), [("DeleteRolePolicy", {"PolicyName": "restart"})]),
    (
        "tags-changed-and-purged",
        desired(tags={"owner": "ops"}),
        [("UntagRole", {"TagKeys": ["team"]}), ("TagRole", {"Tags": [{"Key": "owner", "Value": "ops"}]})],
    ),
]


@pytest.mark.parametrize(("wanted", "expected"), [c[1:] for c in CHANGES], ids=[c[0] for c in CHANGES])
def test_changes(wanted, expected):
    changes, _after = plan_present(wanted, existing())
    found = actions(changes)
    if all(isinstance(e, str) for e in expected):
        found = [action for action, _params in found]
    assert found == expected


def test_after_state_is_what_the_changes_make():
    wanted = desired(
        managed_policies=[READ_ONLY],
        inline_policies={},
        tags={"owner": "ops"},
        max_session_duration=7200,
        permissions_boundary=READ_ONLY,
        description="MSP admins",
    )
    _changes, after = plan_present(wanted, existing())
    assert after["managed_policies"] == [READ_ONLY]
    assert after["inline_policies"] == [] and after["inline_policy_documents"] == {}
    assert after["tags"] == {"owner": "ops"}
    assert (after["max_session_duration"], after["permissions_boundary"], after["description"]) == (
        7200,
        READ_ONLY,
        "MSP admins",
    )
    # planning again from the predicted state finds nothing left to do
    assert plan_present(wanted, after)[0] == []


def test_plan_leaves_the_actual_state_untouched():
    actual = existing()
    before = copy.deepcopy(actual)
    plan_present(
        desired(managed_policies=[], tags={}, trust_policy=build_trust_policy("aws", ["999999999999"])), actual
    )
    assert actual == before


def test_create_carries_what_create_role_can_and_attaches_the_rest():
    wanted = desired(
        arn="arn:aws:iam::210987654321:role/msp/Admin",
        path="/msp/",
        trust_policy=TRUST,
        description="d",
        max_session_duration=7200,
        permissions_boundary=READ_ONLY,
        tags={"team": "msp"},
        managed_policies=[ADMIN],
        inline_policies={"restart": RESTART},
    )
    changes, after = plan_present(wanted, None)
    assert [c["action"] for c in changes] == ["CreateRole", "AttachRolePolicy", "PutRolePolicy"]
    create = changes[0]["params"]
    assert (create["Path"], create["MaxSessionDuration"], create["Description"], create["PermissionsBoundary"]) == (
        "/msp/",
        7200,
        "d",
        READ_ONLY,
    )
    assert create["Tags"] == [{"Key": "team", "Value": "msp"}]
    assert after["arn"] == "arn:aws:iam::210987654321:role/msp/Admin"
    assert (after["managed_policies"], after["inline_policies"]) == ([ADMIN], ["restart"])
    assert plan_present(wanted, after)[0] == []


AGAINST_ACTUAL = [
    ("create-needs-a-trust-policy", desired(path=None), None, "trusted_account_ids"),
    ("moving-to-another-path", desired(path="/other/"), existing(), "path"),
    # the console's limit binds the role's real path, even when the path option is not given
    (
        "64-rule-on-the-actual-path",
        desired(name="R" * 50),
        existing(name="R" * 50, path="/engineering/oncall/"),
        "name",
    ),
    ("64-rule-on-a-new-role", desired(name="R" * 50, path="/engineering/oncall/", trust_policy=TRUST), None, "name"),
]


@pytest.mark.parametrize(
    ("wanted", "actual", "option"), [c[1:] for c in AGAINST_ACTUAL], ids=[c[0] for c in AGAINST_ACTUAL]
)
def test_check_against_actual_refuses(wanted, actual, option):
    with pytest.raises(InvalidInput) as raised:
        check_against_actual(wanted, actual)
    assert raised.value.option == option


AGAINST_ACTUAL_FINE = [
    ("same-path", desired(path="/"), existing()),
    (
        "long-path-with-an-external-id-trust",
        desired(name="R" * 50),
        existing(
            name="R" * 50,
            path="/engineering/oncall/",
            trust_policy=build_trust_policy("aws", [MSP], require_mfa=False, external_id="x1"),
        ),
    ),
]


@pytest.mark.parametrize(
    ("wanted", "actual"), [c[1:] for c in AGAINST_ACTUAL_FINE], ids=[c[0] for c in AGAINST_ACTUAL_FINE]
)
def test_check_against_actual_accepts(wanted, actual):
    check_against_actual(wanted, actual)


def test_planning_never_refuses():
    """Input rules are checked before planning; the planner only plans."""
    changes, _after = plan_present(desired(path="/other/"), existing())
    assert changes == []


def test_ensure_absent_returns_changed_new_state_and_changes():
    assert ensure_absent(None, None, check_mode=False) == (False, None, [])


def test_absent_removes_everything_the_role_holds_first():
    changes = plan_absent(existing(), ["web"])
    assert actions(changes) == [
        ("RemoveRoleFromInstanceProfile", {"InstanceProfileName": "web"}),
        ("DetachRolePolicy", {"PolicyArn": ADMIN}),
        ("DeleteRolePolicy", {"PolicyName": "restart"}),
        ("DeleteRole", {}),
    ]
    assert plan_absent(None) == []


class GoneClient:
    """An IAM client whose calls named in ``gone`` answer NoSuchEntity (what a retry after a lost answer gets);
    records every call."""

    def __init__(self, gone=(), code="NoSuchEntity"):
        self.gone, self.code, self.calls = set(gone), code, []

    def __getattr__(self, method):
        def call(aws_retry=False, **params):
            self.calls.append(method)
            if method in self.gone:
                raise ClientError({"Error": {"Code": self.code, "Message": "not found"}}, method)
            return {}

        return call


@pytest.mark.parametrize(
    "gone",
    [
        ["delete_role"],
        ["detach_role_policy"],
        ["delete_role_policy"],
        ["remove_role_from_instance_profile"],
        ["remove_role_from_instance_profile", "detach_role_policy", "delete_role_policy", "delete_role"],
    ],
)
def test_a_removal_answered_no_such_entity_is_done(gone):
    """After a lost answer botocore retries the delete AWS already made: NoSuchEntity means the goal is reached."""
    client = GoneClient(gone)
    changes = plan_absent(existing(), ["web"])
    assert apply_changes(client, changes) is None
    assert client.calls == [
        "remove_role_from_instance_profile",
        "detach_role_policy",
        "delete_role_policy",
        "delete_role",
    ]


def test_ensure_absent_counts_a_role_already_gone_at_delete_role_as_deleted():
    client = GoneClient(["delete_role"])
    client.list_instance_profiles_for_role = lambda aws_retry=False, **params: {"InstanceProfiles": []}
    changed, new_state, changes = ensure_absent(client, existing(), check_mode=False)
    assert (changed, new_state) == (True, None)
    assert actions(changes)[-1] == ("DeleteRole", {})


@pytest.mark.parametrize(
    ("gone", "code"),
    [(["delete_role"], "DeleteConflict"), (["put_role_policy"], "NoSuchEntity"), (["tag_role"], "NoSuchEntity")],
)
def test_other_errors_still_fail(gone, code):
    """Only a removal's NoSuchEntity is a success; a write that needs the role, or another error, still fails."""
    client = GoneClient(gone, code)
    changes = plan_present(desired(inline_policies={"new": RESTART}, tags={"team": "other"}), existing())[0]
    changes += plan_absent(existing())
    with pytest.raises(MspAwsError, match="Failed to"):
        apply_changes(client, changes)


def test_policies_to_verify_are_only_the_ones_being_attached():
    changes, _after = plan_present(
        desired(managed_policies=[ADMIN, READ_ONLY], permissions_boundary=READ_ONLY), existing()
    )
    assert policy_arns_to_verify(changes) == [("permissions_boundary", READ_ONLY), ("managed_policies", READ_ONLY)]


def options(**overrides):
    """The module's options (require_mfa left unset, as its default is)."""
    base = {"name": "Admin", "trusted_account_ids": [MSP]}
    return {**base, **overrides}


BAD_OPTIONS = [
    ("name-with-space", options(name="Msp Admin"), "name"),
    ("name-65", options(name="R" * 65), "name"),
    ("path-without-trailing-slash", options(path="/msp"), "path"),
    ("colour", options(color="blue"), "color"),
    ("display-name-65", options(display_name="x" * 65), "display_name"),
    ("session-3599", options(max_session_duration=3599), "max_session_duration"),
    ("session-43201", options(max_session_duration=43201), "max_session_duration"),
    ("description-1001", options(description="d" * 1001), "description"),
    ("principal", options(trusted_principals=["arn:aws:iam::1:user/a"]), "trusted_principals"),
    ("managed-policy-arn", options(managed_policies=["arn:aws:s3:::bucket"]), "managed_policies"),
    ("boundary", options(permissions_boundary="arn:aws:iam::aws:role/x"), "permissions_boundary"),
    ("inline-name", options(inline_policies={"bad name": RESTART}), "inline_policies"),
    ("inline-document", options(inline_policies={"restart": "{not json"}), "inline_policies.restart"),
    ("trust-policy-text", options(trusted_account_ids=None, trust_policy="{not json"), "trust_policy"),
    ("trust-policy-empty", options(trusted_account_ids=None, trust_policy="{}"), "trust_policy"),
    # on an existing role these would otherwise be silently ignored
    ("mfa-age-without-principals", options(trusted_account_ids=None, mfa_max_age=900), "mfa_max_age"),
    ("external-id-without-principals", options(trusted_account_ids=None, external_id="globex-1"), "external_id"),
    ("require-mfa-without-principals", options(trusted_account_ids=None, require_mfa=False), "require_mfa"),
    ("require-mfa-true-without-principals", options(trusted_account_ids=None, require_mfa=True), "require_mfa"),
    (
        "require-mfa-with-trust-policy",
        options(trusted_account_ids=None, trust_policy=TRUST, require_mfa=True),
        "require_mfa",
    ),
    ("accounts-and-principals", options(trusted_principals=[f"arn:aws:iam::{MSP}:user/a"]), "trusted_principals"),
    (
        "root-principal",
        options(trusted_account_ids=None, trusted_principals=[f"arn:aws:iam::{MSP}:root"]),
        "trusted_principals",
    ),
    (
        "role-principal-with-mfa",
        options(trusted_account_ids=None, trusted_principals=[f"arn:aws:iam::{MSP}:role/R"]),
        "trusted_principals",
    ),
    ("description-character", options(description="MSP \u2014 admins"), "description"),
    ("tags-51", options(tags={f"k{i}": "v" for i in range(51)}), "tags"),
    ("tag-key-129", options(tags={"k" * 129: "v"}), "tags"),
    ("tag-value-257", options(tags={"k": "v" * 257}), "tags"),
    ("tag-key-aws-prefix", options(tags={"AWS:owner": "v"}), "tags"),
    (
        "inline-policies-over-10240",
        options(
            inline_policies={
                f"p{i}": {
                    "Statement": [
                        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "b" * 2000}
                    ]
                }
                for i in range(5)
            }
        ),
        "inline_policies",
    ),
    (
        "trust-policy-over-4096",
        options(
            trusted_account_ids=None,
            trust_policy={
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": MSP},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "x" * 4100}},
                    }
                ]
            },
        ),
        "trust_policy",
    ),
]


@pytest.mark.parametrize(("given", "option"), [c[1:] for c in BAD_OPTIONS], ids=[c[0] for c in BAD_OPTIONS])
def test_desired_role_refuses(given, option):
    with pytest.raises(InvalidInput) as raised:
        desired_role(given, "aws")
    assert raised.value.option == option


GOOD_OPTIONS = [
    ("existing-role-nothing-about-trust", {"name": "Admin"}),
    (
        "role-principal-without-mfa",
        options(
            trusted_account_ids=None,
            require_mfa=False,
            external_id="x1",
            trusted_principals=[f"arn:aws:iam::{MSP}:role/R"],
        ),
    ),
    ("fifty-tags-at-the-limits", options(tags={f"k{i}" + "k" * 120: "v" * 256 for i in range(50)})),
    ("description-latin-1", options(description="Équipe MSP\tadmins")),
]


@pytest.mark.parametrize("given", [c[1] for c in GOOD_OPTIONS], ids=[c[0] for c in GOOD_OPTIONS])
def test_desired_role_accepts(given):
    desired_role(given, "aws")


def test_require_mfa_defaults_to_true_when_the_trust_is_built():
    wanted = desired_role(options(), "aws")
    assert wanted["trust_policy"]["Statement"][0]["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    assert "Condition" not in desired_role(options(require_mfa=False), "aws")["trust_policy"]["Statement"][0]


def test_long_path_and_name_is_fine_for_an_external_id_role():
    """No console link for such a role, so the console's limit does not apply."""
    wanted = desired_role(options(path="/engineering/oncall/", name="R" * 50, external_id="globex-1"), "aws")
    assert wanted["trust_policy"]["Statement"][0]["Condition"]["StringEquals"] == {"sts:ExternalId": "globex-1"}


def test_desired_role_resolves_names_and_leaves_unset_options_alone():
    wanted = desired_role(
        options(managed_policies=["ReadOnlyAccess", READ_ONLY], permissions_boundary="AdministratorAccess"), "aws-cn"
    )
    assert wanted["managed_policies"] == ["arn:aws-cn:iam::aws:policy/ReadOnlyAccess", READ_ONLY]
    assert wanted["permissions_boundary"] == "arn:aws-cn:iam::aws:policy/AdministratorAccess"
    assert wanted["trust_policy"]["Statement"][0]["Principal"] == {"AWS": f"arn:aws-cn:iam::{MSP}:root"}
    assert (wanted["tags"], wanted["inline_policies"], wanted["description"], wanted["path"]) == (
        None,
        None,
        None,
        None,
    )
    assert desired_role({"name": "Admin"}, "aws")["trust_policy"] is None
