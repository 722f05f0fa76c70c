"""Organizations invitation handshakes, acceptance, and removal back to a standalone account."""

import json

import botocore.exceptions
import pytest

DAY = 86400


def _error(call, *args, **kwargs) -> dict:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(*args, **kwargs)
    return raised.value.response


def _invite(org, account_id=None, email=None, **extra):
    target = {"Type": "ACCOUNT", "Id": account_id} if account_id else {"Type": "EMAIL", "Id": email}
    return org.invite_account_to_organization(Target=target, **extra)["Handshake"]


def test_invite_by_account_has_the_documented_shape(aws, world):
    org = aws.management("organizations")
    globex = world["clients"]["globex"]
    organization = world["organization"]
    handshake = _invite(org, globex["account_id"], Notes="Welcome to the MSP", Tags=[{"Key": "client", "Value": "g"}])

    assert handshake["Id"].startswith("h-") and 10 <= len(handshake["Id"]) <= 34
    assert handshake["Arn"] == (
        f"arn:aws:organizations::{world['management']['account_id']}:handshake/"
        f"{organization['id']}/invite/{handshake['Id']}"
    )
    assert handshake["Action"] == "INVITE"
    assert handshake["State"] == "OPEN"
    assert handshake["Parties"] == [
        {"Id": organization["id"], "Type": "ORGANIZATION"},
        {"Id": globex["account_id"], "Type": "ACCOUNT"},
    ]
    assert (handshake["ExpirationTimestamp"] - handshake["RequestedTimestamp"]).days == 15
    assert handshake["Resources"] == [
        {
            "Type": "ORGANIZATION",
            "Value": organization["id"],
            "Resources": [
                {"Type": "MASTER_EMAIL", "Value": world["management"]["email"]},
                {"Type": "MASTER_NAME", "Value": world["management"]["name"]},
                {"Type": "ORGANIZATION_FEATURE_SET", "Value": "ALL"},
            ],
        },
        {"Type": "ACCOUNT", "Value": globex["account_id"]},
        {"Type": "NOTES", "Value": "Welcome to the MSP"},
    ]
    assert org.describe_handshake(HandshakeId=handshake["Id"])["Handshake"] == handshake
    client = aws.client_account("globex", "organizations")
    assert client.describe_handshake(HandshakeId=handshake["Id"])["Handshake"]["State"] == "OPEN"
    # Another client is no party to it and cannot see it.
    other = aws.client_account("initech", "organizations")
    assert (
        _error(other.describe_handshake, HandshakeId=handshake["Id"])["Error"]["Code"] == "HandshakeNotFoundException"
    )
    assert other.list_handshakes_for_account()["Handshakes"] == []


