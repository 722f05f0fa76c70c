# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A client's member account: created once and never twice, then converged and, on request, closed.

The decisions are pure functions of what AWS returned (``choose_creation``, ``creation_changes``,
``create_failure_message``, ``close_decision``, ``account_changes``), shared by the module, its check
mode, the audit and the planner; so are the shapes the module returns (``predicted_new_account``,
``result_summary``, ``status_summary``, ``diff_view``). :class:`Creation` carries the decisions out:
CreateAccount is submitted through a client that never retries, is resubmitted only after ListAccounts
and the in-flight requests prove nothing was created, and is polled separately, so a retried poll can
never submit twice.
"""

import time
from collections import namedtuple

try:
    import botocore
    from botocore.config import Config
except ImportError:
    pass  # The modules report a missing botocore through AnsibleAWSModule.

from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    compare_aws_tags,
)

from ansible_collections.msp.aws_accounts.plugins.module_utils.alternate_contacts import (
    CONTACT_TYPES,
    apply_changes,
    contact_changes,
    for_result,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.common import (
    MspAwsError,
    error_code,
    single_attempt_config,
    tags_after,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizations import (
    CLOSING_STATES,
    account_state,
    account_summary,
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
MAX_ROUNDS = 3
BACKOFF_FACTOR = 1.5
MAX_POLL_DELAY = 30.0

# What to do about an account that should exist (Plan.kind): it is in ListAccounts, a CreateAccount request
# for its name is in flight, or neither. SUBMITTED is what a submission answered by AWS gives.
EXISTING = "existing"
RESUME = "resume"
CREATE = "create"
SUBMITTED = "submitted"
# ``found`` is the account (EXISTING), the CreateAccount status (RESUME, SUBMITTED) or None (CREATE).
Plan = namedtuple("Plan", ["kind", "found"])

# close_decision's answers.
NOTHING_TO_CLOSE = "absent"
REFUSE_CLOSE = "refuse"
ALREADY_CLOSING = "closing"
CLOSE = "close"
STILL_BEING_CREATED = "in_progress"

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


class CreationOutcome(namedtuple("CreationOutcome", ["account", "status", "resumed", "submissions"])):
    """What :meth:`Creation.run` ended with: the account (None when not waiting), the CreateAccount status
    waited on (None when the account turned out to exist), and how it was reached."""

    __slots__ = ()

    @property
    def made_by_this_run(self):
        """This run submitted CreateAccount or took over a request in flight: the account is new."""
        return self.status is not None or self.submissions > 0


def create_account_client_config(aws_config=None):
    """The botocore config of the client that sends CreateAccount: the user's ``aws_config`` with
    single_attempt_config applied last. amazon.aws merges a client's ``config`` first and the user's
    ``aws_config`` after it, so a user's ``retries`` would otherwise make botocore resend CreateAccount."""
    if not aws_config:
        return single_attempt_config()
    user = aws_config if isinstance(aws_config, Config) else Config(**aws_config)
    return user.merge(single_attempt_config())


# --- pure decisions -----------------------------------------------------------------------------------


def same_name_requests(in_flight, name):
    """The CreateAccount requests in flight for AccountName ``name``: requests carry no email."""
    return [request for request in in_flight if request.get("AccountName") == name]


def choose_creation(account, in_flight, name):
    """What to do about an account that should exist.

    ``Plan(EXISTING, account)`` when ListAccounts has it; ``Plan(RESUME, request)`` when a CreateAccount
    request for the same AccountName is still IN_PROGRESS (the oldest, should there be several);
    ``Plan(CREATE, None)`` only when neither exists.
    """
    if account is not None:
        return Plan(EXISTING, account)
    same_name = same_name_requests(in_flight, name)
    if same_name:
        return Plan(RESUME, min(same_name, key=lambda request: str(request.get("RequestedTimestamp", ""))))
    return Plan(CREATE, None)


def creation_changes(kind, wait):
    """Whether carrying out a plan of ``kind`` is a change: a new request always is; resuming one in
    flight is only when the run waits for it (and so returns the new account); without waiting a
    resumed request is only reported, as it was."""
    if kind == CREATE:
        return True
    return kind == RESUME and bool(wait)


def create_failure_message(status, email, matched_by_name=False):
    """The error for a FAILED CreateAccount request: what the reason means, and the request id. A request
    resumed from the ones in flight was matched by its AccountName only, and the message says so."""
    reason = status.get("FailureReason") or "no reason given"
    explanation = FAILURE_EXPLANATIONS.get(reason, "AWS gives the reason {reason}").format(email=email, reason=reason)
    if matched_by_name:
        return (
            f"CreateAccount request {status.get('Id')} FAILED ({reason}). It was found in progress and matched to "
            f"{email} by its AccountName {status.get('AccountName')!r} only (requests carry no email), and no "
            f"account has this email now. If it was made for {email}: {explanation}. If it was not, run again: "
            "a run that finds no request in flight for the name submits its own"
        )
    return f"CreateAccount request {status.get('Id')} for {email} FAILED ({reason}): {explanation}"


