"""Trusted access: only the management account enables or disables it, only it (or a delegated administrator)
reads the list, an organization needs all features, unknown services are refused with AWS's reason, and the
list comes in pages."""

import botocore.exceptions
import pytest

from msp_sandbox.extensions.service_access import trusted_services

ACCOUNT = "account.amazonaws.com"
IAM = "iam.amazonaws.com"
# 25 services that support trusted access (more than one page of 20).
MANY = trusted_services()[:25]


def error_of(raised) -> tuple[str, str | None]:
    response = raised.value.response
    return response["Error"]["Code"], response.get("Reason")


def member_client(aws, service: str = "organizations"):
    """A client of a new member account, through the access role AWS creates in it."""
    member = aws.create_member("Payments")
    role = f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
    assumed = aws.management("sts").assume_role(RoleArn=role, RoleSessionName="test-member")
    return member, aws.client(service, aws.assumed(assumed))


def enabled(client) -> list[str]:
    return [
        s["ServicePrincipal"] for s in client.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    ]


def test_the_management_account_enables_lists_and_disables(aws):
    org = aws.management("organizations")
    assert enabled(org) == []
    org.enable_aws_service_access(ServicePrincipal=ACCOUNT)
    org.enable_aws_service_access(ServicePrincipal=ACCOUNT)  # already enabled: no change, no error
    org.enable_aws_service_access(ServicePrincipal=IAM)
    assert enabled(org) == [ACCOUNT, IAM]
    org.disable_aws_service_access(ServicePrincipal=IAM)
    org.disable_aws_service_access(ServicePrincipal=IAM)  # not enabled: no change, no error
    assert enabled(org) == [ACCOUNT]


def test_a_member_account_is_refused_and_changes_nothing(aws):
    org = aws.management("organizations")
    org.enable_aws_service_access(ServicePrincipal=ACCOUNT)
    member = member_client(aws)[1]
    for call, params in (
        (member.enable_aws_service_access, {"ServicePrincipal": IAM}),
        (member.disable_aws_service_access, {"ServicePrincipal": ACCOUNT}),
        (member.list_aws_service_access_for_organization, {}),
    ):
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            call(**params)
        assert error_of(raised)[0] == "AccessDeniedException"
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert enabled(org) == [ACCOUNT]


def test_a_delegated_administrator_reads_the_organizations_list(aws):
    org = aws.management("organizations")
    org.enable_aws_service_access(ServicePrincipal=ACCOUNT)
    member_id, member = member_client(aws)
    org.register_delegated_administrator(AccountId=member_id, ServicePrincipal="guardduty.amazonaws.com")
    assert enabled(member) == [ACCOUNT]
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        member.enable_aws_service_access(ServicePrincipal=IAM)
    assert error_of(raised)[0] == "AccessDeniedException"


def test_an_account_in_no_organization_is_told_so(aws):
    outsider = aws.client_account("globex", "organizations")
    for call, params in (
        (outsider.enable_aws_service_access, {"ServicePrincipal": ACCOUNT}),
        (outsider.list_aws_service_access_for_organization, {}),
    ):
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            call(**params)
        assert error_of(raised)[0] == "AWSOrganizationsNotInUseException"


def test_consolidated_billing_only_is_refused(aws):
    own = aws.client_account("globex", "organizations")
    own.create_organization(FeatureSet="CONSOLIDATED_BILLING")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        own.enable_aws_service_access(ServicePrincipal=ACCOUNT)
    assert error_of(raised) == ("ConstraintViolationException", "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE")
    assert enabled(own) == []


def test_an_unknown_service_is_refused_with_awss_reason(aws):
    org = aws.management("organizations")
    for call in (org.enable_aws_service_access, org.disable_aws_service_access):
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            call(ServicePrincipal="nothing.amazonaws.com")
        assert error_of(raised) == ("InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL")


def test_the_list_comes_in_pages(aws):
    org = aws.management("organizations")
    for principal in MANY:
        org.enable_aws_service_access(ServicePrincipal=principal)
    first = org.list_aws_service_access_for_organization()
    assert len(first["EnabledServicePrincipals"]) == 20 and first["NextToken"]
    second = org.list_aws_service_access_for_organization(NextToken=first["NextToken"])
    assert len(second["EnabledServicePrincipals"]) == 5 and "NextToken" not in second
    small = org.list_aws_service_access_for_organization(MaxResults=3)
    assert len(small["EnabledServicePrincipals"]) == 3
    pages = org.get_paginator("list_aws_service_access_for_organization").paginate()
    listed = [s["ServicePrincipal"] for page in pages for s in page["EnabledServicePrincipals"]]
    assert sorted(listed) == MANY
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        org.list_aws_service_access_for_organization(NextToken="not-a-token")
    assert error_of(raised)[0] == "InvalidInputException"
