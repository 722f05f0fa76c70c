"""aws_xacct_role and aws_xacct_role_info against the sandbox: trust enforcement with real MFA codes, the
no-op API-call floor (next to amazon.aws.iam_role's), the new-account access retry, and bad input that
writes nothing."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from conftest import REGION, totp, user_with_mfa, writes_since

MANAGEMENT = "123456789012"
ROLE = "MspAdministrator"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
INLINE = {
    "restart": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["ec2:RebootInstances"], "Resource": "*"}],
    }
}
NO_OP_FLOOR = {"iam:GetRole": 1, "iam:ListAttachedRolePolicies": 1, "iam:ListRolePolicies": 1}


# --- helpers -------------------------------------------------------------------------------------------


def client_credentials(world, key="globex"):
    return world["clients"][key]["credentials"]


def role_args(**overrides):
    """The module's options; an override of None leaves the option out altogether."""
    args = {
        "role_name": ROLE,
        "trusted_account_ids": [MANAGEMENT],
        "managed_policies": ["ReadOnlyAccess"],
        "tags": {"managed-by": "msp"},
    }
    return {key: value for key, value in dict(args, **overrides).items() if value is not None}


def role_trust():
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": MANAGEMENT}, "Action": "sts:AssumeRole"}],
    }


def ec2_trust_statement():
    return {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}


def calls_by_action(sandbox, mark, service=None):
    return sandbox.call_summary(since=mark, service=service)["by_action"]


@pytest.fixture
def operator(aws, sandbox):
    return user_with_mfa(aws.management("iam"), sandbox, "operator", create_user=True)


def assume(aws, credentials, role_arn, **params):
    return aws.client("sts", credentials).assume_role(RoleArn=role_arn, RoleSessionName="operator", **params)


def assert_denied(call):
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["Error"]["Code"] == "AccessDenied"


def create_role(run_module, world, **overrides):
    result = run_module("aws_xacct_role", credentials=client_credentials(world), **role_args(**overrides))
    assert not result.failed, result
    return result


# --- the four steps and the call floor ----------------------------------------------------------------


def test_check_mode_predicts_the_run_exactly(run_module, world):
    args = role_args(inline_policies=INLINE, display_name="Globex admin", color="F2B0A9", path="/msp/")
    predicted = run_module("aws_xacct_role", check_mode=True, credentials=client_credentials(world), **args)
    applied = run_module("aws_xacct_role", credentials=client_credentials(world), **args)
    assert predicted.changed and applied.changed
    for key in ("role", "switch_role_url", "cli_profile", "changes", "diff"):
        assert predicted[key] == applied[key], key
    assert applied["switch_role_url"] == (
        "https://signin.aws.amazon.com/switchrole?account=210987654321&roleName=msp/MspAdministrator"
        "&displayName=Globex%20admin&color=F2B0A9"
    )
    again = run_module("aws_xacct_role", check_mode=True, credentials=client_credentials(world), **args)
    assert not again.changed and again["changes"] == []


def test_no_op_run_is_at_the_floor_with_credentials_in_the_account(run_module, world, sandbox):
    create_role(run_module, world, inline_policies=INLINE)
    mark = sandbox.mark()
    create_role(run_module, world)
    assert calls_by_action(sandbox, mark) == NO_OP_FLOOR
    mark = sandbox.mark()
    result = create_role(run_module, world, inline_policies=INLINE)
    assert not result.changed
    assert calls_by_action(sandbox, mark) == {**NO_OP_FLOOR, "iam:GetRolePolicy": 1}


def test_no_op_run_through_the_access_role_adds_one_assume_role(run_module, aws, sandbox):
    member = aws.create_member("Hooli")
    first = run_module("aws_xacct_role", account_id=member, **role_args())
    assert first.changed and first["role"]["arn"] == f"arn:aws:iam::{member}:role/{ROLE}"
    mark = sandbox.mark()
    again = run_module("aws_xacct_role", account_id=member, **role_args())
    assert not again.changed
    assert calls_by_action(sandbox, mark) == {**NO_OP_FLOOR, "sts:AssumeRole": 1}


