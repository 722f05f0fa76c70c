"""Centralised root access: IAM organization features, STS AssumeRoot and task-scoped root sessions."""

from datetime import UTC, datetime

import botocore.exceptions
import pytest

TASK = "arn:aws:iam::aws:policy/root-task/"


def code_of(raised) -> str:
    return raised.value.response["Error"]["Code"]


def enable_root_access(aws, *features: str) -> None:
    aws.management("organizations").enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    iam = aws.management("iam")
    if "RootCredentialsManagement" in features:
        iam.enable_organizations_root_credentials_management()
    if "RootSessions" in features:
        iam.enable_organizations_root_sessions()


def root_session(aws, member: str, task: str, duration: int = 900) -> dict:
    response = aws.management("sts").assume_root(
        TargetPrincipal=member, TaskPolicyArn={"arn": TASK + task}, DurationSeconds=duration
    )
    return aws.assumed(response)


def test_features_enable_list_disable(aws, world):
    iam = aws.management("iam")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        iam.list_organizations_features()
    assert code_of(raised) == "ServiceAccessNotEnabledException"
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        iam.enable_organizations_root_sessions()
    assert code_of(raised) == "ServiceAccessNotEnabledException"

    org = aws.management("organizations")
    org.enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    enabled = org.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    principals = {s["ServicePrincipal"] for s in enabled}
    assert "iam.amazonaws.com" in principals

    org_id = world["organization"]["id"]
    listed = iam.list_organizations_features()
    assert (listed["OrganizationId"], listed.get("EnabledFeatures", [])) == (org_id, [])
    assert iam.enable_organizations_root_credentials_management()["EnabledFeatures"] == ["RootCredentialsManagement"]
    assert iam.enable_organizations_root_sessions()["EnabledFeatures"] == ["RootCredentialsManagement", "RootSessions"]
    assert iam.list_organizations_features()["EnabledFeatures"] == ["RootCredentialsManagement", "RootSessions"]
    assert iam.disable_organizations_root_credentials_management()["EnabledFeatures"] == ["RootSessions"]
    assert iam.disable_organizations_root_sessions()["EnabledFeatures"] == []
    assert iam.list_organizations_features()["OrganizationId"] == org_id


def test_feature_errors_for_other_callers(aws):
    # A standalone account has no organization.
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        aws.client_account("globex", "iam").list_organizations_features()
    assert code_of(raised) == "OrganizationNotFoundException"

    # An organization with consolidated billing only.
    aws.client_account("initech", "organizations").create_organization(FeatureSet="CONSOLIDATED_BILLING")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        aws.client_account("initech", "iam").enable_organizations_root_sessions()
    assert code_of(raised) == "OrganizationNotInAllFeaturesModeException"

    # A member account, through the role CreateAccount made for the management account.
    member = aws.create_member("Workloads", "awsaccounts+workloads@msp.example")
    enable_root_access(aws)
    assumed = aws.management("sts").assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", RoleSessionName="probe"
    )
    member_iam = aws.client("iam", aws.assumed(assumed))
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        member_iam.enable_organizations_root_sessions()
    assert code_of(raised) == "CallerIsNotManagementAccountException"
    for call in (member_iam.list_organizations_features, member_iam.disable_organizations_root_sessions):
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            call()
        assert code_of(raised) == "AccountNotManagementOrDelegatedAdministratorException"


def test_assume_root_refused_before_enablement_and_allowed_after(aws, world):
    member = aws.create_member("Workloads", "awsaccounts+workloads@msp.example")
    sts = aws.management("sts")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        sts.assume_root(TargetPrincipal=member, TaskPolicyArn={"arn": TASK + "IAMAuditRootUserCredentials"})
    assert code_of(raised) == "AccessDenied"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    enable_root_access(aws, "RootCredentialsManagement")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        sts.assume_root(TargetPrincipal=member, TaskPolicyArn={"arn": TASK + "IAMAuditRootUserCredentials"})
    assert code_of(raised) == "AccessDenied"

    aws.management("iam").enable_organizations_root_sessions()
    response = sts.assume_root(TargetPrincipal=member, TaskPolicyArn={"arn": TASK + "IAMAuditRootUserCredentials"})
    assert response["Credentials"]["AccessKeyId"].startswith("ASIA")
    # DurationSeconds defaults to 900.
    expires_in = (response["Credentials"]["Expiration"] - datetime.now(UTC)).total_seconds()
    assert 880 < expires_in <= 900
    identity = aws.client("sts", aws.assumed(response)).get_caller_identity()
    assert (identity["Account"], identity["Arn"]) == (member, f"arn:aws:iam::{member}:root")


def test_assume_root_errors(aws, world):
    member = aws.create_member("Workloads", "awsaccounts+workloads@msp.example")
    enable_root_access(aws, "RootSessions")
    sts = aws.management("sts")
    audit = {"arn": TASK + "IAMAuditRootUserCredentials"}
    cases = [
        ({"TargetPrincipal": world["clients"]["globex"]["account_id"], "TaskPolicyArn": audit}, "AccessDenied"),
        ({"TargetPrincipal": world["management"]["account_id"], "TaskPolicyArn": audit}, "AccessDenied"),
        ({"TargetPrincipal": member, "TaskPolicyArn": {"arn": TASK + "IAMEverything"}}, "ValidationError"),
        (
            {"TargetPrincipal": member, "TaskPolicyArn": {"arn": "arn:aws:iam::aws:policy/AdministratorAccess"}},
            "ValidationError",
        ),
        ({"TargetPrincipal": member, "TaskPolicyArn": audit, "DurationSeconds": 901}, "ValidationError"),
    ]
    for kwargs, code in cases:
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            sts.assume_root(**kwargs)
        assert code_of(raised) == code, kwargs
    # A client outside the organization may not either; the ARN form of the target is accepted.
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        aws.client_account("globex", "sts").assume_root(TargetPrincipal=member, TaskPolicyArn=audit)
    assert code_of(raised) == "AccessDenied"
    creds = aws.assumed(
        sts.assume_root(TargetPrincipal=f"arn:aws:iam::{member}:root", TaskPolicyArn=audit, DurationSeconds=900)
    )
    assert aws.client("sts", creds).get_caller_identity()["Account"] == member


