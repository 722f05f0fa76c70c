"""Trust-policy enforcement on AssumeRole, MFA, GetSessionToken and the slow-new-account fault."""

import json
from datetime import datetime

import pyotp
import pytest
from botocore.exceptions import ClientError

from msp_sandbox import policy_eval
from msp_sandbox.extensions.trust_policy import INVALID_CODE, SESSION_CREDENTIALS, UNVALIDATED

MANAGEMENT = "123456789012"
GLOBEX = "210987654321"
INITECH = "310987654321"
AUTOMATION_ARN = f"arn:aws:iam::{MANAGEMENT}:user/msp-automation"


# --- helpers -----------------------------------------------------------------------------------------


def trust(principal=None, condition=None, effect="Allow", action="sts:AssumeRole", extra=()) -> str:
    statement = {"Effect": effect, "Action": action, "Principal": principal or {"AWS": MANAGEMENT}}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement, *extra]})


def client_role(aws, name: str, document: str, client: str = "globex") -> str:
    """A role in a client account, created with the client's own keys (moto maps keys to accounts)."""
    iam = aws.client_account(client, "iam")
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=document)["Role"]["Arn"]


def sandbox_now(sandbox) -> datetime:
    return datetime.fromisoformat(sandbox.request("GET", "/clock")["now"])


def totp(sandbox, seed: str, offset: int = 0) -> str:
    """The device's code at sandbox-clock time, which is the time the sandbox checks codes at."""
    return pyotp.TOTP(seed).at(sandbox_now(sandbox), counter_offset=offset)


def mfa_user(aws, sandbox, name: str = "operator") -> dict:
    """An IAM user of the management account with keys and an enabled virtual MFA device."""
    iam = aws.management("iam")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    seed = device["Base32StringSeed"]
    seed = seed.decode() if isinstance(seed, bytes) else seed
    serial = device["SerialNumber"]
    iam.enable_mfa_device(
        UserName=name,
        SerialNumber=serial,
        AuthenticationCode1=totp(sandbox, seed, -1),
        AuthenticationCode2=totp(sandbox, seed),
    )
    return {
        "arn": f"arn:aws:iam::{MANAGEMENT}:user/{name}",
        "serial": serial,
        "seed": seed,
        "credentials": {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]},
    }


def assume(sts, role_arn: str, **params) -> dict:
    return sts.assume_role(RoleArn=role_arn, RoleSessionName="test", **params)


def denied(call, message: str | None = None) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    assert response["Error"]["Code"] == "AccessDenied"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    if message is not None:
        assert response["Error"]["Message"] == message
    return response["Error"]["Message"]


def not_authorized(caller_arn: str, role_arn: str) -> str:
    return f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"


MFA_REQUIRED = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


# --- MFA -----------------------------------------------------------------------------------------------


def test_mfa_gated_client_role_allows_a_valid_code_and_denies_without(aws, sandbox):
    role_arn = client_role(aws, "MSPAdmin", trust(condition=MFA_REQUIRED))
    user = mfa_user(aws, sandbox)
    sts = aws.client("sts", user["credentials"])

    denied(lambda: assume(sts, role_arn), not_authorized(user["arn"], role_arn))
    response = assume(sts, role_arn, SerialNumber=user["serial"], TokenCode=totp(sandbox, user["seed"]))
    identity = aws.client("sts", aws.assumed(response)).get_caller_identity()
    assert identity["Account"] == GLOBEX
    assert identity["Arn"] == f"arn:aws:sts::{GLOBEX}:assumed-role/MSPAdmin/test"

    [decision, *_later] = [d for d in sandbox.request("GET", "/trust")["decisions"] if d["effect"] == "Allow"]
    assert decision["context"]["aws:MultiFactorAuthPresent"] == "true"
    assert decision["context"]["aws:MultiFactorAuthAge"] == "0"


def test_wrong_code_missing_code_and_foreign_device_are_denied(aws, sandbox):
    role_arn = client_role(aws, "MSPAdmin", trust(condition=MFA_REQUIRED))
    user = mfa_user(aws, sandbox)
    other = mfa_user(aws, sandbox, "someone-else")
    sts = aws.client("sts", user["credentials"])
    wrong = f"{(int(totp(sandbox, user['seed'])) + 500_000) % 1_000_000:06d}"

    denied(lambda: assume(sts, role_arn, SerialNumber=user["serial"], TokenCode=wrong), INVALID_CODE)
    denied(lambda: assume(sts, role_arn, SerialNumber=user["serial"]), UNVALIDATED)
    denied(
        lambda: assume(sts, role_arn, SerialNumber=other["serial"], TokenCode=totp(sandbox, other["seed"])), UNVALIDATED
    )
    # A wrong code fails even for a role that does not ask for MFA: STS checks what it is given.
    open_role = client_role(aws, "Open", trust())
    denied(lambda: assume(sts, open_role, SerialNumber=user["serial"], TokenCode=wrong), INVALID_CODE)
    assert assume(sts, open_role)["AssumedRoleUser"]["Arn"].endswith(":assumed-role/Open/test")