def iam_role_module_calls(endpoint, world, sandbox, tmp_path, trust_policy):
    """Run amazon.aws.iam_role through ansible (it is not in this collection) and count its calls."""
    creds = client_credentials(world)
    args = {
        "name": ROLE,
        "assume_role_policy_document": json.dumps(trust_policy),
        "managed_policies": [READ_ONLY],
        "tags": {"managed-by": "msp"},
        "create_instance_profile": False,
        "endpoint_url": endpoint,
        "region": REGION,
        "access_key": creds["aws_access_key_id"],
        "secret_key": creds["aws_secret_access_key"],
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_PYTHON_INTERPRETER=sys.executable, HOME=str(tmp_path))
    ansible = Path(sys.executable).with_name("ansible")
    mark = sandbox.mark()
    proc = subprocess.run(
        [str(ansible), "localhost", "-c", "local", "-m", "amazon.aws.iam_role", "-a", json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return calls_by_action(sandbox, mark)


def test_call_counts_next_to_amazon_aws_iam_role(run_module, world, sandbox, sandbox_endpoint, tmp_path, capsys):
    mark = sandbox.mark()
    created = create_role(run_module, world)
    ours_create = calls_by_action(sandbox, mark)
    mark = sandbox.mark()
    create_role(run_module, world)
    ours_no_op = calls_by_action(sandbox, mark)
    trust = created["role"]["trust_policy"]
    theirs_no_op = iam_role_module_calls(sandbox_endpoint, world, sandbox, tmp_path, trust)
    run_module("aws_xacct_role", credentials=client_credentials(world), role_name=ROLE, state="absent")
    theirs_create = iam_role_module_calls(sandbox_endpoint, world, sandbox, tmp_path, trust)
    with capsys.disabled():
        print(f"\naws_xacct_role create: {sum(ours_create.values())} {ours_create}")
        print(f"aws_xacct_role no-op:  {sum(ours_no_op.values())} {ours_no_op}")
        print(f"amazon.aws.iam_role create: {sum(theirs_create.values())} {theirs_create}")
        print(f"amazon.aws.iam_role no-op:  {sum(theirs_no_op.values())} {theirs_no_op}")
    assert ours_no_op == NO_OP_FLOOR
    assert sum(ours_no_op.values()) < sum(theirs_no_op.values())
    assert sum(ours_create.values()) <= sum(theirs_create.values())


# --- trust enforcement ---------------------------------------------------------------------------------


def test_mfa_user_of_the_main_account_assumes_the_role_and_is_denied_without_mfa(
    run_module, world, aws, sandbox, operator
):
    arn = create_role(run_module, world)["role"]["arn"]
    granted = assume(
        aws, operator["credentials"], arn, SerialNumber=operator["serial"], TokenCode=totp(sandbox, operator["seed"])
    )
    assert granted["AssumedRoleUser"]["Arn"].startswith(f"arn:aws:sts::210987654321:assumed-role/{ROLE}/")
    assert_denied(lambda: assume(aws, operator["credentials"], arn))


def test_trusted_principals_let_in_only_the_named_mfa_user(run_module, world, aws, sandbox, operator):
    other = user_with_mfa(aws.management("iam"), sandbox, "other-engineer", create_user=True)
    arn = create_role(run_module, world, trusted_account_ids=None, trusted_principals=[operator["arn"]])["role"]["arn"]

    def with_mfa(user):
        code = totp(sandbox, user["seed"])
        return lambda: assume(aws, user["credentials"], arn, SerialNumber=user["serial"], TokenCode=code)

    assert with_mfa(operator)()["Credentials"]
    assert_denied(with_mfa(other))


def test_mfa_max_age_denies_an_old_mfa_session(run_module, world, aws, sandbox, operator):
    arn = create_role(run_module, world, mfa_max_age=900)["role"]["arn"]
    session = aws.assumed(
        aws.client("sts", operator["credentials"]).get_session_token(
            SerialNumber=operator["serial"], TokenCode=totp(sandbox, operator["seed"])
        )
    )
    assert assume(aws, session, arn)["Credentials"]
    sandbox.advance_clock(901)
    assert_denied(lambda: assume(aws, session, arn))


def test_external_id_missing_or_wrong_is_denied(run_module, world, aws):
    arn = create_role(run_module, world, require_mfa=False, external_id="globex-7f3a")["role"]["arn"]
    automation = world["management"]["credentials"]
    assert assume(aws, automation, arn, ExternalId="globex-7f3a")["Credentials"]
    assert_denied(lambda: assume(aws, automation, arn))
    assert_denied(lambda: assume(aws, automation, arn, ExternalId="initech-0000"))


def test_a_role_demanding_an_external_id_gets_no_switch_role_link(run_module, world):
    result = create_role(run_module, world, require_mfa=False, external_id="globex-7f3a")
    assert result["switch_role_url"] is None
    assert result["cli_profile"]["external_id"] == "globex-7f3a"
    assert "mfa_serial" not in result["cli_profile"]


# --- getting into a new account ------------------------------------------------------------------------


def test_access_denied_after_account_creation_is_retried(run_module, aws, sandbox):
    sandbox.configure(new_account_access_denied_attempts=2)
    member = aws.create_member("Pied Piper")
    mark = sandbox.mark()
    result = run_module("aws_xacct_role", account_id=member, **role_args())
    assert result.changed, result
    assume_calls = [c for c in sandbox.calls(since=mark, service="sts")["calls"] if c["action"] == "AssumeRole"]
    assert [c["error_code"] for c in assume_calls] == ["AccessDenied", "AccessDenied", None]


def test_access_denied_past_the_timeout_is_a_clear_error_and_writes_nothing(run_module, aws, sandbox):
    sandbox.configure(new_account_access_denied_attempts=1000)
    member = aws.create_member("Raviga")
    mark = sandbox.mark()
    result = run_module("aws_xacct_role", account_id=member, access_timeout=3, **role_args())
    assert result.failed
    assert f"Could not assume arn:aws:iam::{member}:role/OrganizationAccountAccessRole" in result["msg"]
    assert "newly created account" in result["msg"]
    assert "raise access_timeout" in result["msg"], "the message names the option to raise"
    assert writes_since(sandbox, mark) == [
        c for c in sandbox.calls(since=mark)["calls"] if c["action"] == "AssumeRole"
    ], "only AssumeRole attempts, nothing written to IAM"


def test_bad_caller_keys_are_not_retried_as_not_yet(run_module, aws, sandbox):
    """InvalidClientTokenId means the caller's own keys are bad: no wait mends that, so it fails at once."""
    member = aws.create_member("Bachmanity")
    sandbox.add_fault(service="sts", action="AssumeRole", error_code="InvalidClientTokenId", status=403, count=1)
    mark = sandbox.mark()
    result = run_module("aws_xacct_role", account_id=member, **role_args())
    assert result.failed and "InvalidClientTokenId" in str(result), result
    assume_calls = [c for c in sandbox.calls(since=mark, service="sts")["calls"] if c["action"] == "AssumeRole"]
    assert len(assume_calls) == 1
    assert writes_since(sandbox, mark) == assume_calls


def test_a_custom_access_role_with_an_external_id(run_module, world, aws, sandbox):
    """access_role_name and access_external_id: the client account's own access role, which demands an ExternalId."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": MANAGEMENT},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "msp-globex-1"}},
            }
        ],
    }
    client_iam = aws.client_account("globex", "iam")
    client_iam.create_role(RoleName="MspAccess", AssumeRolePolicyDocument=json.dumps(trust))
    client_iam.attach_role_policy(RoleName="MspAccess", PolicyArn=ADMIN)
    globex = world["clients"]["globex"]["account_id"]
    access = {"account_id": globex, "access_role_name": "MspAccess", "access_external_id": "msp-globex-1"}
    created = run_module("aws_xacct_role", **access, **role_args())
    assert created.changed and created["role"]["arn"] == f"arn:aws:iam::{globex}:role/{ROLE}", created
    mark = sandbox.mark()
    again = run_module("aws_xacct_role", **access, **role_args())
    assert not again.changed
    assert calls_by_action(sandbox, mark) == {**NO_OP_FLOOR, "sts:AssumeRole": 1}
    mark = sandbox.mark()
    wrong = run_module(
        "aws_xacct_role", **dict(access, access_external_id="msp-initech-1"), access_timeout=1, **role_args()
    )
    assert wrong.failed and f"arn:aws:iam::{globex}:role/MspAccess" in wrong["msg"]
    assert all(c["action"] == "AssumeRole" for c in writes_since(sandbox, mark))


def test_options_that_need_the_built_trust_fail_on_an_existing_role(run_module, world, sandbox):
    """Without trusted_account_ids or trusted_principals no trust is built: these would be silently ignored."""
    create_role(run_module, world)
    for option, value in (("mfa_max_age", 900), ("external_id", "globex-1"), ("require_mfa", False)):
        mark = sandbox.mark()
        result = run_module("aws_xacct_role", credentials=client_credentials(world), role_name=ROLE, **{option: value})
        assert result.failed and result["msg"].startswith(f"{option}: needs trusted_account_ids"), result["msg"]
        assert writes_since(sandbox, mark) == []


def test_accounts_and_principals_are_mutually_exclusive(run_module, world, sandbox):
    mark = sandbox.mark()
    result = run_module(
        "aws_xacct_role",
        credentials=client_credentials(world),
        **role_args(trusted_principals=[f"arn:aws:iam::{MANAGEMENT}:user/operator"]),
    )
    assert result.failed and "mutually exclusive" in result["msg"], result["msg"]
    assert writes_since(sandbox, mark) == []


# --- bad input -----------------------------------------------------------------------------------------

BAD_INPUTS = [
    (
        "bad-principal-arn",
        {"trusted_account_ids": None, "trusted_principals": ["arn:aws:iam::12345:user/alice"]},
        "trusted_principals",
    ),
    (
        "account-root-as-principal",
        {"trusted_account_ids": None, "trusted_principals": [f"arn:aws:iam::{MANAGEMENT}:root"]},
        "trusted_principals",
    ),
    (
        "role-principal-with-mfa",
        {"trusted_account_ids": None, "trusted_principals": [f"arn:aws:iam::{MANAGEMENT}:role/OnCall"]},
        "trusted_principals",
    ),
    ("tag-with-aws-prefix", {"tags": {"aws:owner": "msp"}}, "tags"),
    ("description-character", {"description": "MSP \u2014 admins"}, "description"),
    (
        "inline-policies-too-large",
        {
            "inline_policies": {
                "big": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "b" * 10300}
                    ],
                }
            }
        },
        "inline_policies",
    ),
    ("bad-account-id", {"trusted_account_ids": ["12345678901"]}, "trusted_account_ids"),
    ("unknown-managed-policy", {"managed_policies": ["NoSuchPolicyAccess"]}, "managed_policies"),
    ("bad-managed-policy-arn", {"managed_policies": ["arn:aws:iam::aws:user/x"]}, "managed_policies"),
    ("70-character-path-and-name", {"path": "/engineering/oncall/", "role_name": "R" * 50}, "name"),
    ("colour-not-hex", {"color": "red"}, "color"),
    ("colour-with-hash", {"color": "#F2B0A9"}, "color"),
    ("session-too-short", {"max_session_duration": 3599}, "max_session_duration"),
    ("session-too-long", {"max_session_duration": 43201}, "max_session_duration"),
    ("mfa-age-without-mfa", {"require_mfa": False, "mfa_max_age": 600}, "mfa_max_age"),
]


@pytest.mark.parametrize(("overrides", "option"), [case[1:] for case in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
@pytest.mark.parametrize("role_exists", [False, True], ids=["new-role", "existing-role"])
def test_bad_input_fails_before_any_write(run_module, world, sandbox, aws, overrides, option, role_exists):
    if role_exists:
        # Made directly, since the module itself refuses some of these names.
        aws.client_account("globex", "iam").create_role(
            RoleName=overrides.get("role_name", ROLE),
            Path=overrides.get("path", "/"),
            AssumeRolePolicyDocument=json.dumps(role_trust()),
        )
    mark = sandbox.mark()
    result = run_module("aws_xacct_role", credentials=client_credentials(world), **role_args(**overrides))
    assert result.failed
    assert result["msg"].startswith(f"{option}:"), result["msg"]
    assert writes_since(sandbox, mark) == []


def test_moving_an_existing_role_to_another_path_fails_before_any_write(run_module, world, sandbox):
    create_role(run_module, world, path="/msp/")
    mark = sandbox.mark()
    result = run_module("aws_xacct_role", credentials=client_credentials(world), **role_args(path="/other/"))
    assert result.failed and result["msg"].startswith("path:")
    assert writes_since(sandbox, mark) == []


# --- aws_xacct_role_info -------------------------------------------------------------------------------


def test_info_reports_each_way_in_with_its_guards(run_module, world, aws):
    create_role(run_module, world)
    create_role(run_module, world, role_name="MspAutomation", require_mfa=False, external_id="globex-7f3a")
    aws.client_account("globex", "iam").create_role(
        RoleName="LocalOnly",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ]
            }
        ),
    )
    info = run_module("aws_xacct_role_info", credentials=client_credentials(world), trusted_account_ids=[MANAGEMENT])
    assert not info.failed and not info.changed
    by_name = {role["name"]: role for role in info["roles"]}
    assert sorted(by_name) == ["MspAdministrator", "MspAutomation"]
    assert by_name["MspAdministrator"]["grants"][0]["guards"] == ["mfa"]
    assert by_name["MspAutomation"]["grants"][0]["external_ids"] == ["globex-7f3a"]
    assert not by_name["MspAdministrator"]["unguarded"]
    other = run_module(
        "aws_xacct_role_info", credentials=client_credentials(world), trusted_account_ids=["999999999999"]
    )
    assert other["roles"] == []


@pytest.mark.parametrize("action", ["DetachRolePolicy", "DeleteRolePolicy", "DeleteRole"])
def test_absent_after_a_lost_delete_answer_counts_the_role_as_deleted(run_module, world, sandbox, action):
    """IAM carries the delete out, the answer is lost, botocore retries and gets NoSuchEntity: the goal is reached."""
    create_role(run_module, world, inline_policies=INLINE)
    sandbox.add_fault(service="iam", action=action, drop_connection=True, when="after", count=1)
    mark = sandbox.mark()
    result = run_module("aws_xacct_role", credentials=client_credentials(world), role_name=ROLE, state="absent")
    assert not result.failed and result.changed, result
    attempts = [c for c in sandbox.calls(since=mark, service="iam")["calls"] if c["action"] == action]
    assert len(attempts) == 2, "the lost answer made botocore retry the delete once"
    again = run_module("aws_xacct_role", credentials=client_credentials(world), role_name=ROLE, state="absent")
    assert not again.changed, "the role is gone"
