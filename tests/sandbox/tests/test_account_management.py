"""Account Management: the primary-email change with its one-time code, account names, and AWS's checks."""

from datetime import datetime

import botocore.exceptions
import pytest

TRUSTED_PRINCIPAL = "account.amazonaws.com"


def enable_trusted_access(aws) -> None:
    aws.management("organizations").enable_aws_service_access(ServicePrincipal=TRUSTED_PRINCIPAL)


def outbox(sandbox, address: str) -> list:
    return sandbox.request("GET", "/outbox", query={"to": address})["messages"]


def error_of(raised) -> tuple[str, str, int]:
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_primary_email_change_with_the_code_from_the_outbox(aws, sandbox):
    member = aws.create_member("Payments Prod", "awsaccounts+payments@msp.example")
    enable_trusted_access(aws)
    account = aws.management("account")
    assert account.get_primary_email(AccountId=member)["PrimaryEmail"] == "awsaccounts+payments@msp.example"

    new = "payments-root@client.example"
    started = account.start_primary_email_update(AccountId=member, PrimaryEmail=new)
    assert started["Status"] == "PENDING"
    # Not changed until the code is given back.
    assert account.get_primary_email(AccountId=member)["PrimaryEmail"] == "awsaccounts+payments@msp.example"
    [message] = outbox(sandbox, new)
    assert message["account_id"] == member and message["to"] == new
    assert message["code"] in message["body"] and len(message["code"]) == 6

    accepted = account.accept_primary_email_update(AccountId=member, PrimaryEmail=new, Otp=message["code"])
    assert accepted["Status"] == "ACCEPTED"
    assert account.get_primary_email(AccountId=member)["PrimaryEmail"] == new
    org = aws.management("organizations")
    assert org.describe_account(AccountId=member)["Account"]["Email"] == new
    assert {a["Id"]: a["Email"] for a in org.list_accounts()["Accounts"]}[member] == new
    # The code was used up.
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        account.accept_primary_email_update(AccountId=member, PrimaryEmail=new, Otp=message["code"])
    assert error_of(raised)[0] == "ResourceNotFoundException"


def test_wrong_or_expired_code_is_refused(aws, sandbox):
    member = aws.create_member("Payments Prod", "awsaccounts+payments@msp.example")
    enable_trusted_access(aws)
    account = aws.management("account")
    new = "finance-root@client.example"
    account.start_primary_email_update(AccountId=member, PrimaryEmail=new)
    code = outbox(sandbox, new)[-1]["code"]
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        account.accept_primary_email_update(AccountId=member, PrimaryEmail=new, Otp=wrong)
    assert error_of(raised)[0] == "ValidationException" and error_of(raised)[2] == 400
    # Another address than the one started is not pending.
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        account.accept_primary_email_update(AccountId=member, PrimaryEmail="other@client.example", Otp=code)
    assert error_of(raised)[0] == "ResourceNotFoundException"

    sandbox.advance_clock(24 * 3600 + 1)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        account.accept_primary_email_update(AccountId=member, PrimaryEmail=new, Otp=code)
    assert error_of(raised)[0] == "ValidationException"
    assert account.get_primary_email(AccountId=member)["PrimaryEmail"] == "awsaccounts+payments@msp.example"

    # A new start sends a new code, newest last in the outbox, which works.
    account.start_primary_email_update(AccountId=member, PrimaryEmail=new)
    messages = outbox(sandbox, new)
    assert len(messages) == 2
    account.accept_primary_email_update(AccountId=member, PrimaryEmail=new, Otp=messages[-1]["code"])
    assert account.get_primary_email(AccountId=member)["PrimaryEmail"] == new