def close_decision(account, management_account_id, requests_in_flight=()):
    """``NOTHING_TO_CLOSE``, ``STILL_BEING_CREATED`` (no account yet, but a CreateAccount request of its
    name is in flight), ``REFUSE_CLOSE`` (the management account), ``ALREADY_CLOSING`` (closed or pending
    closure: nothing to do) or ``CLOSE``."""
    if account is None:
        return STILL_BEING_CREATED if requests_in_flight else NOTHING_TO_CLOSE
    if account["Id"] == management_account_id:
        return REFUSE_CLOSE
    if account_state(account) in CLOSING_STATES:
        return ALREADY_CLOSING
    return CLOSE


def still_being_created_message(name, requests_in_flight):
    ids = ", ".join(request["Id"] for request in requests_in_flight)
    return (
        f"name: a CreateAccount request for {name!r} is still in progress ({ids}), and no account has this "
        "email yet: there is nothing to close now; run again when it finishes"
    )


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
        after["tags"] = tags_after(actual.get("tags"), *changes["tags"])
    if "alternate_contacts" in changes:
        after["alternate_contacts"] = dict(actual.get("alternate_contacts") or {}, **changes["alternate_contacts"])
    return after


def creation_params(email, desired, role_name, iam_user_access_to_billing):
    """CreateAccount's parameters for the desired account (``desired`` as account_changes takes it)."""
    params = {"Email": email, "AccountName": desired["name"], "RoleName": role_name}
    if iam_user_access_to_billing:
        params["IamUserAccessToBilling"] = iam_user_access_to_billing
    if desired.get("tags"):
        params["Tags"] = ansible_dict_to_boto3_tag_list(desired["tags"])
    return params


def predicted_new_account(desired, email, wait, root_id):
    """``(account, state)`` a run returns for an account it creates (or, without waiting, one whose request
    is on its way): everything but what only AWS can know (id, ARN, when it joined)."""
    account = {
        "id": None,
        "arn": None,
        "name": desired["name"],
        "email": email,
        "state": "ACTIVE" if wait else None,
        "joined_method": "CREATED" if wait else None,
        "joined_timestamp": None,
    }
    state = {
        "name": desired["name"],
        "parent": desired["parent"] or {"id": root_id, "path": "/"},
        "tags": dict(desired["tags"] or {}),
        "alternate_contacts": None,
    }
    if desired.get("alternate_contacts") is not None:
        none_yet = dict.fromkeys(CONTACT_TYPES)
        state["alternate_contacts"] = apply_changes(none_yet, contact_changes(desired["alternate_contacts"], none_yet))
    return account, state


def result_summary(account, state):
    """The module's ``account``: an Organizations Account (or a predicted one) with its declared parts."""
    result = account_summary(account) if account.get("Id") else dict(account)
    contacts = state["alternate_contacts"]
    result.update(
        name=state["name"],
        parent=state["parent"],
        tags=state["tags"],
        alternate_contacts=for_result(contacts) if contacts is not None else None,
    )
    return result


def status_summary(status, resumed):
    """The module's ``create_account_status``: a CreateAccountStatus in snake_case."""

    def when(key):
        value = status.get(key)
        return value.isoformat() if hasattr(value, "isoformat") else value

    return {
        "id": status["Id"],
        "state": status["State"],
        "account_name": status.get("AccountName"),
        "account_id": status.get("AccountId"),
        "requested_timestamp": when("RequestedTimestamp"),
        "completed_timestamp": when("CompletedTimestamp"),
        "failure_reason": status.get("FailureReason"),
        "resumed": resumed,
    }


def diff_view(summary):
    """The parts of the account a user declares, as diff mode shows them."""
    if not summary:
        return {}
    view = {"name": summary.get("name"), "state": summary.get("state")}
    if "parent" in summary:
        view["parent"] = (summary["parent"] or {}).get("path")
        view["tags"] = summary.get("tags")
        view["alternate_contacts"] = summary.get("alternate_contacts")
    return view


def next_delay(delay):
    return min(delay * BACKOFF_FACTOR, MAX_POLL_DELAY)


# --- carrying it out ----------------------------------------------------------------------------------


