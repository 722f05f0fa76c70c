"""aws_member_account against the sandbox: one account per email, whatever AWS or the process does to a run.

Every test reads the sandbox's call log and ListAccounts afterwards, so "exactly one account" and "nothing
was written" are proven from AWS's side, not from the module's result.
"""

import time

import pytest
from conftest import writes_since

MODULE = "aws_member_account"
EMAIL = "awsaccounts+acme-corp@msp.example"
NAME = "ACME Corp"
# Short polls keep the tests fast; the module's documented default is 2 s, growing 1.5 times per poll.
FAST = {"wait_delay": 0.02}
CONTACT = {"name": "ACME Security", "title": "CISO", "email": "security@acme.example", "phone": "+1 555 0100"}


def enable_trusted_access(aws) -> None:
    aws.management("organizations").enable_aws_service_access(ServicePrincipal="account.amazonaws.com")


def accounts_with_email(aws, email: str = EMAIL) -> list[dict]:
    accounts = aws.management("organizations").list_accounts()["Accounts"]
    return [account for account in accounts if account["Email"].lower() == email.lower()]


def calls_of(sandbox, action: str, since: int = 0) -> int:
    return sandbox.call_summary(since=since)["by_action"].get(f"organizations:{action}", 0)


def create(run_module, **args):
    # account_name is the alias of the module's `name`, which run_module takes for the module's own name.
    return run_module(MODULE, **{"account_name": NAME, "email": EMAIL, **FAST, **args})


def assert_one_account(aws, result) -> None:
    assert not result.failed, result.get("msg")
    [account] = accounts_with_email(aws)
    assert result["account"]["id"] == account["Id"]
    assert result["account"]["state"] == "ACTIVE"


# --- creation and the cost of a no-op -----------------------------------------------------------------


def test_no_op_run_makes_only_the_reads_it_needs(run_module, sandbox, aws):
    enable_trusted_access(aws)
    assert not run_module("aws_organizational_unit", path="Clients/Production").failed
    declared = {
        "parent": "Clients/Production",
        "tags": {"client": "acme"},
        "alternate_contacts": {"security": CONTACT},
    }
    first = create(run_module, **declared)
    assert first.changed and first["create_account_status"]["state"] == "SUCCEEDED"
    assert_one_account(aws, first)

    mark = sandbox.mark()
    again = create(run_module, **declared)
    assert not again.failed and not again.changed, again
    summary = sandbox.call_summary(since=mark)
    # The floor: the account list once (the idempotency key), the root and one listing per OU level to
    # resolve the path, the account's parent and tags, and one read per contact type. No AssumeRole: only a
    # run that created or resumed the account's request proves its access role.
    assert summary["by_action"] == {
        "organizations:ListAccounts": 1,
        "organizations:ListRoots": 1,
        "organizations:ListOrganizationalUnitsForParent": 2,
        "organizations:ListParents": 1,
        "organizations:ListTagsForResource": 1,
        "account:GetAlternateContact": 3,
    }
    assert summary["writes_by_action"] == {}

    # With its id (as onboarding passes it, from one aws_member_account_info for every client) the account
    # is described, not searched for: the organization's size no longer counts.
    mark = sandbox.mark()
    by_id = create(run_module, account_id=first["account"]["id"], **declared)
    assert not by_id.failed and not by_id.changed, by_id
    assert by_id["account"] == again["account"]
    summary = sandbox.call_summary(since=mark)
    assert "organizations:ListAccounts" not in summary["by_action"], summary
    assert summary["by_action"]["organizations:DescribeAccount"] == 1, summary


def test_check_mode_predicts_the_created_account(run_module, sandbox, aws):
    mark = sandbox.mark()
    predicted = create(run_module, check_mode=True, tags={"client": "acme"})
    assert predicted.changed and predicted["account"]["id"] is None
    assert writes_since(sandbox, mark) == []
    created = create(run_module, tags={"client": "acme"})
    for key in ("name", "email", "state", "joined_method", "parent", "tags", "alternate_contacts"):
        assert predicted["account"][key] == created["account"][key], key
    assert predicted["diff"] == created["diff"]