def test_mfa_max_age_denies_an_old_mfa_session(aws, sandbox):
    condition = {**MFA_REQUIRED, "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}
    role_arn = client_role(aws, "MSPAdminFresh", trust(condition=condition))
    user = mfa_user(aws, sandbox)
    token = aws.client("sts", user["credentials"]).get_session_token(
        SerialNumber=user["serial"], TokenCode=totp(sandbox, user["seed"])
    )
    session = aws.client("sts", aws.assumed(token))
    assert session.get_caller_identity()["Arn"] == user["arn"]

    sandbox.advance_clock(1800)
    assume(session, role_arn)
    sandbox.advance_clock(1801)
    denied(lambda: assume(session, role_arn), not_authorized(user["arn"], role_arn))
    [decision] = [d for d in sandbox.request("GET", "/trust")["decisions"] if d["effect"] != "Allow"]
    assert int(decision["context"]["aws:MultiFactorAuthAge"]) >= 3601


def test_get_session_token_without_mfa_carries_false_and_refuses_session_credentials(aws, sandbox):
    role_arn = client_role(aws, "MSPAdmin", trust(condition=MFA_REQUIRED))
    user = mfa_user(aws, sandbox)
    session = aws.client("sts", aws.assumed(aws.client("sts", user["credentials"]).get_session_token()))
    denied(lambda: assume(session, role_arn))
    denied(session.get_session_token, SESSION_CREDENTIALS)


def test_role_session_is_denied_on_an_mfa_gated_role(aws, sandbox):
    broker = aws.management("iam").create_role(RoleName="msp-broker", AssumeRolePolicyDocument=trust())["Role"]["Arn"]
    target = client_role(aws, "MSPAdmin", trust(condition=MFA_REQUIRED))
    session = aws.client("sts", aws.assumed(assume(aws.management("sts"), broker)))
    denied(
        lambda: assume(session, target),
        not_authorized(f"arn:aws:sts::{MANAGEMENT}:assumed-role/msp-broker/test", target),
    )
    # Credentials from AssumeRole are temporary: the key is present and "false", not absent.
    decision = sandbox.request("GET", "/trust")["decisions"][-1]
    assert decision["context"]["aws:MultiFactorAuthPresent"] == "false"


def test_bool_if_exists_allows_long_term_keys_but_not_a_role_session_without_mfa(aws, sandbox):
    role_arn = client_role(aws, "Lenient", trust(condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}))
    broker = aws.management("iam").create_role(RoleName="msp-broker", AssumeRolePolicyDocument=trust())["Role"]["Arn"]
    sts = aws.management("sts")
    assume(sts, role_arn)  # long-term keys: no MFA key at all, so IfExists holds
    session = aws.client("sts", aws.assumed(assume(sts, broker)))
    denied(lambda: assume(session, role_arn))


# --- ExternalId, principals, conditions ------------------------------------------------------------------


def test_external_id_missing_wrong_and_right(aws, sandbox):
    role_arn = client_role(aws, "Vendor", trust(condition={"StringEquals": {"sts:ExternalId": "msp-7f3a"}}))
    sts = aws.management("sts")
    denied(lambda: assume(sts, role_arn), not_authorized(AUTOMATION_ARN, role_arn))
    denied(lambda: assume(sts, role_arn, ExternalId="msp-0000"))
    assert assume(sts, role_arn, ExternalId="msp-7f3a")["Credentials"]["AccessKeyId"]