def test_accepted_invitation_makes_the_client_a_member_without_an_access_role(aws, world):
    org = aws.management("organizations")
    globex = world["clients"]["globex"]
    handshake = _invite(org, globex["account_id"], Tags=[{"Key": "client", "Value": "globex"}])
    client = aws.client_account("globex", "organizations")
    assert _error(client.describe_organization)["Error"]["Code"] == "AWSOrganizationsNotInUseException"
    [received] = client.list_handshakes_for_account()["Handshakes"]
    assert received["Id"] == handshake["Id"]

    accepted = client.accept_handshake(HandshakeId=handshake["Id"])["Handshake"]
    assert accepted["State"] == "ACCEPTED"

    member = org.describe_account(AccountId=globex["account_id"])["Account"]
    assert member["JoinedMethod"] == "INVITED"
    assert (member["Name"], member["Email"], member["Status"]) == (globex["name"], globex["email"], "ACTIVE")
    assert member["JoinedTimestamp"] >= accepted["RequestedTimestamp"]
    assert globex["account_id"] in {a["Id"] for a in org.list_accounts()["Accounts"]}
    root_id = world["organization"]["root_id"]
    assert globex["account_id"] in {a["Id"] for a in org.list_accounts_for_parent(ParentId=root_id)["Accounts"]}
    scps = org.list_policies_for_target(TargetId=globex["account_id"], Filter="SERVICE_CONTROL_POLICY")["Policies"]
    assert [p["Id"] for p in scps] == ["p-FullAWSAccess"]
    rcps = org.list_policies_for_target(TargetId=globex["account_id"], Filter="RESOURCE_CONTROL_POLICY")["Policies"]
    assert [p["Id"] for p in rcps] == ["p-RCPFullAWSAccess"]
    assert org.list_tags_for_resource(ResourceId=globex["account_id"])["Tags"] == [{"Key": "client", "Value": "globex"}]

    described = client.describe_organization()["Organization"]
    assert described["Id"] == world["organization"]["id"]
    assert described["MasterAccountId"] == world["management"]["account_id"]
    roles = {r["RoleName"] for r in aws.client_account("globex", "iam").list_roles()["Roles"]}
    assert "OrganizationAccountAccessRole" not in roles
    # The client's own user is untouched by joining.
    assert aws.client_account("globex", "sts").get_caller_identity()["Account"] == globex["account_id"]

    # Accepting again is "already in state"; the account is now in an organization.
    assert (
        _error(client.accept_handshake, HandshakeId=handshake["Id"])["Error"]["Code"]
        == "HandshakeAlreadyInStateException"
    )
    refused = _error(_invite, org, globex["account_id"])
    assert refused["Error"]["Code"] == "HandshakeConstraintViolationException"
    assert refused["Reason"] == "ALREADY_IN_AN_ORGANIZATION"
    # A created account never needed an invitation: its email is that of a member now.
    assert _error(_invite, org, email=globex["email"].upper())["Reason"] == "ALREADY_IN_AN_ORGANIZATION"


def test_invite_by_email_reaches_the_account_with_that_root_email(aws, world):
    org = aws.management("organizations")
    initech = world["clients"]["initech"]
    handshake = _invite(org, email=initech["email"], Notes="Hello Initech")
    assert handshake["Parties"][1] == {"Id": initech["email"], "Type": "EMAIL"}
    assert {"Type": "EMAIL", "Value": initech["email"]} in handshake["Resources"]

    client = aws.client_account("initech", "organizations")
    assert [h["Id"] for h in client.list_handshakes_for_account()["Handshakes"]] == [handshake["Id"]]
    assert aws.client_account("globex", "organizations").list_handshakes_for_account()["Handshakes"] == []
    accepted = client.accept_handshake(HandshakeId=handshake["Id"])["Handshake"]
    assert accepted["State"] == "ACCEPTED"
    # As in the AcceptHandshake example: the party stays EMAIL, the resource names the account.
    assert {"Type": "ACCOUNT", "Value": initech["account_id"]} in accepted["Resources"]
    member = org.describe_account(AccountId=initech["account_id"])["Account"]
    assert (member["JoinedMethod"], member["Email"]) == ("INVITED", initech["email"])


def test_decline_and_cancel_close_a_handshake(aws, world):
    org = aws.management("organizations")
    globex, initech = world["clients"]["globex"], world["clients"]["initech"]
    globex_client = aws.client_account("globex", "organizations")

    to_decline = _invite(org, globex["account_id"])
    assert globex_client.decline_handshake(HandshakeId=to_decline["Id"])["Handshake"]["State"] == "DECLINED"
    assert org.describe_handshake(HandshakeId=to_decline["Id"])["Handshake"]["State"] == "DECLINED"
    assert globex["account_id"] not in {a["Id"] for a in org.list_accounts()["Accounts"]}

    to_cancel = _invite(org, initech["account_id"])
    assert org.cancel_handshake(HandshakeId=to_cancel["Id"])["Handshake"]["State"] == "CANCELED"
    initech_client = aws.client_account("initech", "organizations")
    assert initech_client.describe_handshake(HandshakeId=to_cancel["Id"])["Handshake"]["State"] == "CANCELED"

    # Invalid transitions out of closed states; repeating the same one is "already in state".
    assert (
        _error(globex_client.accept_handshake, HandshakeId=to_decline["Id"])["Error"]["Code"]
        == "InvalidHandshakeTransitionException"
    )
    assert (
        _error(org.cancel_handshake, HandshakeId=to_decline["Id"])["Error"]["Code"]
        == "InvalidHandshakeTransitionException"
    )
    assert (
        _error(globex_client.decline_handshake, HandshakeId=to_decline["Id"])["Error"]["Code"]
        == "HandshakeAlreadyInStateException"
    )
    assert (
        _error(initech_client.accept_handshake, HandshakeId=to_cancel["Id"])["Error"]["Code"]
        == "InvalidHandshakeTransitionException"
    )
    assert (
        _error(initech_client.decline_handshake, HandshakeId=to_cancel["Id"])["Error"]["Code"]
        == "InvalidHandshakeTransitionException"
    )
    assert (
        _error(org.cancel_handshake, HandshakeId=to_cancel["Id"])["Error"]["Code"] == "HandshakeAlreadyInStateException"
    )

    # A closed handshake does not block a new invitation to the same account.
    assert _invite(org, globex["account_id"])["State"] == "OPEN"


