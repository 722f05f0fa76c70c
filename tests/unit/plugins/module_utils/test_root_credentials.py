"""Root credentials: IAM's answers as the module returns them, the deletions (in order), what check mode predicts,
why AWS refused a root session, allowing password recovery, and the calls with a root session's client
(root_credentials.py)."""

from datetime import UTC, datetime

import botocore.exceptions
import pytest

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput, MspAwsError
from ansible_collections.msp.aws_accounts.plugins.module_utils.root_credentials import (
    AUDIT_TASK,
    DELETE_TASK,
    RECOVERY_TASK,
    create_login_profile,
    credentials_after,
    credentials_from_aws,
    delete_credential,
    deleted_summary,
    deletions,
    has_credentials,
    open_root_session,
    read_root_credentials,
    recovery_allowed,
    refusal_facts,
    refusal_message,
    require_region,
    summary,
    task_policy_arn,
)

MEMBER = "210987654321"
MANAGEMENT = "123456789012"
WHEN = datetime(2025, 1, 31, 10, 0, tzinfo=UTC)
SERIAL = f"arn:aws:iam::{MEMBER}:mfa/root-account-mfa-device"
KEY = {"AccessKeyId": "AKIAEXAMPLEKEY000001", "Status": "Active", "CreateDate": WHEN}
KEY2 = {"AccessKeyId": "AKIAEXAMPLEKEY000002", "Status": "Inactive", "CreateDate": WHEN}
CERT = {"CertificateId": "CERT1", "Status": "Active", "UploadDate": WHEN, "CertificateBody": "-----BEGIN..."}
MFA = {"SerialNumber": SERIAL, "EnableDate": WHEN}
NONE = {"login_profile": False, "access_keys": [], "signing_certificates": [], "mfa_devices": []}


def test_credentials_from_aws_keeps_ids_and_dates_and_never_a_certificate_body():
    credentials = credentials_from_aws({"CreateDate": WHEN}, [KEY], [MFA], [CERT])
    assert credentials == {
        "login_profile": True,
        "login_profile_created": "2025-01-31T10:00:00+00:00",
        "access_keys": [{"access_key_id": KEY["AccessKeyId"], "status": "Active", "created": WHEN.isoformat()}],
        "signing_certificates": [{"certificate_id": "CERT1", "status": "Active", "uploaded": WHEN.isoformat()}],
        "mfa_devices": [{"serial_number": SERIAL, "enabled": WHEN.isoformat()}],
    }
    empty = credentials_from_aws(None, [], [], [])
    assert empty["login_profile"] is False and empty["login_profile_created"] is None
    assert not has_credentials(empty)
    assert has_credentials(credentials)


DELETION_CASES = [
    # case, (login profile, keys, mfa, certificates), deletions in order
    ("nothing", (None, [], [], []), []),
    ("password-only", ({"CreateDate": WHEN}, [], [], []), [("DeleteLoginProfile", None)]),
    ("mfa-only", (None, [], [MFA], []), [("DeactivateMFADevice", SERIAL)]),
    (
        "everything-password-first-mfa-last",
        ({"CreateDate": WHEN}, [KEY, KEY2], [MFA], [CERT]),
        [
            ("DeleteLoginProfile", None),
            ("DeleteAccessKey", KEY["AccessKeyId"]),
            ("DeleteAccessKey", KEY2["AccessKeyId"]),
            ("DeleteSigningCertificate", "CERT1"),
            ("DeactivateMFADevice", SERIAL),
        ],
    ),
    ("inactive-keys-too", (None, [KEY2], [], []), [("DeleteAccessKey", KEY2["AccessKeyId"])]),
]


@pytest.mark.parametrize(("answers", "steps"), [c[1:] for c in DELETION_CASES], ids=[c[0] for c in DELETION_CASES])
def test_deletions_and_what_is_left(answers, steps):
    credentials = credentials_from_aws(*answers)
    assert deletions(credentials) == steps
    after = credentials_after(credentials, steps)
    assert summary(after) == NONE
    assert not has_credentials(after)
    assert deletions(after) == []
    deleted = deleted_summary(steps)
    assert deleted["login_profile"] == credentials["login_profile"]
    assert deleted == summary(credentials)


