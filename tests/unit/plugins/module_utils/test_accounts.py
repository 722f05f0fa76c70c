"""Member-account decisions: resume or create, failure messages, closing, convergence, and the
submit-then-poll loop with fake clients (accounts.py)."""

from datetime import datetime, timedelta, timezone

import botocore.exceptions
import pytest

from ansible_collections.msp.aws_accounts.plugins.module_utils.accounts import (
    Creation,
    WaitTimedOut,
    account_changes,
    changed_state,
    choose_creation,
    close_decision,
    create_failure_message,
    needs_access_check,
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


FAILURES = {
    "email-in-use": ("EMAIL_ALREADY_EXISTS", ["aws_billing_link", "outside this organization", "car-7"]),
    "quota": ("ACCOUNT_LIMIT_EXCEEDED", ["quota", "Service Quotas"]),
    "other-reason-named": ("MISSING_PAYMENT_INSTRUMENT", ["MISSING_PAYMENT_INSTRUMENT"]),
    "no-reason": (None, ["no reason given"]),
}


@pytest.mark.parametrize(("reason", "phrases"), FAILURES.values(), ids=FAILURES.keys())
def test_create_failure_message(reason, phrases):
    message = create_failure_message({"Id": "car-7", "State": "FAILED", "FailureReason": reason}, "a@example.com")
    for phrase in phrases:
        assert phrase in message


CLOSES = {
    "not-found": (None, "absent"),
    "management": (dict(ACCOUNT, Id="123456789012"), "refuse"),
    "active": (ACCOUNT, "close"),
    "pending-closure": (dict(ACCOUNT, State="PENDING_CLOSURE"), "closing"),
    "suspended": (dict(ACCOUNT, State="SUSPENDED"), "closing"),
    "closed": (dict(ACCOUNT, State="CLOSED"), "closing"),
    "status-only-endpoint": ({"Id": "111122223333", "Status": "SUSPENDED"}, "closing"),
}


@pytest.mark.parametrize(("account", "decision"), CLOSES.values(), ids=CLOSES.keys())
def test_close_decision(account, decision):
    assert close_decision(account, "123456789012") == decision


NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)  # noqa: UP017 (the collection supports Python < 3.11)
ACCESS_CHECKS = {
    "created-here": ({}, True, True),
    "created-ten-minutes-ago": (
        {"JoinedMethod": "CREATED", "JoinedTimestamp": NOW - timedelta(minutes=10)},
        False,
        True,
    ),
    "created-two-hours-ago": ({"JoinedMethod": "CREATED", "JoinedTimestamp": NOW - timedelta(hours=2)}, False, False),
    "invited-recently": ({"JoinedMethod": "INVITED", "JoinedTimestamp": NOW - timedelta(minutes=1)}, False, False),
}


@pytest.mark.parametrize(("account", "created_here", "check"), ACCESS_CHECKS.values(), ids=ACCESS_CHECKS.keys())
def test_needs_access_check(account, created_here, check):
    assert needs_access_check(account, created_here, now=NOW) is check


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


def client_error(code):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": code}}, "CreateAccount")


class FakeOrganizations:
    """Answers from scripted lists; records every call."""

    def __init__(self, submissions=(), statuses=(), accounts=(), in_flight=()):
        self.submissions = list(submissions)
        self.statuses = list(statuses)
        self.account_pages = list(accounts)
        self.in_flight_pages = list(in_flight)
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
        return {"Account": dict(ACCOUNT, Id=AccountId)}

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
    account, status = run.run(("create", None), {"Email": ACCOUNT["Email"]}, wait=True)
    assert account["Id"] == "111122223333" and status["State"] == "SUCCEEDED"
    assert client.calls[:4] == ["CreateAccount", "list_accounts", "list_create_account_status", "CreateAccount"]


def test_lost_answer_resumes_what_the_recheck_finds():
    lost = botocore.exceptions.ConnectionClosedError(endpoint_url="http://aws")
    client = FakeOrganizations(submissions=[lost], statuses=[SUCCEEDED], accounts=[[]], in_flight=[[REQUEST]])
    run, _clock = creation(client)
    account, _status = run.run(("create", None), {}, wait=True)
    assert client.calls.count("CreateAccount") == 1 and run.resumed
    assert account["Id"] == "111122223333"


def test_other_refusals_are_not_resubmitted():
    client = FakeOrganizations(submissions=[client_error("ConstraintViolationException")])
    run, _clock = creation(client)
    with pytest.raises(MspAwsError, match="was refused"):
        run.run(("create", None), {}, wait=True)
    assert client.calls == ["CreateAccount"]


def test_wait_never_sleeps_past_the_deadline_and_names_the_request():
    client = FakeOrganizations(statuses=[REQUEST])
    run, clock = creation(client, timeout=10.0)
    with pytest.raises(WaitTimedOut) as raised:
        run.run(("resume", REQUEST), {}, wait=True)
    assert clock.now == pytest.approx(10.0)
    assert "car-1" in raised.value.message and raised.value.result["wait_progress"]["request_id"] == "car-1"
    assert raised.value.result["wait_progress"]["polls"] == len(clock.sleeps)
    # Backoff: each delay 1.5 times the one before, except the last one, cut to the deadline.
    assert clock.sleeps[:3] == [1.0, 1.5, 2.25]


def test_email_in_use_after_own_submission_adopts_what_another_run_made():
    failed = {"Id": "car-1", "State": "FAILED", "FailureReason": "EMAIL_ALREADY_EXISTS"}
    client = FakeOrganizations(submissions=[REQUEST], statuses=[failed], accounts=[[ACCOUNT]])
    run, _clock = creation(client)
    account, status = run.run(("create", None), {}, wait=True)
    assert account == ACCOUNT and status is None


def test_failed_request_is_an_error_not_an_empty_id():
    failed = {"Id": "car-1", "State": "FAILED", "FailureReason": "ACCOUNT_LIMIT_EXCEEDED"}
    client = FakeOrganizations(statuses=[failed])
    run, _clock = creation(client)
    with pytest.raises(MspAwsError, match="ACCOUNT_LIMIT_EXCEEDED"):
        run.run(("resume", REQUEST), {}, wait=True)