def test_only_the_right_party_acts(aws, world):
    org = aws.management("organizations")
    handshake = _invite(org, world["clients"]["globex"]["account_id"])
    globex_client = aws.client_account("globex", "organizations")
    # The sender may not accept or decline its own invitation; the recipient may not cancel it.
    assert _error(org.accept_handshake, HandshakeId=handshake["Id"])["Error"]["Code"] == "AccessDeniedException"
    assert _error(org.decline_handshake, HandshakeId=handshake["Id"])["Error"]["Code"] == "AccessDeniedException"
    assert (
        _error(globex_client.cancel_handshake, HandshakeId=handshake["Id"])["Error"]["Code"] == "AccessDeniedException"
    )
    # A third account cannot see it at all.
    umbrella = aws.client_account("umbrella", "organizations")
    assert (
        _error(umbrella.accept_handshake, HandshakeId=handshake["Id"])["Error"]["Code"] == "HandshakeNotFoundException"
    )
    # Only a management account invites or lists for its organization.
    not_in_use = _error(
        globex_client.invite_account_to_organization,
        Target={"Type": "ACCOUNT", "Id": world["clients"]["initech"]["account_id"]},
    )
    assert not_in_use["Error"]["Code"] == "AWSOrganizationsNotInUseException"
    assert (
        _error(globex_client.list_handshakes_for_organization)["Error"]["Code"] == "AWSOrganizationsNotInUseException"
    )
    assert org.describe_handshake(HandshakeId=handshake["Id"])["Handshake"]["State"] == "OPEN"

    globex_client.accept_handshake(HandshakeId=handshake["Id"])
    # Now a member: the management account's APIs are denied, not "not in use".
    assert _error(globex_client.list_handshakes_for_organization)["Error"]["Code"] == "AccessDeniedException"
    assert (
        _error(globex_client.create_account, AccountName="x", Email="x@globex.example")["Error"]["Code"]
        == "AccessDeniedException"
    )
    assert _error(org.describe_handshake, HandshakeId="h-doesnotexist")["Error"]["Code"] == "HandshakeNotFoundException"


def test_duplicate_open_invitation_is_refused(aws, world):
    org = aws.management("organizations")
    globex = world["clients"]["globex"]
    _invite(org, globex["account_id"])
    assert _error(_invite, org, globex["account_id"])["Error"]["Code"] == "DuplicateHandshakeException"
    # The same account reached by its email is the same target.
    assert _error(_invite, org, email=globex["email"])["Error"]["Code"] == "DuplicateHandshakeException"
    bad = _error(org.invite_account_to_organization, Target={"Type": "ORGANIZATION", "Id": "o-abcdefghij"})
    assert (bad["Error"]["Code"], bad["Reason"]) == ("InvalidInputException", "INVALID_PARTY_TYPE_TARGET")
    bad = _error(_invite, org, email="not-an-email")
    assert (bad["Error"]["Code"], bad["Reason"]) == ("InvalidInputException", "INVALID_EMAIL_ADDRESS_TARGET")


