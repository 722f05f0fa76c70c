"""Organization-wide reads: the management account and a delegated administrator read the organization, any other
member gets AccessDeniedException, an account in no organization AWSOrganizationsNotInUseException."""

import re

import botocore.exceptions
import botocore.session
import pytest

from msp_sandbox.extensions.organization_reads import ACCESS_DENIED, READS

# The sentence the API reference puts on every read a member may not make.
RESTRICTED = (
    "You can only call this operation from the management account or a member account that is a delegated "
    "administrator."
)
SCP = "SERVICE_CONTROL_POLICY"
FULL_ACCESS = "p-FullAWSAccess"


def test_the_restricted_reads_are_those_the_api_reference_names():
    model = botocore.session.get_session().get_service_model("organizations")
    documented = set()
    for name in model.operation_names:
        if not name.startswith(("List", "Describe")):
            continue  # writes such as AttachPolicy carry the sentence too; the sandbox leaves them as they are
        text = " ".join(re.sub(r"<[^>]+>", " ", model.operation_model(name).documentation).split())
        if RESTRICTED in text:
            documented.add(name)
    assert documented == READS
    assert not {"DescribeOrganization", "DescribeHandshake", "ListHandshakesForAccount"} & READS


@pytest.fixture
def organization(aws, sandbox) -> dict:
    """An OU, a created member (tagged) and its access-role client, and the ids every read needs."""
    sandbox.configure(create_account_in_progress_polls=0)
    org = aws.management("organizations")
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="Clients")["OrganizationalUnit"]["Id"]
    request = org.create_account(
        AccountName="Payments", Email="awsaccounts+payments@msp.example", Tags=[{"Key": "client", "Value": "acme"}]
    )["CreateAccountStatus"]["Id"]
    member = org.describe_create_account_status(CreateAccountRequestId=request)["CreateAccountStatus"]["AccountId"]
    role = f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
    assumed = aws.management("sts").assume_role(RoleArn=role, RoleSessionName="member")
    return {
        "root": root,
        "ou": ou,
        "request": request,
        "member": member,
        "member_client": aws.client("organizations", aws.assumed(assumed)),
    }


def reads(ids: dict) -> list[tuple[str, dict]]:
    """Every restricted read moto implements, with parameters that name things in the organization."""
    return [
        ("list_roots", {}),
        ("list_accounts", {}),
        ("list_accounts_for_parent", {"ParentId": ids["root"]}),
        ("list_organizational_units_for_parent", {"ParentId": ids["root"]}),
        ("list_children", {"ParentId": ids["root"], "ChildType": "ACCOUNT"}),
        ("list_children", {"ParentId": ids["root"], "ChildType": "ORGANIZATIONAL_UNIT"}),
        ("list_parents", {"ChildId": ids["member"]}),
        ("describe_account", {"AccountId": ids["member"]}),
        ("describe_organizational_unit", {"OrganizationalUnitId": ids["ou"]}),
        ("list_tags_for_resource", {"ResourceId": ids["member"]}),
        ("list_create_account_status", {}),
        ("describe_create_account_status", {"CreateAccountRequestId": ids["request"]}),
        ("describe_policy", {"PolicyId": FULL_ACCESS}),
        ("list_policies", {"Filter": SCP}),
        ("list_policies_for_target", {"TargetId": ids["member"], "Filter": SCP}),
        ("list_targets_for_policy", {"PolicyId": FULL_ACCESS}),
        ("list_delegated_administrators", {}),
        ("list_delegated_services_for_account", {"AccountId": ids["member"]}),
        ("list_handshakes_for_organization", {}),
        ("list_aws_service_access_for_organization", {}),
    ]


def answer(client, action: str, params: dict) -> dict:
    result = getattr(client, action)(**params)
    result.pop("ResponseMetadata", None)
    return result


def test_a_member_is_refused_every_organization_wide_read(aws, organization):
    member = organization["member_client"]
    for action, params in reads(organization):
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            getattr(member, action)(**params)
        response = raised.value.response
        assert (action, response["Error"]["Code"], response["Error"]["Message"]) == (
            action,
            "AccessDeniedException",
            ACCESS_DENIED,
        )
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_member_still_describes_its_organization_and_its_own_handshakes(aws, organization):
    member = organization["member_client"]
    described = member.describe_organization()["Organization"]
    assert described["MasterAccountId"] == aws.world["management"]["account_id"]
    assert member.list_handshakes_for_account()["Handshakes"] == []


def test_an_invited_member_is_refused_too(aws, world):
    org = aws.management("organizations")
    globex = world["clients"]["globex"]
    handshake = org.invite_account_to_organization(Target={"Id": globex["account_id"], "Type": "ACCOUNT"})
    client = aws.client_account("globex", "organizations")
    client.accept_handshake(HandshakeId=handshake["Handshake"]["Id"])
    for call in (client.list_roots, client.list_accounts):
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            call()
        assert raised.value.response["Error"]["Code"] == "AccessDeniedException"


def test_a_delegated_administrator_reads_what_the_management_account_reads(aws, organization):
    org = aws.management("organizations")
    org.enable_aws_service_access(ServicePrincipal="guardduty.amazonaws.com")
    org.register_delegated_administrator(AccountId=organization["member"], ServicePrincipal="guardduty.amazonaws.com")
    admin = organization["member_client"]
    for action, params in reads(organization):
        assert (action, answer(admin, action, params)) == (action, answer(org, action, params))
    listed = {a["Id"] for a in answer(admin, "list_accounts", {})["Accounts"]}
    assert listed == {aws.world["management"]["account_id"], organization["member"]}


def test_an_account_in_no_organization_is_told_so(aws):
    outsider = aws.client_account("globex", "organizations")
    for call in (outsider.list_roots, outsider.list_accounts, outsider.list_create_account_status):
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            call()
        assert raised.value.response["Error"]["Code"] == "AWSOrganizationsNotInUseException"
