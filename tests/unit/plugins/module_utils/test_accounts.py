"""Member-account decisions: resume or create, failure messages, closing, convergence, and the
submit-then-poll loop with fake clients (accounts.py)."""

import botocore.exceptions
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.botocore import _boto3_conn

from ansible_collections.msp.aws_accounts.plugins.module_utils.accounts import (
    CREATE,
    EXISTING,
    RESUME,
    Creation,
    WaitTimedOut,
    account_changes,
    changed_state,
    choose_creation,
    close_decision,
    create_account_client_config,
    create_failure_message,
    creation_changes,
    diff_view,
    predicted_new_account,
    result_summary,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.common import MspAwsError

ACCOUNT = {"Id": "111122223333", "Email": "a+acme@example.com", "Name": "ACME", "State": "ACTIVE"}
REQUEST = {"Id": "car-1", "AccountName": "ACME", "State": "IN_PROGRESS", "RequestedTimestamp": "2026-01-02"}
OLDER = {"Id": "car-0", "AccountName": "ACME", "State": "IN_PROGRESS", "RequestedTimestamp": "2026-01-01"}
OTHER = {"Id": "car-9", "AccountName": "Globex", "State": "IN_PROGRESS", "RequestedTimestamp": "2026-01-01"}

CREATION_PLANS = {
    "account-exists": (ACCOUNT, [REQUEST], ("existing", ACCOUNT)),
    "request-in-flight-same-name": (None, [OTHER, REQUEST], ("resume", REQUEST)),
    "oldest-of-two-same-name": (None, [REQUEST, OLDER], ("resume", OLDER)),
    "only-other-names-in-flight": (None, [OTHER], ("create", None)),
    "nothing": (None, [], ("create", None)),
}


@pytest.mark.parametrize(("account", "in_flight", "plan"), CREATION_PLANS.values(), ids=CREATION_PLANS.keys())
def test_choose_creation(account, in_flight, plan):
    assert choose_creation(account, in_flight, "ACME") == plan


# Check mode answers with creation_changes too, so it cannot disagree with a run.
CREATION_CHANGES = {
    "create-waiting": (CREATE, True, True),
    "create-not-waiting": (CREATE, False, True),
    "resume-waiting-finishes-the-account": (RESUME, True, True),
    "resume-not-waiting-only-reports": (RESUME, False, False),
    "existing": (EXISTING, True, False),
}


@pytest.mark.parametrize(("kind", "wait", "changed"), CREATION_CHANGES.values(), ids=CREATION_CHANGES.keys())
def test_creation_changes(kind, wait, changed):
    assert creation_changes(kind, wait) is changed


FAILURES = {
    "email-in-use": ("EMAIL_ALREADY_EXISTS", ["aws_billing_link", "outside this organization", "car-7"]),
    "quota": ("ACCOUNT_LIMIT_EXCEEDED", ["quota", "Service Quotas"]),
    "other-reason-named": ("MISSING_PAYMENT_INSTRUMENT", ["MISSING_PAYMENT_INSTRUMENT"]),
    "no-reason": (None, ["no reason given"]),
}

NAME_MATCHED_FAILURE = {
    "Id": "car-7",
    "State": "FAILED",
    "FailureReason": "EMAIL_ALREADY_EXISTS",
    "AccountName": "ACME",
}


@pytest.mark.parametrize(("reason", "phrases"), FAILURES.values(), ids=FAILURES.keys())
def test_create_failure_message(reason, phrases):
    message = create_failure_message({"Id": "car-7", "State": "FAILED", "FailureReason": reason}, "a@example.com")
    for phrase in phrases:
        assert phrase in message


def test_failure_of_a_resumed_request_says_it_was_matched_by_name():
    message = create_failure_message(NAME_MATCHED_FAILURE, "a@example.com", matched_by_name=True)
    for phrase in ("car-7", "EMAIL_ALREADY_EXISTS", "AccountName 'ACME'", "requests carry no email", "run again"):
        assert phrase in message


CLOSES = {
    "not-found": (None, "absent"),
    "not-found-but-request-in-flight": (None, "in_progress"),
    "management": (dict(ACCOUNT, Id="123456789012"), "refuse"),
    "active": (ACCOUNT, "close"),
    "pending-closure": (dict(ACCOUNT, State="PENDING_CLOSURE"), "closing"),
    "suspended": (dict(ACCOUNT, State="SUSPENDED"), "closing"),
    "closed": (dict(ACCOUNT, State="CLOSED"), "closing"),
    "status-only-endpoint": ({"Id": "111122223333", "Status": "SUSPENDED"}, "closing"),
}


@pytest.mark.parametrize(("account", "decision"), CLOSES.values(), ids=CLOSES.keys())
def test_close_decision(account, decision):
    in_flight = [REQUEST] if decision == "in_progress" else []
    assert close_decision(account, "123456789012", in_flight) == decision


def test_user_aws_config_cannot_make_create_account_retry():
    # amazon.aws merges the client's `config` first and the user's `aws_config` after it: the submit client
    # passes its config as aws_config, built over the user's, so single_attempt_config is applied last.
    user = {"retries": {"mode": "legacy", "max_attempts": 10}, "connect_timeout": 7}
    client = _boto3_conn(
        conn_type="client",
        resource="organizations",
        region="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        aws_config=create_account_client_config(user),
    )
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 1}
    assert client.meta.config.connect_timeout == 7


