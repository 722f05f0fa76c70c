"""aws_trusted_access against the sandbox: what it costs, what it writes, and how AWS's refusals are explained."""

import pytest
from conftest import writes_since

from msp_sandbox.extensions.service_access import trusted_services

MODULE = "aws_trusted_access"
ACCOUNT = "account.amazonaws.com"
IAM = "iam.amazonaws.com"
SSO = "sso.amazonaws.com"
LIST = "organizations:ListAWSServiceAccessForOrganization"
ENABLE = "organizations:EnableAWSServiceAccess"
DISABLE = "organizations:DisableAWSServiceAccess"
# 25 services that support trusted access: more than one page of the list (20).
MANY = trusted_services()[:25]


def enabled_in_aws(aws) -> list[str]:
    pages = aws.management("organizations").get_paginator("list_aws_service_access_for_organization").paginate()
    return sorted(s["ServicePrincipal"] for page in pages for s in page["EnabledServicePrincipals"])


def enable_in_aws(aws, *principals) -> None:
    org = aws.management("organizations")
    for principal in principals:
        org.enable_aws_service_access(ServicePrincipal=principal)


def member_credentials(aws) -> dict:
    member = aws.create_member("Payments")
    role = f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
    return aws.assumed(aws.management("sts").assume_role(RoleArn=role, RoleSessionName="test-member"))


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check-mode"])
def test_a_no_op_is_one_read_and_no_write(run_module, sandbox, aws, check_mode):
    enable_in_aws(aws, ACCOUNT, SSO)
    for state, principals in (("present", [ACCOUNT]), ("absent", [IAM])):
        mark = sandbox.mark()
        result = run_module(MODULE, check_mode=check_mode, service_principals=principals, state=state)
        assert not result.failed and not result.changed, result.get("msg")
        assert result["enabled_service_principals"] == [ACCOUNT, SSO]
        summary = sandbox.call_summary(since=mark)
        assert summary["by_action"] == {LIST: 1} and summary["writes"] == 0


def test_check_mode_reads_once_and_writes_nothing(run_module, sandbox, aws):
    enable_in_aws(aws, SSO)
    mark = sandbox.mark()
    result = run_module(MODULE, check_mode=True, service_principals=[ACCOUNT, IAM])
    assert result.changed and result["changed_service_principals"] == [ACCOUNT, IAM]
    assert result["enabled_service_principals"] == [ACCOUNT, IAM, SSO]
    assert sandbox.call_summary(since=mark)["by_action"] == {LIST: 1}
    assert enabled_in_aws(aws) == [SSO]


def test_a_run_writes_exactly_what_differs(run_module, sandbox, aws):
    enable_in_aws(aws, SSO, IAM)
    mark = sandbox.mark()
    result = run_module(MODULE, service_principals=[ACCOUNT, IAM])
    assert result.changed and result["changed_service_principals"] == [ACCOUNT]
    assert sandbox.call_summary(since=mark)["by_action"] == {LIST: 1, ENABLE: 1}

    mark = sandbox.mark()
    result = run_module(MODULE, service_principals=[ACCOUNT, IAM, "ram.amazonaws.com"], state="absent")
    assert result.changed and result["changed_service_principals"] == [ACCOUNT, IAM]
    assert sandbox.call_summary(since=mark)["by_action"] == {LIST: 1, DISABLE: 2}
    # The service nobody listed is left as it was.
    assert enabled_in_aws(aws) == [SSO] == result["enabled_service_principals"]


def test_every_page_of_the_list_is_read(run_module, sandbox, aws):
    enable_in_aws(aws, *MANY)
    mark = sandbox.mark()
    assert ACCOUNT in MANY
    result = run_module(MODULE, service_principals=[MANY[-1], ACCOUNT])
    assert not result.failed and not result.changed, result.get("msg")
    assert result["enabled_service_principals"] == MANY
    summary = sandbox.call_summary(since=mark)
    assert summary["by_action"] == {LIST: 2} and summary["writes"] == 0


def test_a_member_account_is_told_to_use_the_management_account(run_module, sandbox, aws):
    credentials = member_credentials(aws)
    mark = sandbox.mark()
    result = run_module(MODULE, credentials=credentials, service_principals=[ACCOUNT])
    assert result.failed and not result.changed
    assert result["msg"].startswith("ListAWSServiceAccessForOrganization was refused: only the organization's")
    assert "Use the management account's credentials" in result["msg"]
    assert result["error"]["code"] == "AccessDeniedException"
    assert writes_since(sandbox, mark) == []
    assert enabled_in_aws(aws) == []


def test_an_account_in_no_organization_is_told_so(run_module, sandbox, world):
    result = run_module(MODULE, credentials=world["clients"]["globex"]["credentials"], service_principals=[ACCOUNT])
    assert result.failed and "the caller's account is in no AWS Organization" in result["msg"]


def test_consolidated_billing_only_is_explained(run_module, sandbox, aws, world):
    credentials = world["clients"]["globex"]["credentials"]
    aws.client("organizations", credentials).create_organization(FeatureSet="CONSOLIDATED_BILLING")
    result = run_module(MODULE, credentials=credentials, service_principals=[ACCOUNT])
    assert result.failed and not result.changed
    assert result["msg"].startswith(f"EnableAWSServiceAccess {ACCOUNT} was refused: the organization has consolidated")
    assert "enable-all-features" in result["msg"]


def test_concurrent_modification_is_retried(run_module, sandbox, aws):
    sandbox.add_fault(
        service="organizations", action="EnableAWSServiceAccess", error_code="ConcurrentModificationException", count=2
    )
    mark = sandbox.mark()
    result = run_module(MODULE, service_principals=[ACCOUNT])
    assert not result.failed and result.changed, result.get("msg")
    assert sandbox.call_summary(since=mark)["by_action"] == {LIST: 1, ENABLE: 3}
    assert enabled_in_aws(aws) == [ACCOUNT]


def test_a_failure_part_of_the_way_says_what_changed(run_module, sandbox, aws):
    # nothing.amazonaws.com looks like a service principal, but AWS knows no such service.
    result = run_module(MODULE, service_principals=[ACCOUNT, "nothing.amazonaws.com", IAM])
    assert result.failed and result.changed
    assert result["changed_service_principals"] == [ACCOUNT]
    assert result["msg"].startswith("service_principals: AWS does not know nothing.amazonaws.com")
    assert enabled_in_aws(aws) == [ACCOUNT]


@pytest.mark.parametrize(
    ("principals", "words"),
    [
        ([ACCOUNT, "iam"], "service_principals: 'iam' is not a service principal"),
        (["Account.amazonaws.com"], "lower-case DNS name ending in .amazonaws.com"),
        ([""], "not empty"),
    ],
    ids=["bare-name", "upper-case", "empty"],
)
def test_bad_input_makes_no_call(run_module, sandbox, principals, words):
    mark = sandbox.mark()
    result = run_module(MODULE, service_principals=principals)
    assert result.failed and not result.changed and words in result["msg"], result.get("msg")
    assert sandbox.call_summary(since=mark)["total"] == 0