def test_check_mode_follows_a_run_when_a_request_is_in_flight(run_module, sandbox, aws):
    # A request for the name stays IN_PROGRESS: without wait, a run only reports it (no change), and check
    # mode says the same; with wait, a run finishes it (a change), and check mode says so too.
    sandbox.configure(create_account_in_progress_polls=10000)
    submitted = create(run_module, wait=False)
    assert submitted.changed and submitted["create_account_status"]["state"] == "IN_PROGRESS"
    request_id = submitted["create_account_status"]["id"]

    mark = sandbox.mark()
    predicted = create(run_module, wait=False, check_mode=True)
    resumed = create(run_module, wait=False)
    assert not predicted.failed and not resumed.failed, (predicted.get("msg"), resumed.get("msg"))
    assert predicted.changed is resumed.changed is False
    assert predicted["create_account_status"]["id"] == resumed["create_account_status"]["id"] == request_id
    assert predicted["create_account_status"]["resumed"] is resumed["create_account_status"]["resumed"] is True
    assert predicted["account"] == resumed["account"]
    assert writes_since(sandbox, mark) == []

    predicted_wait = create(run_module, check_mode=True)
    assert predicted_wait.changed and writes_since(sandbox, mark) == []
    sandbox.configure(create_account_in_progress_polls=2)
    finished = create(run_module)
    assert finished.changed and finished["create_account_status"]["id"] == request_id
    assert_one_account(aws, finished)
    assert calls_of(sandbox, "CreateAccount") == 1


# --- faults on the way to one account -----------------------------------------------------------------


def test_create_account_in_progress_for_many_polls(run_module, sandbox, aws):
    sandbox.configure(create_account_in_progress_polls=12)
    result = create(run_module)
    assert_one_account(aws, result)
    assert result["wait_progress"]["polls"] >= 13
    assert calls_of(sandbox, "CreateAccount") == 1


def test_lost_create_answer_resumes_the_request(run_module, sandbox, aws):
    sandbox.add_fault(service="organizations", action="CreateAccount", when="after", drop_connection=True)
    result = create(run_module)
    assert_one_account(aws, result)
    # One CreateAccount reached AWS; the module found its request in flight and waited on it.
    assert calls_of(sandbox, "CreateAccount") == 1
    assert result["create_account_status"]["resumed"] is True
    assert sandbox.faults()[0]["fired"] == 1


def test_killed_after_create_account_then_rerun_resumes(run_module, sandbox, aws):
    sandbox.add_fault(service="organizations", action="DescribeCreateAccountStatus", latency_ms=30000, count=1)
    proc = run_module.start(MODULE, account_name=NAME, email=EMAIL, **FAST)
    try:
        deadline = time.monotonic() + 30
        while calls_of(sandbox, "CreateAccount") == 0:
            assert time.monotonic() < deadline, "the module never sent CreateAccount"
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait()
    assert accounts_with_email(aws) == []
    sandbox.clear_faults()

    result = create(run_module)
    assert_one_account(aws, result)
    assert calls_of(sandbox, "CreateAccount") == 1
    assert result["create_account_status"]["resumed"] is True


@pytest.mark.parametrize("error_code", ["TooManyRequestsException", "ConcurrentModificationException"])
def test_refused_create_account_is_resubmitted_after_a_recheck(run_module, sandbox, aws, error_code):
    sandbox.add_fault(service="organizations", action="CreateAccount", error_code=error_code, count=2)
    result = create(run_module)
    assert_one_account(aws, result)
    summary = sandbox.call_summary()["by_action"]
    assert summary["organizations:CreateAccount"] == 3
    # Before each resubmission: the account list and the requests in flight, read again.
    assert summary["organizations:ListAccounts"] >= 3
    assert summary["organizations:ListCreateAccountStatus"] >= 3
    assert result["wait_progress"]["submissions"] == 3


def test_two_runs_racing_make_one_account(run_module, sandbox, aws):
    sandbox.configure(create_account_in_progress_polls=5)
    first = run_module.start(MODULE, account_name=NAME, email=EMAIL, **FAST)
    second = run_module.start(MODULE, account_name=NAME, email=EMAIL, **FAST)
    results = [run_module.finish(first), run_module.finish(second)]
    for result in results:
        assert not result.failed, result.get("msg")
    [account] = accounts_with_email(aws)
    assert {result["account"]["id"] for result in results} == {account["Id"]}


