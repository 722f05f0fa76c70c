"""Asynchronous CreateAccount: IN_PROGRESS, then SUCCEEDED or FAILED, as AWS answers it."""

import botocore.exceptions
import pytest


def _create(org, name="Workload Prod", email="awsaccounts+prod@msp.example", **extra):
    return org.create_account(AccountName=name, Email=email, **extra)["CreateAccountStatus"]


def _describe(org, request_id):
    return org.describe_create_account_status(CreateAccountRequestId=request_id)["CreateAccountStatus"]


def _finish(org, request_id, limit=20):
    for _poll in range(limit):
        status = _describe(org, request_id)
        if status["State"] != "IN_PROGRESS":
            return status
    raise AssertionError(f"{request_id} still IN_PROGRESS after {limit} polls")


def _member_ids(org):
    return {a["Id"] for a in org.list_accounts()["Accounts"]}


def test_request_is_in_progress_then_succeeds_and_only_then_lists_the_account(aws):
    org = aws.management("organizations")
    created = _create(org, Tags=[{"Key": "env", "Value": "prod"}])
    assert created["State"] == "IN_PROGRESS"
    assert created["Id"].startswith("car-")
    assert created["AccountName"] == "Workload Prod"
    assert "AccountId" not in created and "Email" not in created

    in_progress = org.list_create_account_status(States=["IN_PROGRESS"])["CreateAccountStatuses"]
    assert [s["Id"] for s in in_progress] == [created["Id"]]
    assert org.list_create_account_status(States=["SUCCEEDED"])["CreateAccountStatuses"] == []
    members_before = _member_ids(org)

    # Default: two polls answer IN_PROGRESS, the third shows the result.
    assert _describe(org, created["Id"])["State"] == "IN_PROGRESS"
    assert _member_ids(org) == members_before
    assert _describe(org, created["Id"])["State"] == "IN_PROGRESS"
    done = _describe(org, created["Id"])
    assert done["State"] == "SUCCEEDED"
    assert done["AccountId"].isdigit() and len(done["AccountId"]) == 12
    assert done["CompletedTimestamp"] >= done["RequestedTimestamp"]
    assert "FailureReason" not in done

    account = org.describe_account(AccountId=done["AccountId"])["Account"]
    assert account["JoinedMethod"] == "CREATED"
    assert account["Email"] == "awsaccounts+prod@msp.example"
    assert account["Name"] == "Workload Prod"
    assert _member_ids(org) == members_before | {done["AccountId"]}
    assert org.list_create_account_status(States=["IN_PROGRESS"])["CreateAccountStatuses"] == []
    [succeeded] = org.list_create_account_status(States=["SUCCEEDED"])["CreateAccountStatuses"]
    assert succeeded["AccountId"] == done["AccountId"]
    tags = org.list_tags_for_resource(ResourceId=done["AccountId"])["Tags"]
    assert tags == [{"Key": "env", "Value": "prod"}]


def test_access_role_is_created_with_the_requested_name_only_on_success(aws):
    org = aws.management("organizations")
    created = _create(org, RoleName="MspAdmin")
    done = _finish(org, created["Id"])
    account_id = done["AccountId"]
    sts = aws.management("sts")
    role_arn = f"arn:aws:iam::{account_id}:role/MspAdmin"
    assumed = sts.assume_role(RoleArn=role_arn, RoleSessionName="probe")
    iam = aws.client("iam", aws.assumed(assumed))
    role = iam.get_role(RoleName="MspAdmin")["Role"]
    assert f"arn:aws:iam::{aws.world['management']['account_id']}:root" in str(role["AssumeRolePolicyDocument"])
    # As in AWS, the access role is the account's administrator.
    attached = iam.list_attached_role_policies(RoleName="MspAdmin")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        iam.get_role(RoleName="OrganizationAccountAccessRole")
    assert raised.value.response["Error"]["Code"] == "NoSuchEntity"