def test_audit_finds_seeded_credentials_and_may_not_delete(aws, sandbox):
    member = aws.create_member("Workloads", "awsaccounts+workloads@msp.example")
    enable_root_access(aws, "RootCredentialsManagement", "RootSessions")
    seed = {"account_id": member, "login_profile": True, "access_keys": 2, "mfa_devices": 1, "signing_certificates": 1}
    seeded = sandbox.request("POST", "/root-credentials", seed)
    iam = aws.client("iam", root_session(aws, member, "IAMAuditRootUserCredentials"))

    assert "CreateDate" in iam.get_login_profile()["LoginProfile"]
    keys = [k["AccessKeyId"] for k in iam.list_access_keys()["AccessKeyMetadata"]]
    assert keys == seeded["access_keys"] and len(keys) == 2
    assert [d["SerialNumber"] for d in iam.list_mfa_devices()["MFADevices"]] == seeded["mfa_devices"]
    certs = iam.list_signing_certificates()["Certificates"]
    assert [c["CertificateId"] for c in certs] == seeded["signing_certificates"]
    assert iam.get_access_key_last_used(AccessKeyId=keys[0])["AccessKeyLastUsed"]["ServiceName"] == "N/A"
    assert iam.get_user()["User"]["Arn"] == f"arn:aws:iam::{member}:root"

    # The audit task policy denies every write, IAM actions outside its list, and other users.
    denied = [
        lambda: iam.delete_access_key(AccessKeyId=keys[0]),
        iam.delete_login_profile,
        iam.list_users,
        lambda: iam.create_role(RoleName="backdoor", AssumeRolePolicyDocument="{}"),
        lambda: iam.list_access_keys(UserName="someone"),
    ]
    for call in denied:
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            call()
        assert code_of(raised) == "AccessDenied"
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert "root-task/IAMAuditRootUserCredentials" in raised.value.response["Error"]["Message"]
    after = sandbox.request("GET", "/root-credentials", query={"account_id": member})
    assert after == seeded


def test_delete_task_removes_root_credentials(aws, sandbox):
    member = aws.create_member("Workloads", "awsaccounts+workloads@msp.example")
    enable_root_access(aws, "RootCredentialsManagement", "RootSessions")
    sandbox.request(
        "POST",
        "/root-credentials",
        {"account_id": member, "login_profile": True, "access_keys": 2, "mfa_devices": 1, "signing_certificates": 2},
    )
    iam = aws.client("iam", root_session(aws, member, "IAMDeleteRootUserCredentials"))

    iam.delete_login_profile()
    for key in iam.list_access_keys()["AccessKeyMetadata"]:
        iam.delete_access_key(AccessKeyId=key["AccessKeyId"])
    for device in iam.list_mfa_devices()["MFADevices"]:
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            iam.delete_virtual_mfa_device(SerialNumber=device["SerialNumber"])
        assert code_of(raised) == "DeleteConflict"
        iam.deactivate_mfa_device(SerialNumber=device["SerialNumber"])
        iam.delete_virtual_mfa_device(SerialNumber=device["SerialNumber"])
    for cert in iam.list_signing_certificates()["Certificates"]:
        iam.delete_signing_certificate(CertificateId=cert["CertificateId"])

    assert sandbox.request("GET", "/root-credentials", query={"account_id": member}) == {
        "account_id": member,
        "login_profile": False,
        "access_keys": [],
        "mfa_devices": [],
        "signing_certificates": [],
    }
    # As for the root user in AWS: no password means NoSuchEntity.
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        iam.get_login_profile()
    assert code_of(raised) == "NoSuchEntity"
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        iam.delete_access_key(AccessKeyId="AKIAUNKNOWNKEY000000")
    assert code_of(raised) == "NoSuchEntity"
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        iam.create_login_profile()
    assert code_of(raised) == "AccessDenied"


def test_create_password_task_and_session_expiry(aws, sandbox):
    member = aws.create_member("Workloads", "awsaccounts+workloads@msp.example")
    enable_root_access(aws, "RootSessions")
    iam = aws.client("iam", root_session(aws, member, "IAMCreateRootUserPassword", duration=120))
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        iam.get_login_profile()
    assert code_of(raised) == "NoSuchEntity"
    iam.create_login_profile()
    assert iam.get_login_profile()["LoginProfile"]["PasswordResetRequired"] is False
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        iam.create_login_profile()
    assert code_of(raised) == "EntityAlreadyExists"
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        iam.list_access_keys()
    assert code_of(raised) == "AccessDenied"
    assert sandbox.request("GET", "/root-credentials", query={"account_id": member})["login_profile"] is True

    sandbox.advance_clock(121)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        iam.get_login_profile()
    assert code_of(raised) == "ExpiredToken"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