DESIRED_NEW = {
    "name": "ACME",
    "parent": None,
    "tags": {"client": "acme"},
    "purge_tags": True,
    "alternate_contacts": {"BILLING": None, "OPERATIONS": None, "SECURITY": {"name": "S"}},
}


@pytest.mark.parametrize("wait", [True, False], ids=["waiting", "not-waiting"])
def test_predicted_new_account(wait):
    account, state = predicted_new_account(DESIRED_NEW, "a@example.com", wait, "r-root")
    result = result_summary(account, state)
    assert result["id"] is None and result["email"] == "a@example.com"
    assert result["state"] == ("ACTIVE" if wait else None)
    assert result["parent"] == {"id": "r-root", "path": "/"}
    assert result["alternate_contacts"] == {"billing": None, "operations": None, "security": {"name": "S"}}
    assert diff_view(result) == {
        "name": "ACME",
        "state": result["state"],
        "parent": "/",
        "tags": {"client": "acme"},
        "alternate_contacts": result["alternate_contacts"],
    }


ACTUAL = {
    "name": "ACME",
    "parent": {"id": "r-root", "path": "/"},
    "tags": {"client": "acme", "aws:cloudformation:stack-name": "x"},
    "alternate_contacts": None,
}
PROD = {"id": "ou-prod", "path": "/Clients/Production"}
CHANGES = {
    "nothing-declared": ({}, {}),
    "same-name": ({"name": "ACME"}, {}),
    "rename": ({"name": "ACME Corp"}, {"name": "ACME Corp"}),
    "move": ({"parent": PROD}, {"parent": PROD}),
    "same-parent": ({"parent": {"id": "r-root", "path": "/"}}, {}),
    "tags-same": ({"tags": {"client": "acme"}}, {}),
    "tag-added-no-purge": ({"tags": {"env": "prod"}, "purge_tags": False}, {"tags": ({"env": "prod"}, [])}),
    "tag-purged-but-not-aws-reserved": ({"tags": {"env": "prod"}}, {"tags": ({"env": "prod"}, ["client"])}),
    "tags-emptied": ({"tags": {}}, {"tags": ({}, ["client"])}),
    "tag-value-changed": ({"tags": {"client": "ACME"}}, {"tags": ({"client": "ACME"}, [])}),
}


@pytest.mark.parametrize(("desired", "changes"), CHANGES.values(), ids=CHANGES.keys())
def test_account_changes_and_predicted_state(desired, changes):
    assert account_changes(desired, ACTUAL) == changes
    after = changed_state(ACTUAL, changes)
    assert account_changes(desired, after) == {}
    assert after["tags"].get("aws:cloudformation:stack-name") == "x"


# --- the creation loop, with fake clients -----------------------------------------------------------


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


def client_error(code, operation="CreateAccount"):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": code}}, operation)


NOT_YET = "AccountNotFoundException"  # a scripted DescribeAccount answer: AWS does not know the account yet