def test_settings_change_how_long_a_request_stays_in_progress(aws, sandbox):
    org = aws.management("organizations")
    sandbox.configure(create_account_in_progress_polls=0)
    immediate = _create(org, email="awsaccounts+now@msp.example")
    assert _describe(org, immediate["Id"])["State"] == "SUCCEEDED"

    sandbox.configure(create_account_in_progress_polls=5)
    slow = _create(org, email="awsaccounts+slow@msp.example")
    states = [_describe(org, slow["Id"])["State"] for _poll in range(6)]
    assert states == ["IN_PROGRESS"] * 5 + ["SUCCEEDED"]

    # Time-based: no polls needed, but the sandbox clock must pass 60 s; ListAccounts sees it then.
    sandbox.configure(create_account_in_progress_polls=0, create_account_in_progress_seconds=60)
    timed = _create(org, email="awsaccounts+timed@msp.example")
    assert _describe(org, timed["Id"])["State"] == "IN_PROGRESS"
    emails = {a["Email"] for a in org.list_accounts()["Accounts"]}
    assert "awsaccounts+timed@msp.example" not in emails
    sandbox.advance_clock(61)
    emails = {a["Email"] for a in org.list_accounts()["Accounts"]}
    assert "awsaccounts+timed@msp.example" in emails
    assert _describe(org, timed["Id"])["State"] == "SUCCEEDED"

    with pytest.raises(Exception, match="takes a value of type int"):
        sandbox.configure(create_account_in_progress_polls="two")


def test_a_finished_request_shows_in_every_listing_of_the_organization(aws, sandbox):
    """Listing by parent (as the inventory plugin does) finishes due requests as ListAccounts does."""
    org = aws.management("organizations")
    root = org.list_roots()["Roots"][0]["Id"]
    sandbox.configure(create_account_in_progress_polls=0, create_account_in_progress_seconds=60)
    created = _create(org, email="awsaccounts+timed@msp.example")

    def under_root() -> dict:
        return {a["Email"]: a for a in org.list_accounts_for_parent(ParentId=root)["Accounts"]}

    assert "awsaccounts+timed@msp.example" not in under_root()
    sandbox.advance_clock(61)
    # No DescribeCreateAccountStatus or ListAccounts in between: the listing by parent finishes the request.
    account = under_root()["awsaccounts+timed@msp.example"]
    assert account["State"] == "ACTIVE" and account["JoinedMethod"] == "CREATED"
    children = org.list_children(ParentId=root, ChildType="ACCOUNT")["Children"]
    assert {"Id": account["Id"], "Type": "ACCOUNT"} in children
    assert org.list_parents(ChildId=account["Id"])["Parents"] == [{"Id": root, "Type": "ROOT"}]
    done = _describe(org, created["Id"])
    assert (done["State"], done["AccountId"]) == ("SUCCEEDED", account["Id"])


@pytest.mark.parametrize(
    "email_of",
    [
        lambda w: w["management"]["email"].upper(),  # a member of the organization, any case
        lambda w: w["clients"]["globex"]["email"],  # a standalone client account outside the organization
    ],
    ids=["member", "standalone"],
)
def test_email_of_any_existing_account_fails_with_email_already_exists(aws, world, email_of):
    org = aws.management("organizations")
    members_before = _member_ids(org)
    created = _create(org, name="Taken", email=email_of(world))
    assert created["State"] == "IN_PROGRESS"
    done = _finish(org, created["Id"])
    assert done["State"] == "FAILED"
    assert done["FailureReason"] == "EMAIL_ALREADY_EXISTS"
    assert "AccountId" not in done
    assert "CompletedTimestamp" in done
    assert _member_ids(org) == members_before


def test_email_of_a_request_still_in_progress_is_taken(aws):
    org = aws.management("organizations")
    first = _create(org, email="awsaccounts+twice@msp.example")
    second = _create(org, email="AWSACCOUNTS+twice@msp.example")
    assert _finish(org, second["Id"])["FailureReason"] == "EMAIL_ALREADY_EXISTS"
    assert _finish(org, first["Id"])["State"] == "SUCCEEDED"