def test_handshake_expires_after_15_days(aws, world, sandbox):
    org = aws.management("organizations")
    handshake = _invite(org, world["clients"]["globex"]["account_id"])
    sandbox.advance_clock(15 * DAY - 60)
    assert org.describe_handshake(HandshakeId=handshake["Id"])["Handshake"]["State"] == "OPEN"
    sandbox.advance_clock(120)
    assert org.describe_handshake(HandshakeId=handshake["Id"])["Handshake"]["State"] == "EXPIRED"
    client = aws.client_account("globex", "organizations")
    assert [h["State"] for h in client.list_handshakes_for_account()["Handshakes"]] == ["EXPIRED"]
    assert (
        _error(client.accept_handshake, HandshakeId=handshake["Id"])["Error"]["Code"]
        == "InvalidHandshakeTransitionException"
    )
    assert (
        _error(org.cancel_handshake, HandshakeId=handshake["Id"])["Error"]["Code"]
        == "InvalidHandshakeTransitionException"
    )
    # An expired invitation does not block a new one; closed handshakes drop out of lists after 30 days.
    fresh = _invite(org, world["clients"]["globex"]["account_id"])
    sandbox.advance_clock(31 * DAY)
    listed = org.list_handshakes_for_organization()["Handshakes"]
    assert [(h["Id"], h["State"]) for h in listed] == [(fresh["Id"], "EXPIRED")]
    assert _error(org.describe_handshake, HandshakeId=handshake["Id"])["Error"]["Code"] == "HandshakeNotFoundException"


def test_account_quota_counts_pending_invitations(aws, world, sandbox):
    org = aws.management("organizations")
    sandbox.configure(organization_account_quota=3)  # the management account plus two
    clients = world["clients"]
    first = _invite(org, clients["globex"]["account_id"])
    _invite(org, clients["initech"]["account_id"])
    refused = _error(_invite, org, clients["umbrella"]["account_id"])
    assert (refused["Error"]["Code"], refused["Reason"]) == (
        "HandshakeConstraintViolationException",
        "ACCOUNT_NUMBER_LIMIT_EXCEEDED",
    )
    # A canceled invitation gives its place back, as AWS documents.
    org.cancel_handshake(HandshakeId=first["Id"])
    assert _invite(org, clients["umbrella"]["account_id"])["State"] == "OPEN"


def test_more_than_20_invitations_a_day_are_refused(aws, world, sandbox):
    org = aws.management("organizations")
    globex = world["clients"]["globex"]["account_id"]
    for _invitation in range(20):
        org.cancel_handshake(HandshakeId=_invite(org, globex)["Id"])
    refused = _error(_invite, org, globex)
    assert (refused["Error"]["Code"], refused["Reason"]) == (
        "HandshakeConstraintViolationException",
        "HANDSHAKE_RATE_LIMIT_EXCEEDED",
    )
    sandbox.advance_clock(DAY)
    assert _invite(org, globex)["State"] == "OPEN"


def test_list_handshakes_filter_and_paginate(aws, world):
    org = aws.management("organizations")
    ids = [_invite(org, c["account_id"])["Id"] for c in world["clients"].values()]
    ids.append(_invite(org, email="future-client@example.com")["Id"])  # no such account yet: nobody receives it

    pages, token = [], None
    while True:
        answer = org.list_handshakes_for_organization(MaxResults=3, **({"NextToken": token} if token else {}))
        pages.append([h["Id"] for h in answer["Handshakes"]])
        token = answer.get("NextToken")
        if not token:
            break
    assert pages == [ids[:3], ids[3:]]
    invites = org.list_handshakes_for_organization(Filter={"ActionType": "INVITE"})["Handshakes"]
    assert [h["Id"] for h in invites] == ids
    assert org.list_handshakes_for_organization(Filter={"ActionType": "ENABLE_ALL_FEATURES"})["Handshakes"] == []
    assert org.list_handshakes_for_organization(Filter={"ParentHandshakeId": ids[0]})["Handshakes"] == []
    both = _error(org.list_handshakes_for_organization, Filter={"ActionType": "INVITE", "ParentHandshakeId": ids[0]})
    assert (both["Error"]["Code"], both["Reason"]) == ("InvalidInputException", "MAX_LIMIT_EXCEEDED_FILTER")
    # The management account received none of them.
    assert org.list_handshakes_for_account()["Handshakes"] == []
    client = aws.client_account("globex", "organizations")
    assert [h["Id"] for h in client.list_handshakes_for_account(Filter={"ActionType": "INVITE"})["Handshakes"]] == [
        ids[0]
    ]
    paginator = org.get_paginator("list_handshakes_for_organization")
    assert sum(len(p["Handshakes"]) for p in paginator.paginate(PaginationConfig={"PageSize": 1})) == 4