def test_part_of_the_deletions_leaves_the_rest():
    credentials = credentials_from_aws({"CreateDate": WHEN}, [KEY, KEY2], [MFA], [CERT])
    done = [("DeleteLoginProfile", None), ("DeleteAccessKey", KEY["AccessKeyId"])]
    assert summary(credentials_after(credentials, done)) == {
        "login_profile": False,
        "access_keys": [KEY2["AccessKeyId"]],
        "signing_certificates": ["CERT1"],
        "mfa_devices": [SERIAL],
    }
    assert deleted_summary(done) == {
        "login_profile": True,
        "access_keys": [KEY["AccessKeyId"]],
        "signing_certificates": [],
        "mfa_devices": [],
    }


def test_task_policy_arn_follows_the_partition():
    assert task_policy_arn(AUDIT_TASK) == "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
    assert task_policy_arn(DELETE_TASK, "aws-cn") == "arn:aws-cn:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"
    assert task_policy_arn(RECOVERY_TASK) == "arn:aws:iam::aws:policy/root-task/IAMCreateRootUserPassword"


RECOVERY_CASES = [
    # case, (login profile, keys, mfa, certificates), when CreateLoginProfile made it, login profile created after
    ("no-password-check-mode", (None, [KEY], [MFA], []), None, None),
    ("no-password-created", (None, [], [], []), WHEN, WHEN.isoformat()),
    ("password-kept", ({"CreateDate": WHEN}, [], [], []), None, WHEN.isoformat()),
]


@pytest.mark.parametrize(
    ("answers", "created", "created_after"), [c[1:] for c in RECOVERY_CASES], ids=[c[0] for c in RECOVERY_CASES]
)
def test_recovery_allowed_gives_a_login_profile_and_leaves_the_rest(answers, created, created_after):
    credentials = credentials_from_aws(*answers)
    after = recovery_allowed(credentials, created)
    assert after["login_profile"] is True
    assert after["login_profile_created"] == created_after
    for name in ("access_keys", "signing_certificates", "mfa_devices"):
        assert after[name] == credentials[name]
    # Allowing it once is enough.
    assert recovery_allowed(after) == after


@pytest.mark.parametrize("region", [None, ""])
def test_no_region_is_refused_naming_the_option(region):
    with pytest.raises(InvalidInput) as raised:
        require_region(region)
    assert raised.value.option == "region"
    assert "regional STS endpoint" in raised.value.message


def test_a_region_is_kept():
    assert require_region("eu-west-1") == "eu-west-1"


BOTH = ["RootCredentialsManagement", "RootSessions"]
REFUSAL_CASES = [
    # case, facts, words the message must have, words it must not have
    (
        "management-account",
        {"management_account_id": MEMBER, "features": BOTH},
        ["account_id: 210987654321 is the organization's management account", "cannot target it"],
        ["not a member"],
    ),
    (
        "no-trusted-access",
        {"management_account_id": MANAGEMENT, "features_error": "ServiceAccessNotEnabled", "member": True},
        ["not enabled in the organization", "msp.aws_accounts.aws_root_access", "root_sessions: true"],
        ["management account,"],
    ),
    (
        "no-root-sessions",
        {"management_account_id": MANAGEMENT, "features": ["RootCredentialsManagement"], "member": True},
        ["lacks RootSessions", "msp.aws_accounts.aws_root_access"],
        ["RootCredentialsManagement and"],
    ),
    (
        "no-feature",
        {"management_account_id": MANAGEMENT, "features": [], "member": True},
        ["lacks RootCredentialsManagement and RootSessions"],
        [],
    ),
    (
        "not-a-member",
        {"management_account_id": MANAGEMENT, "features": BOTH, "member": False},
        ["account_id: 210987654321 is not a member account"],
        ["lacks"],
    ),
    (
        "two-findings",
        {"management_account_id": MANAGEMENT, "features": [], "member": False},
        ["lacks RootCredentialsManagement and RootSessions", "; account_id: 210987654321 is not a member"],
        [],
    ),
    (
        "nothing-found",
        {"management_account_id": MANAGEMENT, "features": BOTH, "member": True},
        ["needs sts:AssumeRoot", "no SCP may deny it"],
        ["account_id:"],
    ),
    ("nothing-known", {}, ["needs sts:AssumeRoot"], []),
]


@pytest.mark.parametrize(
    ("facts", "words", "absent"), [c[1:] for c in REFUSAL_CASES], ids=[c[0] for c in REFUSAL_CASES]
)
def test_refusal_message(facts, words, absent):
    message = refusal_message(MEMBER, AUDIT_TASK, **facts)
    assert message.startswith(f"AssumeRoot into account {MEMBER} (IAMAuditRootUserCredentials) was refused: ")
    for word in words:
        assert word in message
    for word in absent:
        assert word not in message


