"""Trusted access: which listed services change, the organization's list after, principal validation, and AWS's
refusals in words that say what to do (trusted_access.py, validation.py)."""

import botocore.exceptions
import pytest

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput, MspAwsError
from ansible_collections.msp.aws_accounts.plugins.module_utils.trusted_access import (
    LIST_PAGE_SIZE,
    desired_principals,
    enabled_after,
    list_enabled_principals,
    service_access_changes,
    set_service_access,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.validation import service_principal_problem

ACCOUNT = "account.amazonaws.com"
IAM = "iam.amazonaws.com"
SSO = "sso.amazonaws.com"

CHANGE_CASES = [
    # case, desired, enabled, state, changes, enabled after
    ("present-enables-what-is-missing", [ACCOUNT, IAM], [IAM], "present", [ACCOUNT], [ACCOUNT, IAM]),
    ("present-nothing-missing", [ACCOUNT], [ACCOUNT, SSO], "present", [], [ACCOUNT, SSO]),
    ("present-keeps-the-order-asked", [IAM, ACCOUNT], [], "present", [IAM, ACCOUNT], [ACCOUNT, IAM]),
    ("present-never-touches-others", [ACCOUNT], [SSO], "present", [ACCOUNT], [ACCOUNT, SSO]),
    ("absent-disables-what-is-enabled", [ACCOUNT, IAM], [IAM, SSO], "absent", [IAM], [SSO]),
    ("absent-nothing-enabled", [ACCOUNT], [SSO], "absent", [], [SSO]),
    ("absent-never-touches-others", [IAM], [ACCOUNT, IAM, SSO], "absent", [IAM], [ACCOUNT, SSO]),
    ("empty-list-changes-nothing", [], [SSO], "present", [], [SSO]),
    ("empty-list-absent-changes-nothing", [], [SSO], "absent", [], [SSO]),
]


@pytest.mark.parametrize(
    ("desired", "enabled", "state", "changes", "after"),
    [case[1:] for case in CHANGE_CASES],
    ids=[case[0] for case in CHANGE_CASES],
)
def test_service_access_changes(desired, enabled, state, changes, after):
    assert service_access_changes(desired, enabled, state) == changes
    assert enabled_after(enabled, changes, state) == after


PRINCIPAL_CASES = [
    # case, principal, rule broken (None: valid)
    ("account", ACCOUNT, None),
    ("iam", IAM, None),
    ("several-labels", "member.org.stacksets.cloudformation.amazonaws.com", None),
    ("hyphens", "aws-artifact-account-sync.amazonaws.com", None),
    ("bare-service-name", "account", "not a service principal"),
    ("upper-case", "Account.amazonaws.com", "lower-case"),
    ("other-domain", "account.example.com", "ending in .amazonaws.com"),
    ("only-the-domain", "amazonaws.com", "not a service principal"),
    ("trailing-dot", "account.amazonaws.com.", "not a service principal"),
    ("leading-hyphen", "-account.amazonaws.com", "not a service principal"),
    ("space", "account .amazonaws.com", "not a service principal"),
    ("empty", "", "not empty"),
    ("not-a-string", None, "not empty"),
    ("too-long", "a" * 115 + ".amazonaws.com", "at most 128 characters"),
]


@pytest.mark.parametrize(
    ("principal", "rule"), [case[1:] for case in PRINCIPAL_CASES], ids=[case[0] for case in PRINCIPAL_CASES]
)
def test_service_principal_problem(principal, rule):
    problem = service_principal_problem(principal)
    if rule is None:
        assert problem is None
    else:
        assert rule in problem


def test_desired_principals_are_validated_and_unique_in_the_order_given():
    assert desired_principals([IAM, ACCOUNT, IAM]) == [IAM, ACCOUNT]
    assert desired_principals([]) == []
    with pytest.raises(InvalidInput) as raised:
        desired_principals([ACCOUNT, "iam"])
    assert raised.value.option == "service_principals"
    assert str(raised.value.message).startswith("service_principals: 'iam' is not a service principal")


class FakePaginator:
    def __init__(self, pages):
        self.pages = pages
        self.config = None

    def paginate(self, PaginationConfig=None):
        self.config = PaginationConfig
        return self

    def build_full_result(self):
        return {"EnabledServicePrincipals": [entry for page in self.pages for entry in page]}


class FakeOrganizations:
    """Answers the list from pages, and each write with the error given for it (or success)."""

    def __init__(self, pages=(), errors=None):
        self.paginator = FakePaginator(list(pages))
        self.errors = errors or {}
        self.calls = []

    def get_paginator(self, name):
        assert name == "list_aws_service_access_for_organization"
        return self.paginator

    def _call(self, action, ServicePrincipal, aws_retry):
        assert aws_retry is True
        self.calls.append((action, ServicePrincipal))
        error = self.errors.get(action)
        if error:
            raise error

    def enable_aws_service_access(self, **kwargs):
        self._call("EnableAWSServiceAccess", **kwargs)

    def disable_aws_service_access(self, **kwargs):
        self._call("DisableAWSServiceAccess", **kwargs)


def test_the_list_is_read_in_awss_largest_pages_and_sorted():
    client = FakeOrganizations([[{"ServicePrincipal": SSO, "DateEnabled": 0}], [{"ServicePrincipal": ACCOUNT}]])
    assert list_enabled_principals(client) == [ACCOUNT, SSO]
    assert client.paginator.config == {"PageSize": LIST_PAGE_SIZE} == {"PageSize": 20}


def client_error(code, action, reason=None, message="refused"):
    response = {"Error": {"Code": code, "Message": message}}
    if reason:
        response["Reason"] = reason
    return botocore.exceptions.ClientError(response, action)


ERROR_CASES = [
    # case, action, error code, reason, words the message must have
    ("member-account", "EnableAWSServiceAccess", "AccessDeniedException", None, "only the organization's management"),
    ("no-organization", "EnableAWSServiceAccess", "AWSOrganizationsNotInUseException", None, "in no AWS Organization"),
    (
        "consolidated-billing-only",
        "EnableAWSServiceAccess",
        "ConstraintViolationException",
        "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE",
        "trusted access needs all features",
    ),
    (
        "other-constraint",
        "DisableAWSServiceAccess",
        "ConstraintViolationException",
        "MASTER_ACCOUNT_MISSING_CONTACT_INFO",
        "constraint of the organization (MASTER_ACCOUNT_MISSING_CONTACT_INFO)",
    ),
    (
        "unknown-service",
        "EnableAWSServiceAccess",
        "InvalidInputException",
        "UNRECOGNIZED_SERVICE_PRINCIPAL",
        "service_principals: AWS does not know account.amazonaws.com",
    ),
    ("anything-else", "DisableAWSServiceAccess", "ServiceException", None, "DisableAWSServiceAccess account"),
]


@pytest.mark.parametrize(
    ("action", "code", "reason", "words"), [case[1:] for case in ERROR_CASES], ids=[case[0] for case in ERROR_CASES]
)
def test_refusals_say_what_to_do(action, code, reason, words):
    client = FakeOrganizations(errors={action: client_error(code, action, reason)})
    with pytest.raises(MspAwsError) as raised:
        set_service_access(client, ACCOUNT, enable=action == "EnableAWSServiceAccess")
    assert words in raised.value.message
    assert raised.value.exception.response["Error"]["Code"] == code
    assert client.calls == [(action, ACCOUNT)]


def test_a_refused_read_says_who_may_read():
    class Refusing(FakeOrganizations):
        def get_paginator(self, name):
            raise client_error("AccessDeniedException", "ListAWSServiceAccessForOrganization")

    with pytest.raises(MspAwsError) as raised:
        list_enabled_principals(Refusing())
    assert "ListAWSServiceAccessForOrganization was refused" in raised.value.message
    assert "or a delegated administrator, to read" in raised.value.message