def test_removed_account_is_standalone_again_and_can_be_invited_again(aws, world, sandbox):
    org = aws.management("organizations")
    globex = world["clients"]["globex"]
    client = aws.client_account("globex", "organizations")
    client.accept_handshake(HandshakeId=_invite(org, globex["account_id"])["Id"])

    management_id = world["management"]["account_id"]
    refused = _error(org.remove_account_from_organization, AccountId=management_id)
    assert (refused["Error"]["Code"], refused["Reason"]) == (
        "ConstraintViolationException",
        "ACCOUNT_CANNOT_LEAVE_ORGANIZATION",
    )
    assert (
        _error(client.remove_account_from_organization, AccountId=globex["account_id"])["Error"]["Code"]
        == "AccessDeniedException"
    )

    org.remove_account_from_organization(AccountId=globex["account_id"])
    assert globex["account_id"] not in {a["Id"] for a in org.list_accounts()["Accounts"]}
    assert _error(client.describe_organization)["Error"]["Code"] == "AWSOrganizationsNotInUseException"
    assert (
        _error(org.remove_account_from_organization, AccountId=globex["account_id"])["Error"]["Code"]
        == "AccountNotFoundException"
    )
    # Its email is still taken by it, as a standalone account.
    created = org.create_account(AccountName="Copy", Email=globex["email"])["CreateAccountStatus"]
    sandbox.configure(create_account_in_progress_polls=0)
    status = org.describe_create_account_status(CreateAccountRequestId=created["Id"])["CreateAccountStatus"]
    assert status["FailureReason"] == "EMAIL_ALREADY_EXISTS"

    again = _invite(org, email=globex["email"])
    assert client.accept_handshake(HandshakeId=again["Id"])["Handshake"]["State"] == "ACCEPTED"
    member = org.describe_account(AccountId=globex["account_id"])["Account"]
    assert (member["JoinedMethod"], member["Name"]) == ("INVITED", globex["name"])


def test_created_account_removed_then_reinvited_keeps_its_own_role(aws, sandbox):
    """Joining by invitation neither creates nor deletes an OrganizationAccountAccessRole."""
    org = aws.management("organizations")
    sandbox.configure(create_account_in_progress_polls=0)
    created = org.create_account(AccountName="Spin Off", Email="awsaccounts+spinoff@msp.example")
    account_id = org.describe_create_account_status(CreateAccountRequestId=created["CreateAccountStatus"]["Id"])[
        "CreateAccountStatus"
    ]["AccountId"]
    sandbox.advance_clock(4 * DAY)  # past the waiting period of a created account (test_removal_preconditions)
    org.remove_account_from_organization(AccountId=account_id)
    handshake = _invite(org, account_id)
    spin_off = aws.client("organizations", aws_access_key_id="testing", aws_secret_access_key="testing")
    # Act as the former member through moto's account header.
    spin_off.meta.events.register(
        "before-sign.organizations.*", lambda request, **_: request.headers.__setitem__("x-moto-account-id", account_id)
    )
    assert spin_off.accept_handshake(HandshakeId=handshake["Id"])["Handshake"]["State"] == "ACCEPTED"
    assert org.describe_account(AccountId=account_id)["Account"]["JoinedMethod"] == "INVITED"
    role_arn = f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole"
    iam = aws.client("iam", aws.assumed(aws.management("sts").assume_role(RoleArn=role_arn, RoleSessionName="probe")))
    trust = iam.get_role(RoleName="OrganizationAccountAccessRole")["Role"]["AssumeRolePolicyDocument"]
    assert "sts:AssumeRole" in json.dumps(trust)
