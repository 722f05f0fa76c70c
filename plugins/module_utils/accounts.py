# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A client's member account: created once and never twice, then converged and, on request, closed.

The decisions are pure functions of what AWS returned (``choose_creation``, ``create_failure_message``,
``close_decision``, ``account_changes``), shared by the module, its check mode, the audit and the planner.
:class:`Creation` carries them out: CreateAccount is submitted through a client that never retries, is
resubmitted only after ListAccounts and the in-flight requests prove nothing was created, and is polled
separately, so a retried poll can never submit twice.
"""

import time
from datetime import datetime, timezone

try:
    import botocore
except ImportError:
    pass  # The modules report a missing botocore through AnsibleAWSModule.

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.msp.aws_accounts.plugins.module_utils.alternate_contacts import contact_changes
from ansible_collections.msp.aws_accounts.plugins.module_utils.common import MspAwsError, error_code
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizations import (
    CLOSING_STATES,
    account_state,
    describe_account,
    describe_create_account_status,
    find_account,
    in_flight_create_requests,
    list_accounts,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.sts import assume_role

# Errors that prove CreateAccount was refused before AWS recorded a request: nothing was created.
REFUSED_SUBMISSION_ERRORS = ("ConcurrentModificationException", "TooManyRequestsException")
MAX_SUBMISSIONS = 5
BACKOFF_FACTOR = 1.5
MAX_POLL_DELAY = 30.0
# AWS refuses the new account's access role for minutes after creation (users report up to about 7). A run
# that timed out then may find the account already there, so accounts this young are checked again.
ACCESS_SETTLING_SECONDS = 3600
# datetime.UTC needs Python 3.11; managed nodes may run older Pythons.
UTC = timezone.utc  # noqa: UP017

FAILURE_EXPLANATIONS = {
    "EMAIL_ALREADY_EXISTS": (
        "the email {email} already belongs to an AWS account outside this organization (or to another "
        "request). A client's existing account joins the organization by invitation: use "
        "msp.aws_accounts.aws_billing_link with its account id or email instead"
    ),
    "ACCOUNT_LIMIT_EXCEEDED": (
        "the organization has reached its quota of accounts (AWS Organizations 'Default maximum number of "
        "accounts', 10 unless raised; open invitations and closed accounts count against it). Request an "
        "increase in Service Quotas, or remove accounts, and run again"
    ),
    "INVALID_EMAIL": "AWS does not accept {email} as a root email",
}


class WaitTimedOut(MspAwsError):
    """wait_timeout passed before the account was ready; ``result`` says how far it got, for the next run."""

    def __init__(self, message, result):
        super().__init__(message=message)
        self.result = result


# --- pure decisions -----------------------------------------------------------------------------------


def choose_creation(account, in_flight, name):
    """What to do about an account that should exist.

    ``("existing", account)`` when ListAccounts has it; ``("resume", request)`` when a CreateAccount
    request for the same AccountName is still IN_PROGRESS (the oldest, should there be several);
    ``("create", None)`` only when neither exists.
    """
    if account is not None:
        return "existing", account
    same_name = [request for request in in_flight if request.get("AccountName") == name]
    if same_name:
        return "resume", min(same_name, key=lambda request: str(request.get("RequestedTimestamp", "")))
    return "create", None


def create_failure_message(status, email):
    """The error for a FAILED CreateAccount request: what the reason means, and the request id."""
    reason = status.get("FailureReason") or "no reason given"
    explanation = FAILURE_EXPLANATIONS.get(reason, "AWS gives the reason {reason}").format(email=email, reason=reason)
    return f"CreateAccount request {status.get('Id')} for {email} FAILED ({reason}): {explanation}"


def close_decision(account, management_account_id):
    """``absent`` (nothing to close), ``refuse`` (the management account), ``closing`` (already closed or
    pending closure: nothing to do) or ``close``."""
    if account is None:
        return "absent"
    if account["Id"] == management_account_id:
        return "refuse"
    if account_state(account) in CLOSING_STATES:
        return "closing"
    return "close"


def needs_access_check(account, created_here, now=None):
    """Wait for the access role of an account this run created or resumed, or of a created one still young."""
    if created_here:
        return True
    joined = account.get("JoinedTimestamp")
    if account.get("JoinedMethod") != "CREATED" or not isinstance(joined, datetime):
        return False
    now = now or datetime.now(UTC)
    if joined.tzinfo is None:
        joined = joined.replace(tzinfo=UTC)
    return (now - joined).total_seconds() < ACCESS_SETTLING_SECONDS


def account_changes(desired, actual):
    """The changes that bring ``actual`` to ``desired``; an option left unset (None) is never a change.

    Both are ``{"name", "parent" ({"id", "path"}), "tags", "alternate_contacts" ({TYPE: …})}``; desired
    also has ``purge_tags``. Returns a dict with only the parts that change: ``name``, ``parent``,
    ``tags`` (``(to_set, keys_to_unset)``) and ``alternate_contacts`` (``{TYPE: contact | None}``).
    """
    changes = {}
    if desired.get("name") is not None and desired["name"] != actual.get("name"):
        changes["name"] = desired["name"]
    if desired.get("parent") is not None and desired["parent"]["id"] != actual["parent"]["id"]:
        changes["parent"] = desired["parent"]
    if desired.get("tags") is not None:
        to_set, to_unset = compare_aws_tags(actual.get("tags") or {}, desired["tags"], desired.get("purge_tags", True))
        if to_set or to_unset:
            changes["tags"] = (to_set, to_unset)
    if desired.get("alternate_contacts") is not None:
        contacts = contact_changes(desired["alternate_contacts"], actual.get("alternate_contacts") or {})
        if contacts:
            changes["alternate_contacts"] = contacts
    return changes


def changed_state(actual, changes):
    """``actual`` after ``changes``: what check mode predicts and what a run reports."""
    after = dict(actual)
    if "name" in changes:
        after["name"] = changes["name"]
    if "parent" in changes:
        after["parent"] = changes["parent"]
    if "tags" in changes:
        to_set, to_unset = changes["tags"]
        tags = {key: value for key, value in (actual.get("tags") or {}).items() if key not in to_unset}
        tags.update(to_set)
        after["tags"] = tags
    if "alternate_contacts" in changes:
        after["alternate_contacts"] = dict(actual.get("alternate_contacts") or {}, **changes["alternate_contacts"])
    return after


def next_delay(delay):
    return min(delay * BACKOFF_FACTOR, MAX_POLL_DELAY)


# --- carrying it out ----------------------------------------------------------------------------------


class Creation:
    """Finds, submits and waits for one account's CreateAccount request, within one deadline.

    ``client`` retries (reads, polls); ``submit_client`` is built with single_attempt_config and is used
    for CreateAccount only. ``progress`` is what the module reports about the wait, even when it fails.
    """

    def __init__(self, client, submit_client, email, name, timeout, delay, sleep=time.sleep, clock=time.monotonic):
        self.client = client
        self.submit_client = submit_client
        self.email = email
        self.name = name
        self.first_delay = delay
        self.sleep = sleep
        self.clock = clock
        self.started = clock()
        self.deadline = self.started + timeout
        self.timeout = timeout
        # Whether the request waited on was found in flight rather than answered to this run's submission.
        self.resumed = False
        self.progress = {"phase": "finding", "request_id": None, "elapsed_seconds": 0.0, "polls": 0, "submissions": 0}

    def _note(self, **values):
        self.progress.update(values, elapsed_seconds=round(self.clock() - self.started, 3))

    def _remaining(self):
        return self.deadline - self.clock()

    def plan(self, account):
        """choose_creation for the account found in the ListAccounts already read (in-flight requests
        are read only when it is not there)."""
        if account is not None:
            return "existing", account
        return choose_creation(None, in_flight_create_requests(self.client), self.name)

    def recheck(self):
        """ListAccounts (once) and the requests in flight, before any (re)submission."""
        return self.plan(find_account(list_accounts(self.client), email=self.email))

    def submit(self, params):
        """``("submitted", status)``, or what a re-check found after a refused or unanswered submission."""
        delay = self.first_delay
        last_error = None
        for attempt in range(1, MAX_SUBMISSIONS + 1):
            self._note(phase="submitting", submissions=attempt)
            try:
                status = self.submit_client.create_account(**params)["CreateAccountStatus"]
                self._note(phase="submitted", request_id=status["Id"])
                return "submitted", status
            except botocore.exceptions.ClientError as e:
                if error_code(e) not in REFUSED_SUBMISSION_ERRORS:
                    reason = e.response.get("Reason") or e.response.get("Error", {}).get("Reason")
                    detail = f" ({reason})" if reason else ""
                    raise MspAwsError(message=f"CreateAccount for {self.email} was refused{detail}", exception=e) from e
                last_error = e
            except (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError) as e:
                # The answer was lost: AWS may have recorded the request. The re-check below finds it.
                last_error = e
            self.sleep(min(delay, max(self._remaining(), 0)))
            delay = next_delay(delay)
            kind, found = self.recheck()
            if kind != "create":
                return kind, found
        raise MspAwsError(
            message=(
                f"CreateAccount for {self.email} was refused or unanswered {MAX_SUBMISSIONS} times, and AWS shows "
                "no account and no request for it: nothing was created. Run again later"
            ),
            exception=last_error,
        )

    def _timed_out(self, what):
        self._note()
        request_id = self.progress.get("request_id")
        resume = (
            f"CreateAccount request {request_id} is not lost: run again (with the same email and name) to resume it"
            if request_id
            else "run again to continue"
        )
        return WaitTimedOut(
            f"Timed out after {self.timeout} s (wait_timeout) {what}. {resume}", {"wait_progress": dict(self.progress)}
        )

    def wait_for_request(self, status):
        """Poll DescribeCreateAccountStatus (backing off, never past the deadline) until it leaves IN_PROGRESS."""
        delay = self.first_delay
        self._note(phase="creating", request_id=status["Id"])
        while status["State"] == "IN_PROGRESS":
            remaining = self._remaining()
            if remaining <= 0:
                raise self._timed_out(f"waiting for CreateAccount request {status['Id']}, still IN_PROGRESS")
            self.sleep(min(delay, remaining))
            delay = next_delay(delay)
            status = describe_create_account_status(self.client, status["Id"])
            self._note(polls=self.progress["polls"] + 1)
        return status

    def wait_until_active(self, account):
        """Account.State ACTIVE: a new account may first be PENDING_ACTIVATION."""
        delay = self.first_delay
        self._note(phase="activating")
        while account_state(account) == "PENDING_ACTIVATION":
            remaining = self._remaining()
            if remaining <= 0:
                raise self._timed_out(f"waiting for account {account['Id']} to become ACTIVE")
            self.sleep(min(delay, remaining))
            delay = next_delay(delay)
            account = describe_account(self.client, account["Id"]) or account
        return account

    def wait_for_access(self, sts_client, role_arn):
        """Until the new account's access role can be assumed (sts.assume_role retries AccessDenied)."""
        self._note(phase="access_role", access_role_attempts=0)

        def counted_sleep(seconds):
            self.progress["access_role_attempts"] += 1
            self.sleep(seconds)

        try:
            _credentials, attempts = assume_role(
                sts_client,
                role_arn,
                "account-ready",
                timeout=max(self._remaining(), 0),
                first_delay=self.first_delay,
                max_delay=MAX_POLL_DELAY,
                sleep=counted_sleep,
                clock=self.clock,
            )
        except MspAwsError as e:
            if self._remaining() > 0:
                raise
            self.progress["access_role_attempts"] += 1
            raise self._timed_out(f"waiting until {role_arn} can be assumed ({e.message})") from e
        self._note(phase="ready", access_role_attempts=attempts)

    def run(self, plan, params, wait):
        """Carry out a ``choose_creation`` plan. Returns ``(account or None, create status or None)``:
        no account when not waiting; no status when the account turned out to exist already."""
        kind, found = plan
        for _round in range(3):
            if kind == "create":
                kind, found = self.submit(params)
            if kind == "existing":
                return found, None
            status = found
            self.resumed = kind == "resume"
            self._note(request_id=status["Id"])
            if not wait:
                return None, status
            status = self.wait_for_request(status)
            if status["State"] == "SUCCEEDED":
                account = describe_account(self.client, status["AccountId"])
                if account is not None and account.get("Email", "").lower() == self.email.lower():
                    return account, status
                # A resumed request of the same name was someone else's: ours is still to be made.
                kind, found = self.recheck()
                continue
            if status.get("FailureReason") == "EMAIL_ALREADY_EXISTS" and kind == "submitted":
                # Another run may have created this very account meanwhile: then it is ours.
                kind, found = self.recheck()
                if kind != "create":
                    continue
            raise MspAwsError(message=create_failure_message(status, self.email))
        raise MspAwsError(message=f"Could not settle which CreateAccount request creates {self.email}; run again")