def test_update_status_says_pending_then_completed_but_not_the_address(aws, sandbox):
    member = aws.create_member("Payments Prod", "awsaccounts+payments@msp.example")
    enable_trusted_access(aws)
    account = aws.management("account")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        account.get_primary_email_update_status(AccountId=member)
    assert error_of(raised)[0] == "ResourceNotFoundException"

    new = "payments-root@client.example"
    account.start_primary_email_update(AccountId=member, PrimaryEmail=new)
    pending = account.get_primary_email_update_status(AccountId=member)
    assert pending["Status"] == "PENDING" and isinstance(pending["UpdatedAt"], datetime)
    assert set(pending) - {"ResponseMetadata"} == {"Status", "UpdatedAt"}

    account.accept_primary_email_update(AccountId=member, PrimaryEmail=new, Otp=outbox(sandbox, new)[-1]["code"])
    done = account.get_primary_email_update_status(AccountId=member)
    assert done["Status"] == "COMPLETED" and done["UpdatedAt"] >= pending["UpdatedAt"]

    # The same checks on AccountId as every other call about a member.
    aws.management("organizations").disable_aws_service_access(ServicePrincipal=TRUSTED_PRINCIPAL)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        account.get_primary_email_update_status(AccountId=member)
    assert error_of(raised)[0] == "AccessDeniedException"


def test_email_of_another_account_is_a_conflict(aws, world, sandbox):
    member = aws.create_member("Payments Prod", "awsaccounts+payments@msp.example")
    enable_trusted_access(aws)
    account = aws.management("account")
    for taken in (world["clients"]["globex"]["email"], world["management"]["email"].upper()):
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            account.start_primary_email_update(AccountId=member, PrimaryEmail=taken)
        assert error_of(raised)[0] == "ConflictException" and error_of(raised)[2] == 409
    assert outbox(sandbox, world["clients"]["globex"]["email"]) == []


def test_calls_about_a_member_need_trusted_access(aws):
    member = aws.create_member("Payments Prod", "awsaccounts+payments@msp.example")
    account = aws.management("account")
    calls = [
        lambda: account.get_primary_email(AccountId=member),
        lambda: account.start_primary_email_update(AccountId=member, PrimaryEmail="new-root@client.example"),
        lambda: account.put_account_name(AccountId=member, AccountName="Renamed"),
        lambda: account.get_account_information(AccountId=member),
        lambda: account.put_alternate_contact(
            AccountId=member,
            AlternateContactType="SECURITY",
            Name="SecOps",
            Title="Team",
            EmailAddress="sec@msp.example",
            PhoneNumber="+1 555 0100",
        ),
        lambda: account.get_alternate_contact(AccountId=member, AlternateContactType="SECURITY"),
        lambda: account.delete_alternate_contact(AccountId=member, AlternateContactType="SECURITY"),
    ]
    for call in calls:
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            call()
        code, message, status = error_of(raised)
        assert (code, status) == ("AccessDeniedException", 403)
        assert message.endswith("(Your organization must first enable trusted access with AWS Account Management.)")
        assert "user/msp-automation is not authorized to perform: account:" in message

    # The management account's own contacts need no trusted access (standalone context).
    account.put_alternate_contact(
        AlternateContactType="BILLING",
        Name="Billing",
        Title="AP",
        EmailAddress="ap@msp.example",
        PhoneNumber="+1 555 0101",
    )
    assert account.get_alternate_contact(AlternateContactType="BILLING")["AlternateContact"]["Name"] == "Billing"

    enable_trusted_access(aws)
    account.put_alternate_contact(
        AccountId=member,
        AlternateContactType="SECURITY",
        Name="SecOps",
        Title="Team",
        EmailAddress="sec@msp.example",
        PhoneNumber="+1 555 0100",
    )
    contact = account.get_alternate_contact(AccountId=member, AlternateContactType="SECURITY")["AlternateContact"]
    assert contact["EmailAddress"] == "sec@msp.example"
    account.delete_alternate_contact(AccountId=member, AlternateContactType="SECURITY")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        account.get_alternate_contact(AccountId=member, AlternateContactType="SECURITY")
    assert error_of(raised)[0] == "ResourceNotFoundException"