MALFORMED_EMAILS = [
    "no-at-sign.example.com",
    "two@at@msp.example",
    ".leading-dot@msp.example",
    "bad(paren)@msp.example",
    "semi;colon@msp.example",
    "space in@msp.example",
    "user@nodot",
    "user@-msp.example",
    "user@msp.example.",
    "user@msp_example.com",
    "\u00fcnicode@msp.example",
    "x" * 60 + "@msp.example",
]


def test_malformed_email_fails_with_invalid_email(aws):
    org = aws.management("organizations")
    members_before = _member_ids(org)
    requests = {email: _create(org, name="Bad Email", email=email)["Id"] for email in MALFORMED_EMAILS}
    outcomes = {email: _finish(org, request_id) for email, request_id in requests.items()}
    expected = dict.fromkeys(MALFORMED_EMAILS, ("FAILED", "INVALID_EMAIL"))
    assert {e: (o["State"], o.get("FailureReason")) for e, o in outcomes.items()} == expected
    assert _member_ids(org) == members_before
    # The rules are not over-strict: plus addressing and sub-domains are fine.
    assert _finish(org, _create(org, email="a.b+c@mail.msp-example.co.uk")["Id"])["State"] == "SUCCEEDED"


def test_account_quota_fails_requests_beyond_it(aws, sandbox):
    org = aws.management("organizations")
    sandbox.configure(organization_account_quota=2)  # the management account plus one
    ok = _create(org, email="awsaccounts+one@msp.example")
    over = _create(org, email="awsaccounts+two@msp.example")
    assert _finish(org, over["Id"])["FailureReason"] == "ACCOUNT_LIMIT_EXCEEDED"
    assert _finish(org, ok["Id"])["State"] == "SUCCEEDED"


def test_list_create_account_status_answers_all_requests_with_pagination(aws):
    org = aws.management("organizations")
    ids = [_create(org, name=f"Acct {i}", email=f"awsaccounts+page{i}@msp.example")["Id"] for i in range(4)]
    failed = _create(org, name="Failed", email="bad(email)@msp.example")["Id"]
    for request_id in [*ids[:2], failed]:
        _finish(org, request_id)

    pages, token = [], None
    while True:
        kwargs = {"MaxResults": 2, **({"NextToken": token} if token else {})}
        answer = org.list_create_account_status(**kwargs)
        pages.append([s["Id"] for s in answer["CreateAccountStatuses"]])
        token = answer.get("NextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [i for p in pages for i in p] == [*ids, failed]

    by_state = {
        state: {s["Id"] for s in org.list_create_account_status(States=[state])["CreateAccountStatuses"]}
        for state in ("IN_PROGRESS", "SUCCEEDED", "FAILED")
    }
    assert by_state == {"IN_PROGRESS": set(ids[2:]), "SUCCEEDED": set(ids[:2]), "FAILED": {failed}}
    both = org.list_create_account_status(States=["FAILED", "SUCCEEDED"])["CreateAccountStatuses"]
    assert {s["Id"] for s in both} == set(ids[:2]) | {failed}
    # The management account itself was never requested: it is not a create-account request.
    everything = org.list_create_account_status()["CreateAccountStatuses"]
    assert {s["Id"] for s in everything} == set(ids) | {failed}

    paginator = org.get_paginator("list_create_account_status")
    assert sum(len(p["CreateAccountStatuses"]) for p in paginator.paginate(PaginationConfig={"PageSize": 3})) == 5


def test_unknown_request_id_and_callers_outside_the_management_account(aws):
    org = aws.management("organizations")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        _describe(org, "car-doesnotexist1")
    assert raised.value.response["Error"]["Code"] == "CreateAccountStatusNotFoundException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    client_org = aws.client_account("globex", "organizations")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        _create(client_org, email="someone@globex.example")
    assert raised.value.response["Error"]["Code"] == "AWSOrganizationsNotInUseException"

    with pytest.raises(botocore.exceptions.ClientError) as raised:
        org.list_create_account_status(NextToken="not-a-token")
    assert raised.value.response["Error"]["Code"] == "InvalidInputException"