def test_principal_pinned_to_a_user_a_role_or_an_account(aws, sandbox):
    operator = mfa_user(aws, sandbox)
    sts = aws.management("sts")
    operator_sts = aws.client("sts", operator["credentials"])

    by_user = client_role(aws, "ByUser", trust({"AWS": [AUTOMATION_ARN]}))
    assume(sts, by_user)
    denied(lambda: assume(operator_sts, by_user), not_authorized(operator["arn"], by_user))

    broker = aws.management("iam").create_role(RoleName="msp-broker", AssumeRolePolicyDocument=trust())["Role"]["Arn"]
    by_role = client_role(aws, "ByRole", trust({"AWS": broker}))
    denied(lambda: assume(sts, by_role))
    broker_sts = aws.client("sts", aws.assumed(assume(sts, broker)))
    assert assume(broker_sts, by_role)["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{GLOBEX}:assumed-role/ByRole/test"

    by_account = client_role(aws, "ByAccount", trust({"AWS": f"arn:aws:iam::{INITECH}:root"}))
    assume(aws.client_account("initech", "sts"), by_account)
    denied(lambda: assume(sts, by_account))
    # Service principals never name an IAM caller.
    by_service = client_role(aws, "ByService", trust({"Service": "ec2.amazonaws.com"}))
    denied(lambda: assume(sts, by_service))


def test_action_wildcards_and_lists(aws, sandbox):
    sts = aws.management("sts")
    assume(sts, client_role(aws, "Star", trust(action="sts:*")))
    assume(sts, client_role(aws, "List", trust(action=["sts:TagSession", "sts:AssumeRole"])))
    denied(lambda: assume(sts, client_role(aws, "Other", trust(action="sts:AssumeRoleWithSAML"))))


def test_explicit_deny_wins(aws, sandbox):
    operator = mfa_user(aws, sandbox)
    deny = {
        "Effect": "Deny",
        "Action": "sts:AssumeRole",
        "Principal": {"AWS": "*"},
        "Condition": {"StringEquals": {"aws:PrincipalArn": AUTOMATION_ARN}},
    }
    role_arn = client_role(aws, "NoAutomation", trust(extra=[deny]))
    denied(lambda: assume(aws.management("sts"), role_arn), not_authorized(AUTOMATION_ARN, role_arn))
    assume(aws.client("sts", operator["credentials"]), role_arn)


def test_principal_arn_arn_like_sees_the_role_not_the_session(aws, sandbox):
    condition = {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{MANAGEMENT}:role/msp-*"}}
    role_arn = client_role(aws, "FromMspRoles", trust({"AWS": "*"}, condition))
    iam = aws.management("iam")
    broker = iam.create_role(RoleName="msp-broker", AssumeRolePolicyDocument=trust())["Role"]["Arn"]
    other = iam.create_role(RoleName="ops-broker", AssumeRolePolicyDocument=trust())["Role"]["Arn"]
    sts = aws.management("sts")
    denied(lambda: assume(sts, role_arn))
    assume(aws.client("sts", aws.assumed(assume(sts, broker))), role_arn)
    denied(lambda: assume(aws.client("sts", aws.assumed(assume(sts, other))), role_arn))


def test_null_requires_the_key_to_be_present(aws, sandbox):
    role_arn = client_role(aws, "NeedsExternalId", trust(condition={"Null": {"sts:ExternalId": "false"}}))
    sts = aws.management("sts")
    denied(lambda: assume(sts, role_arn))
    assume(sts, role_arn, ExternalId="anything")


def test_unknown_operator_fails_closed_and_enforcement_can_be_switched_off(aws, sandbox):
    role_arn = client_role(aws, "Odd", trust(condition={"StringEqualsMaybe": {"sts:ExternalId": "xx"}}))
    sts = aws.management("sts")
    denied(lambda: assume(sts, role_arn, ExternalId="xx"))
    missing = f"arn:aws:iam::{GLOBEX}:role/DoesNotExist"
    denied(lambda: assume(sts, missing), not_authorized(AUTOMATION_ARN, missing))

    assert sandbox.configure(trust_enforcement=False)["trust_enforcement"]["value"] is False
    assume(sts, role_arn, ExternalId="xx")
    assume(sts, missing)  # moto's own behaviour: any role, even one that does not exist


# --- new accounts ---------------------------------------------------------------------------------------


def test_new_account_access_role_is_denied_for_the_first_attempts(aws, sandbox):
    sandbox.configure(new_account_access_denied_attempts=2)
    account_id = aws.create_member("Fresh")
    role_arn = f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole"
    sts = aws.management("sts")
    for _attempt in range(2):
        denied(lambda: assume(sts, role_arn), not_authorized(AUTOMATION_ARN, role_arn))
    identity = aws.client("sts", aws.assumed(assume(sts, role_arn))).get_caller_identity()
    assert identity["Account"] == account_id
    assume(sts, role_arn)
    assert sandbox.request("GET", "/trust")["new_account_denials"] == {role_arn: 2}
    # Roles of standalone accounts are not affected.
    assume(sts, client_role(aws, "Plain", trust()))


# --- the evaluator on its own -------------------------------------------------------------------------------

USER = policy_eval.Caller(MANAGEMENT, AUTOMATION_ARN, "user")
ROLE_SESSION = policy_eval.Caller(
    MANAGEMENT,
    f"arn:aws:iam::{MANAGEMENT}:role/msp-broker",
    "role",
    f"arn:aws:sts::{MANAGEMENT}:assumed-role/msp-broker/s1",
)
OUTSIDER = policy_eval.Caller(INITECH, f"arn:aws:iam::{INITECH}:user/x", "user")


def doc(*statements) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(principal=None, condition=None, **extra) -> dict:
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": principal or {"AWS": MANAGEMENT}}
    if condition is not None:
        statement["Condition"] = condition
    return {**statement, **extra}


@pytest.mark.parametrize(
    ("policy", "caller", "context", "effect"),
    [
        (doc(allow()), USER, {}, "Allow"),
        (doc(allow({"AWS": f"arn:aws:iam::{MANAGEMENT}:root"})), ROLE_SESSION, {}, "Allow"),
        (doc(allow()), OUTSIDER, {}, "ImplicitDeny"),
        (doc(allow("*")), OUTSIDER, {}, "Allow"),
        (doc(allow({"AWS": ["111111111111", INITECH]})), OUTSIDER, {}, "Allow"),
        (doc(allow({"AWS": ROLE_SESSION.principal_arn})), ROLE_SESSION, {}, "Allow"),
        (doc(allow({"AWS": ROLE_SESSION.session_arn})), ROLE_SESSION, {}, "Allow"),
        (doc(allow({"AWS": ROLE_SESSION.principal_arn})), USER, {}, "ImplicitDeny"),
        (doc(allow({"AWS": f"arn:aws:iam::{MANAGEMENT}:user/*"})), USER, {}, "ImplicitDeny"),
        (doc(allow({"Federated": "accounts.google.com"})), USER, {}, "ImplicitDeny"),
        (doc(allow(Action="sts:assume*")), USER, {}, "Allow"),
        (doc({**allow(), "Action": "sts:TagSession"}), USER, {}, "ImplicitDeny"),
        (doc({"Effect": "Allow", "NotAction": "sts:TagSession", "Principal": {"AWS": MANAGEMENT}}), USER, {}, "Allow"),
        (doc(allow(), {"Effect": "Deny", "Action": "sts:*", "Principal": "*"}), USER, {}, "Deny"),
        (
            doc(allow(), {"Effect": "Deny", "Action": "sts:AssumeRole", "NotPrincipal": {"AWS": AUTOMATION_ARN}}),
            ROLE_SESSION,
            {},
            "Deny",
        ),
        (
            doc(allow(), {"Effect": "Deny", "Action": "sts:AssumeRole", "NotPrincipal": {"AWS": AUTOMATION_ARN}}),
            USER,
            {},
            "Allow",
        ),
        # MFA: absent key, "false", "true"; Bool values are not case-sensitive, key names neither.
        (doc(allow(condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})), USER, {}, "ImplicitDeny"),
        (
            doc(allow(condition={"Bool": {"aws:multifactorauthpresent": True}})),
            USER,
            {"aws:MultiFactorAuthPresent": "true"},
            "Allow",
        ),
        (doc(allow(condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}})), USER, {}, "Allow"),
        (
            doc(allow(condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}})),
            USER,
            {"aws:MultiFactorAuthPresent": "false"},
            "ImplicitDeny",
        ),
        (
            doc(allow(condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}})),
            USER,
            {"aws:MultiFactorAuthAge": "3599"},
            "Allow",
        ),
        (
            doc(allow(condition={"NumericLessThan": {"aws:MultiFactorAuthAge": 3600}})),
            USER,
            {"aws:MultiFactorAuthAge": "3600"},
            "ImplicitDeny",
        ),
        (
            doc(allow(condition={"NumericGreaterThanEquals": {"aws:MultiFactorAuthAge": "10"}})),
            USER,
            {"aws:MultiFactorAuthAge": "10"},
            "Allow",
        ),
        (doc(allow(condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}})), USER, {}, "ImplicitDeny"),
        # Strings: several values are OR-ed, negated operators hold on a missing key.
        (
            doc(allow(condition={"StringEquals": {"sts:ExternalId": ["a1", "b2"]}})),
            USER,
            {"sts:ExternalId": "b2"},
            "Allow",
        ),
        (
            doc(allow(condition={"StringEquals": {"sts:ExternalId": "A1"}})),
            USER,
            {"sts:ExternalId": "a1"},
            "ImplicitDeny",
        ),
        (
            doc(allow(condition={"StringEqualsIgnoreCase": {"sts:ExternalId": "A1"}})),
            USER,
            {"sts:ExternalId": "a1"},
            "Allow",
        ),
        (doc(allow(condition={"StringNotEquals": {"sts:ExternalId": "bad"}})), USER, {}, "Allow"),
        (
            doc(allow(condition={"StringNotEquals": {"sts:ExternalId": ["bad", "worse"]}})),
            USER,
            {"sts:ExternalId": "worse"},
            "ImplicitDeny",
        ),
        (
            doc(allow(condition={"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/msp-?utomation"}})),
            USER,
            {"aws:PrincipalArn": AUTOMATION_ARN},
            "Allow",
        ),
        # ARN operators match each colon-separated part on its own.
        (
            doc(allow(condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/msp-*"}})),
            ROLE_SESSION,
            {"aws:PrincipalArn": ROLE_SESSION.principal_arn},
            "Allow",
        ),
        (
            doc(allow(condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:*:role/msp-*"}})),
            ROLE_SESSION,
            {"aws:PrincipalArn": ROLE_SESSION.principal_arn},
            "ImplicitDeny",
        ),
        (
            doc(allow(condition={"StringLike": {"aws:PrincipalArn": "arn:aws:*:role/msp-*"}})),
            ROLE_SESSION,
            {"aws:PrincipalArn": ROLE_SESSION.principal_arn},
            "Allow",
        ),
        (
            doc(allow(condition={"ArnEquals": {"aws:PrincipalArn": AUTOMATION_ARN}})),
            USER,
            {"aws:PrincipalArn": AUTOMATION_ARN},
            "Allow",
        ),
        (
            doc(allow(condition={"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/*"}})),
            USER,
            {"aws:PrincipalArn": AUTOMATION_ARN},
            "ImplicitDeny",
        ),
        # Several keys and operators are AND-ed.
        (
            doc(
                allow(
                    condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}, "StringEquals": {"sts:ExternalId": "x"}}
                )
            ),
            USER,
            {"aws:MultiFactorAuthPresent": "true"},
            "ImplicitDeny",
        ),
        (
            doc(allow(condition={"StringEquals": {"sts:ExternalId": "x", "aws:PrincipalAccount": MANAGEMENT}})),
            USER,
            {"sts:ExternalId": "x", "aws:PrincipalAccount": MANAGEMENT},
            "Allow",
        ),
        # Null, set operators, dates.
        (doc(allow(condition={"Null": {"sts:ExternalId": "true"}})), USER, {}, "Allow"),
        (doc(allow(condition={"Null": {"sts:ExternalId": "true"}})), USER, {"sts:ExternalId": "x"}, "ImplicitDeny"),
        (
            doc(allow(condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}})),
            USER,
            {"aws:TagKeys": ["c", "b"]},
            "Allow",
        ),
        (
            doc(allow(condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}})),
            USER,
            {"aws:TagKeys": ["c", "b"]},
            "ImplicitDeny",
        ),
        (doc(allow(condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}})), USER, {}, "Allow"),
        (doc(allow(condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}})), USER, {}, "ImplicitDeny"),
        (
            doc(allow(condition={"DateLessThan": {"aws:CurrentTime": "2100-01-01T00:00:00Z"}})),
            USER,
            {"aws:CurrentTime": "2025-06-01T00:00:00Z"},
            "Allow",
        ),
        # Unknown operators fail closed: the Allow does not apply, the Deny does.
        (
            doc(allow(condition={"StringSortOf": {"sts:ExternalId": "x"}})),
            USER,
            {"sts:ExternalId": "x"},
            "ImplicitDeny",
        ),
        (
            doc(
                allow(),
                {
                    "Effect": "Deny",
                    "Action": "sts:AssumeRole",
                    "Principal": "*",
                    "Condition": {"Whatever:StringEquals": {"sts:ExternalId": "x"}},
                },
            ),
            USER,
            {},
            "Deny",
        ),
        (doc(allow(condition={"NullIfExists": {"sts:ExternalId": "true"}})), USER, {}, "ImplicitDeny"),
        # Documents as moto stores them.
        (json.dumps(doc(allow())), USER, {}, "Allow"),
        (
            "%7B%22Statement%22%3A%20%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20%22sts%3AAssumeRole%22"
            "%2C%20%22Principal%22%3A%20%7B%22AWS%22%3A%20%22123456789012%22%7D%7D%7D",
            USER,
            {},
            "Allow",
        ),
        ("not json", USER, {}, "ImplicitDeny"),
    ],
)
def test_evaluator(policy, caller, context, effect):
    assert policy_eval.evaluate(policy, "sts:AssumeRole", caller, context).effect == effect