class FakeOrganizations:
    """Answers from scripted lists; records every call. DescribeAccount answers ``described`` in turn (an
    account, or NOT_YET), then ACCOUNT with the id asked for."""

    def __init__(self, submissions=(), statuses=(), accounts=(), in_flight=(), described=()):
        self.submissions = list(submissions)
        self.statuses = list(statuses)
        self.account_pages = list(accounts)
        self.in_flight_pages = list(in_flight)
        self.described = list(described)
        self.calls = []

    def create_account(self, **params):
        self.calls.append("CreateAccount")
        answer = self.submissions.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return {"CreateAccountStatus": answer}

    def describe_create_account_status(self, CreateAccountRequestId, aws_retry):
        self.calls.append("DescribeCreateAccountStatus")
        return {"CreateAccountStatus": self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]}

    def describe_account(self, AccountId, aws_retry):
        self.calls.append("DescribeAccount")
        answer = self.described.pop(0) if self.described else dict(ACCOUNT, Id=AccountId)
        if answer == NOT_YET:
            raise client_error(NOT_YET, "DescribeAccount")
        return {"Account": answer}

    def get_paginator(self, operation):
        pages = {
            "list_accounts": ("Accounts", self.account_pages),
            "list_create_account_status": ("CreateAccountStatuses", self.in_flight_pages),
        }[operation]
        self.calls.append(operation)
        key, script = pages
        items = script.pop(0) if script else []

        class Paginator:
            def paginate(self, **kwargs):
                return self

            def build_full_result(self):
                return {key: items}

        return Paginator()


def creation(client, timeout=100.0):
    clock = FakeClock()
    return Creation(client, client, ACCOUNT["Email"], "ACME", timeout, 1.0, sleep=clock.sleep, clock=clock), clock


SUCCEEDED = {"Id": "car-1", "AccountName": "ACME", "State": "SUCCEEDED", "AccountId": "111122223333"}


@pytest.mark.parametrize("code", ["ConcurrentModificationException", "TooManyRequestsException"])
def test_refused_submission_rechecks_before_resubmitting(code):
    client = FakeOrganizations(
        submissions=[client_error(code), REQUEST], statuses=[SUCCEEDED], accounts=[[]], in_flight=[[]]
    )
    run, _clock = creation(client)
    outcome = run.run((CREATE, None), {"Email": ACCOUNT["Email"]}, wait=True)
    assert outcome.account["Id"] == "111122223333" and outcome.status["State"] == "SUCCEEDED"
    assert outcome.made_by_this_run and outcome.submissions == 2
    assert client.calls[:4] == ["CreateAccount", "list_accounts", "list_create_account_status", "CreateAccount"]


def test_lost_answer_resumes_what_the_recheck_finds():
    lost = botocore.exceptions.ConnectionClosedError(endpoint_url="http://aws")
    client = FakeOrganizations(submissions=[lost], statuses=[SUCCEEDED], accounts=[[]], in_flight=[[REQUEST]])
    run, _clock = creation(client)
    outcome = run.run((CREATE, None), {}, wait=True)
    assert client.calls.count("CreateAccount") == 1 and outcome.resumed
    assert outcome.account["Id"] == "111122223333"


def test_other_refusals_are_not_resubmitted():
    client = FakeOrganizations(submissions=[client_error("ConstraintViolationException")])
    run, _clock = creation(client)
    with pytest.raises(MspAwsError, match="was refused"):
        run.run((CREATE, None), {}, wait=True)
    assert client.calls == ["CreateAccount"]


def test_wait_never_sleeps_past_the_deadline_and_names_the_request():
    client = FakeOrganizations(statuses=[REQUEST])
    run, clock = creation(client, timeout=10.0)
    with pytest.raises(WaitTimedOut) as raised:
        run.run((RESUME, REQUEST), {}, wait=True)
    assert clock.now == pytest.approx(10.0)
    assert "car-1" in raised.value.message and raised.value.result["wait_progress"]["request_id"] == "car-1"
    assert raised.value.result["wait_progress"]["polls"] == len(clock.sleeps)
    # Backoff: each delay 1.5 times the one before, except the last one, cut to the deadline.
    assert clock.sleeps[:3] == [1.0, 1.5, 2.25]