def test_email_of_an_account_outside_the_organization(run_module, sandbox, aws, world):
    outside = world["clients"]["globex"]["email"]
    result = create(run_module, email=outside)
    assert result.failed
    assert "EMAIL_ALREADY_EXISTS" in result["msg"] and "aws_billing_link" in result["msg"]
    assert "account" not in result
    assert accounts_with_email(aws, outside) == []


def test_account_limit_exceeded_names_the_quota(run_module, sandbox, aws):
    sandbox.configure(organization_account_quota=1)
    result = create(run_module)
    assert result.failed
    assert "ACCOUNT_LIMIT_EXCEEDED" in result["msg"] and "quota" in result["msg"]
    assert accounts_with_email(aws) == []


def test_waits_until_the_access_role_can_be_assumed(run_module, sandbox, aws):
    sandbox.configure(new_account_access_denied_attempts=3)
    result = create(run_module)
    assert_one_account(aws, result)
    assert result["wait_progress"]["access_role_attempts"] == 4
    assert result["wait_progress"]["phase"] == "ready"


def test_wait_timeout_names_the_request_and_a_rerun_resumes_it(run_module, sandbox, aws):
    sandbox.configure(create_account_in_progress_polls=10000)
    timed_out = create(run_module, wait_timeout=1, wait_delay=0.1)
    assert timed_out.failed
    request_id = timed_out["wait_progress"]["request_id"]
    assert request_id.startswith("car-") and request_id in timed_out["msg"]
    assert "wait_timeout" in timed_out["msg"]
    # The module's own clock proves it gave up at wait_timeout; the test's wall clock would also count Python's
    # start-up, which under load (CI beside other jobs, two pytest workers) took 27 s.
    assert timed_out["wait_progress"]["elapsed_seconds"] <= 1.5

    # Still in progress when the next run looks, and done a few polls later.
    sandbox.configure(create_account_in_progress_polls=timed_out["wait_progress"]["polls"] + 2)
    result = create(run_module)
    assert_one_account(aws, result)
    assert result["create_account_status"]["id"] == request_id
    assert calls_of(sandbox, "CreateAccount") == 1


def test_without_wait_the_request_is_returned_and_finished_later(run_module, sandbox, aws):
    submitted = create(run_module, wait=False)
    assert submitted.changed and submitted["account"]["id"] is None
    assert submitted["create_account_status"]["state"] == "IN_PROGRESS"
    finished = create(run_module)
    assert_one_account(aws, finished)
    assert finished["create_account_status"]["id"] == submitted["create_account_status"]["id"]


# --- bad input writes nothing -------------------------------------------------------------------------

INVALID_EMAILS = {
    "too-short": "a@b.c",
    "too-long": "a" * 60 + "@example.com",
    "not-ascii": "zoë@example.com",
    "no-at": "awsaccounts.example.com",
    "two-ats": "aws@accounts@example.com",
    "nothing-before-at": "@example.com",
    "whitespace": "aws accounts@example.com",
    "leading-dot": ".awsaccounts@example.com",
    "undotted-domain": "awsaccounts@localhost",
    **{f"forbidden-{ord(ch)}": f"aws{ch}accounts@example.com" for ch in "\"'()<>[]:;,\\|%&"},
}


@pytest.mark.parametrize("email", INVALID_EMAILS.values(), ids=INVALID_EMAILS.keys())
def test_invalid_email_fails_before_any_write(run_module, sandbox, email):
    mark = sandbox.mark()
    result = create(run_module, email=email)
    assert result.failed and result["msg"].startswith("email: "), result.get("msg")
    assert writes_since(sandbox, mark) == []


BAD_OPTIONS = {
    "51-character-name": ({"account_name": "x" * 51}, "name: "),
    "unknown-ou": ({"parent": "Clients/Nowhere"}, "aws_organizational_unit"),
    "bad-contact-phone": (
        {"alternate_contacts": {"billing": dict(CONTACT, phone="call me maybe")}},
        "alternate_contacts.billing.phone: ",
    ),
    "incomplete-contact": ({"alternate_contacts": {"billing": {"name": "Billing"}}}, "alternate_contacts.billing: "),
    "bad-role-name": ({"role_name": "no spaces allowed"}, "role_name: "),
    "foreign-root-id": ({"parent": "r-zzzz"}, "parent: r-zzzz is not this organization's root"),
}