def client_error(code, action):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": "refused"}}, action)


class FakeSts:
    def __init__(self, error=None):
        self.error = error
        self.calls = []

    def assume_root(self, **kwargs):
        self.calls.append(kwargs)
        if self.error:
            raise self.error
        return {"Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret", "SessionToken": "token"}}


def test_open_root_session_asks_for_the_task_for_at_most_900_seconds():
    sts = FakeSts()
    credentials = open_root_session(sts, MEMBER, AUDIT_TASK, "aws", diagnose=pytest.fail)
    assert credentials == {
        "aws_access_key_id": "ASIAEXAMPLE",
        "aws_secret_access_key": "secret",
        "aws_session_token": "token",
    }
    assert sts.calls == [
        {
            "TargetPrincipal": MEMBER,
            "TaskPolicyArn": {"arn": task_policy_arn(AUDIT_TASK)},
            "DurationSeconds": 900,
            "aws_retry": True,
        }
    ]


def test_a_refused_root_session_is_diagnosed():
    sts = FakeSts(client_error("AccessDenied", "AssumeRoot"))
    with pytest.raises(MspAwsError) as raised:
        open_root_session(sts, MEMBER, DELETE_TASK, "aws", diagnose=lambda: {"management_account_id": MEMBER})
    assert "is the organization's management account" in raised.value.message
    assert "(IAMDeleteRootUserCredentials)" in raised.value.message


def test_other_assume_root_errors_mention_the_regional_endpoint():
    for code, words in (("RegionDisabledException", "not activated in this region"), ("InvalidAction", "regional STS")):
        with pytest.raises(MspAwsError) as raised:
            open_root_session(
                FakeSts(client_error(code, "AssumeRoot")), MEMBER, AUDIT_TASK, "aws", diagnose=pytest.fail
            )
        assert words in raised.value.message


class FakeOrganizations:
    def __init__(self, master=MANAGEMENT, members=(MEMBER,), error=None):
        self.master = master
        self.members = members
        self.error = error

    def describe_organization(self, aws_retry):
        if self.error:
            raise self.error
        return {"Organization": {"Id": "o-exampleorg1", "Arn": "arn", "MasterAccountId": self.master}}

    def describe_account(self, AccountId, aws_retry):
        if AccountId not in self.members:
            raise client_error("AccountNotFoundException", "DescribeAccount")
        return {"Account": {"Id": AccountId}}


class FakeFeatures:
    def __init__(self, features=None, error=None):
        self.features = features
        self.error = error

    def list_organizations_features(self, aws_retry):
        if self.error:
            raise self.error
        return {"EnabledFeatures": self.features}


NO_TRUSTED_ACCESS = client_error("ServiceAccessNotEnabledException", "ListOrganizationsFeatures")
FACT_CASES = [
    # case, organizations, iam, facts
    (
        "member-with-root-access",
        FakeOrganizations(),
        FakeFeatures(["RootSessions"]),
        {"management_account_id": MANAGEMENT, "features": ["RootSessions"], "member": True},
    ),
    (
        "not-a-member",
        FakeOrganizations(members=()),
        FakeFeatures([]),
        {"management_account_id": MANAGEMENT, "features": [], "member": False},
    ),
    (
        "management-account-is-not-described",
        FakeOrganizations(master=MEMBER),
        FakeFeatures([]),
        {"management_account_id": MEMBER, "features": []},
    ),
    (
        "trusted-access-off",
        FakeOrganizations(),
        FakeFeatures(error=NO_TRUSTED_ACCESS),
        {"management_account_id": MANAGEMENT, "features_error": "ServiceAccessNotEnabled", "member": True},
    ),
    (
        "reads-refused-leave-facts-unknown",
        FakeOrganizations(error=client_error("AccessDeniedException", "DescribeOrganization")),
        FakeFeatures(error=client_error("AccessDenied", "ListOrganizationsFeatures")),
        {"features_error": "AccessDenied"},
    ),
]


@pytest.mark.parametrize(("organizations", "iam", "facts"), [c[1:] for c in FACT_CASES], ids=[c[0] for c in FACT_CASES])
def test_refusal_facts(organizations, iam, facts):
    assert refusal_facts(organizations, iam, MEMBER) == facts