class Creation:
    """Finds, submits and waits for one account's CreateAccount request, within one deadline.

    ``client`` retries (reads, polls); ``submit_client`` is built with create_account_client_config and is
    used for CreateAccount only. ``progress`` is what the module reports about the wait, even when it fails.
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

    def _pause(self, delay):
        """Sleep ``delay`` seconds, never past the deadline; the next delay."""
        self.sleep(min(delay, max(self._remaining(), 0)))
        return next_delay(delay)

    def plan(self, account):
        """choose_creation for the account found in the ListAccounts already read (in-flight requests
        are read only when it is not there)."""
        if account is not None:
            return Plan(EXISTING, account)
        return choose_creation(None, in_flight_create_requests(self.client), self.name)

    def recheck(self):
        """ListAccounts (once) and the requests in flight, before any (re)submission."""
        return self.plan(find_account(list_accounts(self.client), email=self.email))

    def submit(self, params):
        """``Plan(SUBMITTED, status)``, or what a re-check found after a refused or unanswered submission."""
        delay = self.first_delay
        last_error = None
        for attempt in range(1, MAX_SUBMISSIONS + 1):
            self._note(phase="submitting", submissions=attempt)
            try:
                status = self.submit_client.create_account(**params)["CreateAccountStatus"]
                self._note(phase="submitted", request_id=status["Id"])
                return Plan(SUBMITTED, status)
            except botocore.exceptions.ClientError as e:
                if error_code(e) not in REFUSED_SUBMISSION_ERRORS:
                    reason = e.response.get("Reason") or e.response.get("Error", {}).get("Reason")
                    detail = f" ({reason})" if reason else ""
                    raise MspAwsError(message=f"CreateAccount for {self.email} was refused{detail}", exception=e) from e
                last_error = e
            except (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError) as e:
                # The answer was lost: AWS may have recorded the request. The re-check below finds it.
                last_error = e
            delay = self._pause(delay)
            plan = self.recheck()
            if plan.kind != CREATE:
                return plan
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
            if self._remaining() <= 0:
                raise self._timed_out(f"waiting for CreateAccount request {status['Id']}, still IN_PROGRESS")
            delay = self._pause(delay)
            status = describe_create_account_status(self.client, status["Id"])
            self._note(polls=self.progress["polls"] + 1)
        return status

    def wait_for_account(self, status):
        """DescribeAccount for a SUCCEEDED request's account. Right after success AWS may not answer for it
        yet (eventual consistency), so it is read again with the same backoff, never past the deadline."""
        delay = self.first_delay
        self._note(phase="activating")
        account = describe_account(self.client, status["AccountId"])
        while account is None:
            if self._remaining() <= 0:
                raise self._timed_out(
                    f"waiting until account {status['AccountId']} of CreateAccount request {status['Id']} "
                    "(SUCCEEDED) can be described"
                )
            delay = self._pause(delay)
            account = describe_account(self.client, status["AccountId"])
        return account

    def wait_until_active(self, account):
        """Account.State ACTIVE: a new account may first be PENDING_ACTIVATION."""
        delay = self.first_delay
        self._note(phase="activating")
        while account_state(account) == "PENDING_ACTIVATION":
            if self._remaining() <= 0:
                raise self._timed_out(f"waiting for account {account['Id']} to become ACTIVE")
            delay = self._pause(delay)
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

    def _outcome(self, account, status):
        return CreationOutcome(account, status, self.resumed, self.progress["submissions"])

    def run(self, plan, params, wait):
        """Carry out a ``choose_creation`` plan. Returns a :class:`CreationOutcome`: no account when not
        waiting; no status when the account turned out to exist already.

        A SUCCEEDED request is never followed by a resubmission for the same email: its account is
        described until AWS answers. A resumed request (matched by AccountName only) that made an
        account with another email, or FAILED, was perhaps not ours: ListAccounts and the requests in
        flight are read again before anything else is done.
        """
        kind, found = plan
        for _round in range(MAX_ROUNDS):
            if kind == CREATE:
                kind, found = self.submit(params)
            if kind == EXISTING:
                return self._outcome(found, None)
            status = found
            self.resumed = kind == RESUME
            self._note(request_id=status["Id"])
            if self.resumed:
                self._note(phase="creating")
            if not wait:
                return self._outcome(None, status)
            status = self.wait_for_request(status)
            if status["State"] == "SUCCEEDED":
                account = self.wait_for_account(status)
                if account.get("Email", "").lower() == self.email.lower():
                    return self._outcome(account, status)
                if not self.resumed:
                    raise MspAwsError(
                        message=(
                            f"CreateAccount request {status['Id']} for {self.email} SUCCEEDED, but AWS describes "
                            f"its account {account['Id']} with the email {account.get('Email')}; nothing more is "
                            "submitted. Check the account and run again"
                        )
                    )
                # A resumed request of the same name was someone else's: ours is still to be made.
                kind, found = self.recheck()
                continue
            if self.resumed or status.get("FailureReason") == "EMAIL_ALREADY_EXISTS":
                # A resumed request may not have been ours; after our own EMAIL_ALREADY_EXISTS, another run
                # may have created this very account meanwhile: then it is ours.
                failed = status
                kind, found = self.recheck()
                if kind != CREATE:
                    continue
                raise MspAwsError(message=create_failure_message(failed, self.email, matched_by_name=self.resumed))
            raise MspAwsError(message=create_failure_message(status, self.email))
        raise MspAwsError(message=f"Could not settle which CreateAccount request creates {self.email}; run again")