def test_only_the_management_account_may_name_a_member(aws, world):
    member = aws.create_member("Payments Prod", "awsaccounts+payments@msp.example")
    enable_trusted_access(aws)
    account = aws.management("account")
    globex = world["clients"]["globex"]["account_id"]
    management = world["management"]["account_id"]
    # Not a member of the organization; the management account itself.
    for target in (globex, management):
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            account.get_primary_email(AccountId=target)
        assert error_of(raised)[0] == "AccessDeniedException"
        assert "trusted access" not in error_of(raised)[1]
    # A standalone account may not name another account, not even a member.
    client = aws.client_account("globex", "account")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client.get_account_information(AccountId=member)
    assert error_of(raised)[0] == "AccessDeniedException"
    assert "user/client-admin is not authorized to perform: account:GetAccountInformation" in error_of(raised)[1]


def test_account_name_change_shows_in_organizations(aws, world):
    member = aws.create_member("Payments Prod", "awsaccounts+payments@msp.example")
    enable_trusted_access(aws)
    account = aws.management("account")
    info = account.get_account_information(AccountId=member)
    assert info["AccountId"] == member and info["AccountName"] == "Payments Prod"
    assert isinstance(info["AccountCreatedDate"], datetime) and info["AccountState"] == "ACTIVE"

    account.put_account_name(AccountId=member, AccountName="Payments Production")
    assert account.get_account_information(AccountId=member)["AccountName"] == "Payments Production"
    org = aws.management("organizations")
    assert org.describe_account(AccountId=member)["Account"]["Name"] == "Payments Production"
    assert {a["Id"]: a["Name"] for a in org.list_accounts()["Accounts"]}[member] == "Payments Production"
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        account.put_account_name(AccountId=member, AccountName="x" * 51)
    assert error_of(raised)[0] == "ValidationException"

    # Without AccountId each account names itself, inside an organization or not.
    client = aws.client_account("initech", "account")
    client.put_account_name(AccountName="Initech Cloud")
    own = client.get_account_information()
    assert (own["AccountId"], own["AccountName"]) == (world["clients"]["initech"]["account_id"], "Initech Cloud")
    assert account.get_account_information()["AccountName"] == world["management"]["name"]


# --- CloseAccount: PENDING_CLOSURE first, SUSPENDED later ------------------------------------------------


def test_close_account_is_pending_closure_until_the_clock_passes(aws, sandbox):
    member = aws.create_member("Payments Prod", "awsaccounts+payments@msp.example")
    org = aws.management("organizations")
    org.close_account(AccountId=member)
    account = org.describe_account(AccountId=member)["Account"]
    assert account["State"] == "PENDING_CLOSURE" and account["Status"] == "PENDING_CLOSURE"
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        org.close_account(AccountId=member)
    assert error_of(raised)[0] == "AccountAlreadyClosedException"

    sandbox.advance_clock(sandbox.settings()["close_account_pending_seconds"] + 1)
    states = {a["Id"]: a["State"] for a in org.list_accounts()["Accounts"]}
    assert states[member] == "SUSPENDED"
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        org.close_account(AccountId=member)
    assert error_of(raised)[0] == "AccountAlreadyClosedException"


def test_a_finished_closure_shows_in_every_listing_of_the_organization(aws, sandbox):
    """Listing by parent (as the inventory plugin does) suspends due accounts as ListAccounts does."""
    member = aws.create_member("Payments Prod", "awsaccounts+payments@msp.example")
    org = aws.management("organizations")
    root = org.list_roots()["Roots"][0]["Id"]
    org.close_account(AccountId=member)

    def state_under_root() -> str:
        return {a["Id"]: a["State"] for a in org.list_accounts_for_parent(ParentId=root)["Accounts"]}[member]

    assert state_under_root() == "PENDING_CLOSURE"
    sandbox.advance_clock(sandbox.settings()["close_account_pending_seconds"] + 1)
    assert state_under_root() == "SUSPENDED"  # no DescribeAccount or ListAccounts in between
    assert org.describe_account(AccountId=member)["Account"]["State"] == "SUSPENDED"


def test_close_account_refuses_the_management_account_and_unknown_ids(aws, world):
    org = aws.management("organizations")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        org.close_account(AccountId=world["management"]["account_id"])
    assert error_of(raised)[0] == "ConstraintViolationException"
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        org.close_account(AccountId="999999999999")
    assert error_of(raised)[0] == "AccountNotFoundException"
