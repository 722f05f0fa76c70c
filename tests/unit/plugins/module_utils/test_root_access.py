"""Centralised root access: the options, the calls that make the organization so (in order), what check mode
predicts, IAM's refusals in words that say what to do, and the features read while IAM learns of its new trusted
access (root_access.py)."""

import botocore.exceptions
import pytest

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput, MspAwsError
from ansible_collections.msp.aws_accounts.plugins.module_utils.root_access import (
    FEATURES_AFTER_ENABLING_DELAYS,
    desired_root_access,
    list_features,
    list_features_after_enabling,
    root_access_actions,
    root_access_after,
    set_feature,
)

RCM = "RootCredentialsManagement"
RS = "RootSessions"
ENABLE_TA = "EnableAWSServiceAccess"
DISABLE_TA = "DisableAWSServiceAccess"
ENABLE_RCM = "EnableOrganizationsRootCredentialsManagement"
ENABLE_RS = "EnableOrganizationsRootSessions"
DISABLE_RCM = "DisableOrganizationsRootCredentialsManagement"
DISABLE_RS = "DisableOrganizationsRootSessions"

BOTH_OFF = {RCM: False, RS: False}
DESIRED_CASES = [
    # case, (state, root_credentials_management, root_sessions, disable_trusted_access), desired
    ("present-both", ("present", True, True, False), {"trusted_access": True, "features": {RCM: True, RS: True}}),
    ("present-unset-leaves-features", ("present", None, None, False), {"trusted_access": True, "features": {}}),
    ("present-one-off", ("present", None, False, False), {"trusted_access": True, "features": {RS: False}}),
    ("absent-keeps-trusted-access", ("absent", None, None, False), {"trusted_access": None, "features": BOTH_OFF}),
    ("absent-false-is-consistent", ("absent", False, False, False), {"trusted_access": None, "features": BOTH_OFF}),
    ("absent-disables-trusted-access", ("absent", None, None, True), {"trusted_access": False, "features": BOTH_OFF}),
]


@pytest.mark.parametrize(("args", "desired"), [case[1:] for case in DESIRED_CASES], ids=[c[0] for c in DESIRED_CASES])
def test_desired_root_access(args, desired):
    assert desired_root_access(*args) == desired


CONTRADICTION_CASES = [
    # case, args, option named
    ("absent-with-sessions", ("absent", None, True, False), "root_sessions"),
    ("absent-with-credentials-management", ("absent", True, False, False), "root_credentials_management"),
    ("present-disabling-trusted-access", ("present", True, True, True), "disable_trusted_access"),
]


@pytest.mark.parametrize(
    ("args", "option"), [c[1:] for c in CONTRADICTION_CASES], ids=[c[0] for c in CONTRADICTION_CASES]
)
def test_contradictions_name_the_option(args, option):
    with pytest.raises(InvalidInput) as raised:
        desired_root_access(*args)
    assert raised.value.option == option
    assert str(raised.value.message).startswith(f"{option}: ")


def actual(trusted, *features):
    return {"trusted_access": trusted, "enabled_features": list(features)}


PRESENT = ("present", True, True, False)
ABSENT = ("absent", None, None, False)
ABSENT_ALL = ("absent", None, None, True)
ACTION_CASES = [
    # case, options, actual, actions, after
    ("enable-everything", PRESENT, actual(False), [ENABLE_TA, ENABLE_RCM, ENABLE_RS], actual(True, RCM, RS)),
    ("trusted-access-only", ("present", None, None, False), actual(False), [ENABLE_TA], actual(True)),
    ("nothing-to-do", PRESENT, actual(True, RCM, RS), [], actual(True, RCM, RS)),
    ("one-feature-missing", PRESENT, actual(True, RS), [ENABLE_RCM], actual(True, RCM, RS)),
    ("unset-is-left-alone", ("present", True, None, False), actual(True, RS), [ENABLE_RCM], actual(True, RCM, RS)),
    ("present-false-disables", ("present", True, False, False), actual(True, RCM, RS), [DISABLE_RS], actual(True, RCM)),
    ("absent-disables-both", ABSENT, actual(True, RCM, RS), [DISABLE_RCM, DISABLE_RS], actual(True)),
    ("absent-nothing-enabled", ABSENT, actual(True), [], actual(True)),
    ("absent-without-trusted-access", ABSENT, actual(False), [], actual(False)),
    ("absent-and-trusted-access-last", ABSENT_ALL, actual(True, RS), [DISABLE_RS, DISABLE_TA], actual(False)),
    ("absent-trusted-access-already-off", ABSENT_ALL, actual(False), [], actual(False)),
]


@pytest.mark.parametrize(
    ("options", "before", "actions", "after"), [c[1:] for c in ACTION_CASES], ids=[c[0] for c in ACTION_CASES]
)
def test_root_access_actions_and_after(options, before, actions, after):
    planned = root_access_actions(desired_root_access(*options), before)
    assert planned == actions
    assert root_access_after(before, planned) == after
    # Once done, nothing is left to do.
    assert root_access_actions(desired_root_access(*options), after) == []