@pytest.mark.parametrize(("args", "expected"), BAD_OPTIONS.values(), ids=BAD_OPTIONS.keys())
def test_bad_option_fails_before_any_write(run_module, sandbox, args, expected):
    mark = sandbox.mark()
    result = create(run_module, **args)
    assert result.failed and expected in result["msg"], result.get("msg")
    assert writes_since(sandbox, mark) == []


def test_adopting_an_account_with_another_email_fails(run_module, sandbox, aws):
    account_id = aws.create_member("Other Client", "awsaccounts+other@msp.example")
    mark = sandbox.mark()
    result = create(run_module, account_id=account_id)
    assert result.failed and "awsaccounts+other@msp.example" in result["msg"]
    assert writes_since(sandbox, mark) == []


def test_missing_trusted_access_is_explained(run_module, sandbox, aws):
    aws.create_member(NAME, EMAIL)
    result = create(run_module, alternate_contacts={"security": CONTACT})
    assert result.failed
    assert "trusted access" in result["msg"] and "account.amazonaws.com" in result["msg"]


def test_rename_without_trusted_access_fails_in_check_mode_as_in_a_run(run_module, sandbox, aws):
    aws.create_member(NAME, EMAIL)
    assert not aws_has_trusted_access(aws)
    mark = sandbox.mark()
    predicted = create(run_module, account_name="ACME Corporation", tags={"client": "acme"}, check_mode=True)
    run = create(run_module, account_name="ACME Corporation", tags={"client": "acme"})
    for result in (predicted, run):
        assert result.failed and "trusted access" in result["msg"], result.get("msg")
    # The run fails before writing anything (the tags are not applied half-way).
    assert writes_since(sandbox, mark) == []


def aws_has_trusted_access(aws) -> bool:
    principals = aws.management("organizations").list_aws_service_access_for_organization()
    return any(p["ServicePrincipal"] == "account.amazonaws.com" for p in principals["EnabledServicePrincipals"])


# --- closing ------------------------------------------------------------------------------------------


def test_close_is_pending_then_suspended_and_never_repeated(run_module, sandbox, aws):
    account_id = aws.create_member(NAME, EMAIL)
    closed = run_module(MODULE, email=EMAIL, state="absent")
    assert closed.changed and closed["account"]["state"] == "PENDING_CLOSURE"
    assert closed["diff"]["before"]["state"] == "ACTIVE"
    again = run_module(MODULE, email=EMAIL, state="absent")
    assert not again.changed
    sandbox.advance_clock(301)
    suspended = run_module(MODULE, email=EMAIL, state="absent")
    assert not suspended.changed and suspended["account"]["state"] == "SUSPENDED"
    assert calls_of(sandbox, "CloseAccount") == 1
    assert aws.management("organizations").describe_account(AccountId=account_id)["Account"]["State"] == "SUSPENDED"


def test_closing_an_account_id_outside_the_organization_is_a_no_op(run_module, sandbox, world):
    outside = world["clients"]["globex"]
    mark = sandbox.mark()
    result = run_module(MODULE, email=outside["email"], account_id=outside["account_id"], state="absent")
    assert not result.failed and not result.changed, result.get("msg")
    assert result["account"] is None
    assert writes_since(sandbox, mark) == []


def test_closing_while_its_create_request_is_in_flight_says_to_run_again(run_module, sandbox, aws):
    sandbox.configure(create_account_in_progress_polls=10000)
    submitted = create(run_module, wait=False)
    mark = sandbox.mark()
    result = run_module(MODULE, email=EMAIL, account_name=NAME, state="absent")
    assert result.failed, result
    assert "still in progress" in result["msg"] and submitted["create_account_status"]["id"] in result["msg"]
    assert "run again when it finishes" in result["msg"]
    assert writes_since(sandbox, mark) == []
    # Without a name there is no request to look for: nothing to close.
    assert not run_module(MODULE, email=EMAIL, state="absent").changed


def test_closing_the_management_account_is_refused(run_module, sandbox, world):
    mark = sandbox.mark()
    result = run_module(MODULE, email=world["management"]["email"], state="absent")
    assert result.failed and "management account" in result["msg"]
    assert writes_since(sandbox, mark) == []


def test_present_on_a_closed_account_explains_reopening(run_module, sandbox, aws):
    aws.create_member(NAME, EMAIL)
    assert run_module(MODULE, email=EMAIL, state="absent").changed
    result = create(run_module)
    assert result.failed and "PENDING_CLOSURE" in result["msg"] and "90 days" in result["msg"]