class FakePaginator:
    def __init__(self, result):
        self.result = result

    def paginate(self):
        return self

    def build_full_result(self):
        return self.result


class FakeRootIam:
    """A root session's IAM client: the credentials given, and each call's error if any."""

    def __init__(self, login_profile=None, keys=(), mfa=(), certificates=(), errors=None):
        self.login_profile = login_profile
        self.lists = {
            "list_access_keys": {"AccessKeyMetadata": list(keys)},
            "list_mfa_devices": {"MFADevices": list(mfa)},
            "list_signing_certificates": {"Certificates": list(certificates)},
        }
        self.errors = errors or {}
        self.calls = []

    def get_login_profile(self, aws_retry):
        if self.login_profile is None:
            raise client_error("NoSuchEntity", "GetLoginProfile")
        return {"LoginProfile": self.login_profile}

    def get_paginator(self, operation):
        if operation in self.errors:
            raise self.errors[operation]
        return FakePaginator(self.lists[operation])

    def __getattr__(self, name):
        def call(aws_retry, **kwargs):
            self.calls.append((name, kwargs))
            if name in self.errors:
                raise self.errors[name]

        return call


def test_read_root_credentials():
    iam = FakeRootIam({"CreateDate": WHEN}, [KEY], [MFA], [CERT])
    assert read_root_credentials(iam, MEMBER) == credentials_from_aws({"CreateDate": WHEN}, [KEY], [MFA], [CERT])
    assert read_root_credentials(FakeRootIam(), MEMBER) == credentials_from_aws(None, [], [], [])


def test_a_refused_read_names_the_call_and_the_account():
    iam = FakeRootIam(errors={"list_mfa_devices": client_error("AccessDenied", "ListMFADevices")})
    with pytest.raises(MspAwsError) as raised:
        read_root_credentials(iam, MEMBER)
    assert raised.value.message == f"iam:ListMFADevices on the root user of account {MEMBER} failed"


def test_delete_credential_passes_the_id_and_takes_gone_as_gone():
    iam = FakeRootIam(errors={"delete_access_key": client_error("NoSuchEntity", "DeleteAccessKey")})
    assert delete_credential(iam, "DeleteLoginProfile", None, MEMBER) is True
    assert delete_credential(iam, "DeactivateMFADevice", SERIAL, MEMBER) is True
    assert delete_credential(iam, "DeleteSigningCertificate", "CERT1", MEMBER) is True
    assert delete_credential(iam, "DeleteAccessKey", "AKIAGONE", MEMBER) is False
    assert iam.calls == [
        ("delete_login_profile", {}),
        ("deactivate_mfa_device", {"SerialNumber": SERIAL}),
        ("delete_signing_certificate", {"CertificateId": "CERT1"}),
        ("delete_access_key", {"AccessKeyId": "AKIAGONE"}),
    ]
    refusing = FakeRootIam(errors={"delete_login_profile": client_error("AccessDenied", "DeleteLoginProfile")})
    with pytest.raises(MspAwsError) as raised:
        delete_credential(refusing, "DeleteLoginProfile", None, MEMBER)
    assert "iam:DeleteLoginProfile" in raised.value.message


class FakeRecoveryIam:
    """A root session's IAM client with the task policy IAMCreateRootUserPassword."""

    def __init__(self, error=None):
        self.error = error
        self.calls = []

    def create_login_profile(self, **kwargs):
        self.calls.append(kwargs)
        if self.error:
            raise self.error
        return {"LoginProfile": {"UserName": "root", "CreateDate": WHEN, "PasswordResetRequired": False}}


def test_create_login_profile_sends_no_password_and_no_user_name():
    iam = FakeRecoveryIam()
    assert create_login_profile(iam, MEMBER) == (True, WHEN)
    # AWS: in an AssumeRoot session, Password and UserName must be omitted.
    assert iam.calls == [{"aws_retry": True}]


def test_a_login_profile_made_meanwhile_is_no_creation():
    iam = FakeRecoveryIam(client_error("EntityAlreadyExists", "CreateLoginProfile"))
    assert create_login_profile(iam, MEMBER) == (False, None)


def test_a_refused_creation_names_the_call_and_the_account():
    iam = FakeRecoveryIam(client_error("AccessDenied", "CreateLoginProfile"))
    with pytest.raises(MspAwsError) as raised:
        create_login_profile(iam, MEMBER)
    assert raised.value.message == f"iam:CreateLoginProfile on the root user of account {MEMBER} failed"