def test_email_in_use_after_own_submission_adopts_what_another_run_made():
    failed = {"Id": "car-1", "State": "FAILED", "FailureReason": "EMAIL_ALREADY_EXISTS"}
    client = FakeOrganizations(submissions=[REQUEST], statuses=[failed], accounts=[[ACCOUNT]])
    run, _clock = creation(client)
    outcome = run.run((CREATE, None), {}, wait=True)
    assert outcome.account == ACCOUNT and outcome.status is None


def test_failed_request_is_an_error_not_an_empty_id():
    failed = {"Id": "car-1", "State": "FAILED", "FailureReason": "ACCOUNT_LIMIT_EXCEEDED"}
    client = FakeOrganizations(submissions=[REQUEST], statuses=[failed], accounts=[[]], in_flight=[[]])
    run, _clock = creation(client)
    with pytest.raises(MspAwsError, match="ACCOUNT_LIMIT_EXCEEDED") as raised:
        run.run((CREATE, None), {}, wait=True)
    assert "matched" not in raised.value.message


# --- eventual consistency and requests matched by name ----------------------------------------------------


def test_account_not_yet_described_after_success_is_read_again_never_resubmitted():
    client = FakeOrganizations(submissions=[REQUEST], statuses=[SUCCEEDED], described=[NOT_YET, NOT_YET, ACCOUNT])
    run, clock = creation(client)
    outcome = run.run((CREATE, None), {}, wait=True)
    assert outcome.account == ACCOUNT and outcome.status == SUCCEEDED
    assert client.calls.count("CreateAccount") == 1 and client.calls.count("DescribeAccount") == 3
    assert "list_accounts" not in client.calls
    # The same backoff as every other wait.
    assert clock.sleeps[-2:] == [1.0, 1.5]


def test_account_never_described_after_success_times_out_naming_the_request():
    client = FakeOrganizations(submissions=[REQUEST], statuses=[SUCCEEDED], described=[NOT_YET] * 1000)
    run, clock = creation(client, timeout=20.0)
    with pytest.raises(WaitTimedOut) as raised:
        run.run((CREATE, None), {}, wait=True)
    assert "car-1" in raised.value.message and clock.now == pytest.approx(20.0)
    assert client.calls.count("CreateAccount") == 1


def test_resumed_request_owned_by_another_email_is_not_ours():
    # A request of the same AccountName was in flight, but it made the account of another email:
    # the re-check finds nothing for ours, so ours is submitted and waited for.
    foreign = dict(ACCOUNT, Id="999988887777", Email="someone-else@example.com")
    theirs = dict(SUCCEEDED, Id="car-0", AccountId=foreign["Id"])
    client = FakeOrganizations(
        submissions=[REQUEST],
        statuses=[theirs, SUCCEEDED],
        accounts=[[foreign]],
        in_flight=[[]],
        described=[foreign, ACCOUNT],
    )
    run, _clock = creation(client)
    outcome = run.run((RESUME, OLDER), {"Email": ACCOUNT["Email"]}, wait=True)
    assert outcome.account == ACCOUNT and outcome.status["Id"] == "car-1"
    assert not outcome.resumed and outcome.made_by_this_run
    assert client.calls.count("CreateAccount") == 1
    assert client.calls.index("list_accounts") < client.calls.index("CreateAccount")


def test_failed_resumed_request_is_rechecked_and_named_as_matched_by_name():
    client = FakeOrganizations(statuses=[NAME_MATCHED_FAILURE], accounts=[[]], in_flight=[[]])
    run, _clock = creation(client)
    with pytest.raises(MspAwsError) as raised:
        run.run((RESUME, REQUEST), {}, wait=True)
    assert "matched" in raised.value.message and "AccountName 'ACME'" in raised.value.message
    assert "list_accounts" in client.calls and "CreateAccount" not in client.calls


def test_failed_resumed_request_yields_to_the_account_the_recheck_finds():
    client = FakeOrganizations(statuses=[NAME_MATCHED_FAILURE], accounts=[[ACCOUNT]])
    run, _clock = creation(client)
    outcome = run.run((RESUME, REQUEST), {}, wait=True)
    assert outcome.account == ACCOUNT and outcome.status is None and not outcome.made_by_this_run