class FakeIam:
    def __init__(self, features=(), error=None):
        self.features = list(features)
        self.error = error
        self.calls = []

    def list_organizations_features(self, aws_retry):
        assert aws_retry is True
        self.calls.append("ListOrganizationsFeatures")
        if self.error:
            raise self.error
        return {"OrganizationId": "o-exampleorg1", "EnabledFeatures": self.features}

    def __getattr__(self, name):
        def call(aws_retry):
            assert aws_retry is True
            self.calls.append(name)
            if self.error:
                raise self.error
            return {}

        return call


def client_error(code, action="ListOrganizationsFeatures"):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": "refused"}}, action)


def test_features_are_read_sorted_and_set_by_action_name():
    iam = FakeIam([RS, RCM])
    assert list_features(iam) == [RCM, RS]
    set_feature(iam, ENABLE_RCM)
    set_feature(iam, DISABLE_RS)
    assert iam.calls == [
        "ListOrganizationsFeatures",
        "enable_organizations_root_credentials_management",
        "disable_organizations_root_sessions",
    ]


ERROR_CASES = [
    # case, error code, words the message must have
    ("member-enabling", "CallerIsNotManagementAccountException", "only the organization's management account"),
    ("member-reading", "AccountNotManagementOrDelegatedAdministratorException", "only the organization's management"),
    ("api-reference-spelling", "AccountNotManagementOrDelegatedAdministrator", "only the organization's management"),
    ("no-organization", "OrganizationNotFoundException", "in no AWS Organization"),
    ("consolidated-billing", "OrganizationNotInAllFeaturesModeException", "needs all features"),
    ("no-trusted-access", "ServiceAccessNotEnabledException", "msp.aws_accounts.aws_root_access"),
    ("permission", "AccessDenied", "permission for iam:ListOrganizationsFeatures"),
    ("anything-else", "ServiceFailure", "ListOrganizationsFeatures failed"),
]


@pytest.mark.parametrize(("code", "words"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_refusals_say_what_to_do(code, words):
    with pytest.raises(MspAwsError) as raised:
        list_features(FakeIam(error=client_error(code)))
    assert words in raised.value.message
    assert raised.value.exception.response["Error"]["Code"] == code


def test_a_refused_feature_call_names_the_call():
    with pytest.raises(MspAwsError) as raised:
        set_feature(FakeIam(error=client_error("CallerIsNotManagementAccountException", ENABLE_RS)), ENABLE_RS)
    assert raised.value.message.startswith(f"{ENABLE_RS} was refused")


class LateIam(FakeIam):
    """IAM that answers the features only from its ``ready``-th read on, ServiceAccessNotEnabledException before
    (Organizations granted the trusted access, IAM has not learnt of it yet)."""

    def __init__(self, ready, features=(), error_code="ServiceAccessNotEnabledException"):
        super().__init__(features)
        self.ready = ready
        self.late_error = client_error(error_code)

    def list_organizations_features(self, aws_retry):
        self.calls.append("ListOrganizationsFeatures")
        if len(self.calls) < self.ready:
            raise self.late_error
        return {"OrganizationId": "o-exampleorg1", "EnabledFeatures": self.features}


LATE_CASES = [
    # case, the read that answers first, pauses slept
    ("at-once", 1, []),
    ("third-read", 3, [1, 2]),
    ("last-read", 5, list(FEATURES_AFTER_ENABLING_DELAYS)),
]


@pytest.mark.parametrize(("ready", "pauses"), [c[1:] for c in LATE_CASES], ids=[c[0] for c in LATE_CASES])
def test_features_read_after_enabling_waits_for_iam(ready, pauses):
    iam = LateIam(ready, [RS, RCM])
    slept = []
    assert list_features_after_enabling(iam, sleep=slept.append) == [RCM, RS]
    assert slept == pauses
    assert len(iam.calls) == ready


def test_features_read_after_enabling_gives_up_after_a_few_seconds():
    iam = LateIam(ready=99)
    slept = []
    with pytest.raises(MspAwsError) as raised:
        list_features_after_enabling(iam, sleep=slept.append)
    assert slept == list(FEATURES_AFTER_ENABLING_DELAYS)
    assert len(iam.calls) == len(FEATURES_AFTER_ENABLING_DELAYS) + 1
    assert "15 seconds after trusted access for iam.amazonaws.com was enabled" in raised.value.message
    assert "run again" in raised.value.message
    assert raised.value.exception.response["Error"]["Code"] == "ServiceAccessNotEnabledException"


@pytest.mark.parametrize("code", ["AccessDenied", "OrganizationNotInAllFeaturesModeException"])
def test_features_read_after_enabling_retries_nothing_else(code):
    iam = LateIam(ready=2, error_code=code)
    slept = []
    with pytest.raises(MspAwsError):
        list_features_after_enabling(iam, sleep=slept.append)
    assert slept == [] and len(iam.calls) == 1
