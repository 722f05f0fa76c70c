"""Asynchronous CreateAccount, as AWS runs it.

moto creates the account at once and answers SUCCEEDED.  In AWS, CreateAccount answers IN_PROGRESS
and the account appears only when the request succeeds; a request can also fail, with a reason
(EMAIL_ALREADY_EXISTS, INVALID_EMAIL, ACCOUNT_LIMIT_EXCEEDED).  Here every request keeps a status
record (``car-...``) that DescribeCreateAccountStatus and ListCreateAccountStatus answer from, and
moto's own account creation runs only when the request succeeds.  A request stays IN_PROGRESS until
it has been polled ``create_account_in_progress_polls`` times with DescribeCreateAccountStatus *and*
``create_account_in_progress_seconds`` have passed on the sandbox clock.  Every organization-wide read
(ListAccounts, ListAccountsForParent, ListChildren, DescribeAccount, ListCreateAccountStatus...; see
organization_reads) first finishes the requests that are due (``advance_all``), so each read shows the account
as soon as any other does.

moto's ManagedState is not used: it reads the wall clock, and the sandbox's time is ``clock.now()``.
"""

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import accounts, clock, settings
from ..errors import AwsError
from ..world import ADMIN_POLICY

REQUIRED_INTERNALS = [
    "moto.organizations.models.OrganizationsBackend.create_account",
    "moto.organizations.models.OrganizationsBackend.describe_create_account_status",
    "moto.organizations.models.OrganizationsBackend.list_create_account_status",
    "moto.organizations.models.organizations_backends",
    "moto.organizations.utils.make_random_create_account_status_id",
]

POLLS_SETTING = "create_account_in_progress_polls"
SECONDS_SETTING = "create_account_in_progress_seconds"
QUOTA_SETTING = "organization_account_quota"
QUOTA_DOC = (
    "Accounts an organization may hold (AWS default 10); open invitations and IN_PROGRESS "
    "CreateAccount requests count against it, as AWS counts pending invitations."
)
DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
MAX_RESULTS = 20  # the model's maximum for MaxResults
# CreateAccount's documented rule: these may not appear in the local part of the email.
_FORBIDDEN_LOCAL = set("\"'()<>[]:;,\\|%&")
_DOMAIN_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")

_lock = threading.RLock()


@dataclass
class CreateRequest:
    id: str
    management_id: str
    partition: str
    account_name: str
    email: str
    role_name: str
    tags: list
    requested: datetime
    outcome: str | None  # None: will succeed; otherwise the FailureReason it will fail with
    state: str = "IN_PROGRESS"
    polls: int = 0
    completed: datetime | None = None
    account_id: str | None = None
    failure_reason: str | None = None

    def describe(self) -> dict:
        status = {
            "Id": self.id,
            "AccountName": self.account_name,
            "State": self.state,
            "RequestedTimestamp": self.requested.timestamp(),
        }
        if self.completed is not None:
            status["CompletedTimestamp"] = self.completed.timestamp()
        if self.account_id:
            status["AccountId"] = self.account_id
        if self.failure_reason:
            status["FailureReason"] = self.failure_reason
        return status


# Request id -> record, in the order the requests were made.
_requests: dict[str, CreateRequest] = {}
_installed = False


def valid_email(email: str) -> bool:
    """The rules for a valid email that the CreateAccount API reference lists."""
    if not 6 <= len(email) <= 64 or not email.isascii() or email.count("@") != 1:
        return False
    local, domain = email.split("@")
    if not local or local.startswith(".") or any(c.isspace() or c in _FORBIDDEN_LOCAL for c in local):
        return False
    if not domain or "." not in domain or not set(domain) <= _DOMAIN_CHARS:
        return False
    return not (domain[0] in "-." or domain[-1] in "-.")


def management_backend(account_id: str, partition: str):
    """The caller's Organizations backend if it manages an organization, else the error AWS gives."""
    from moto.organizations.models import organizations_backends

    backend = organizations_backends[account_id][partition]
    if backend.org is not None:
        return backend
    if accounts.organization_of(account_id) is not None:
        raise AwsError("AccessDeniedException", "You can only call this operation from the management account.")
    raise AwsError("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")


def pending_emails() -> set[str]:
    """Lower-cased emails of requests still IN_PROGRESS that will create an account."""
    with _lock:
        return {r.email.lower() for r in _requests.values() if r.state == "IN_PROGRESS" and r.outcome is None}


def in_progress_count(management_id: str) -> int:
    with _lock:
        return sum(
            1
            for r in _requests.values()
            if r.management_id == management_id and r.state == "IN_PROGRESS" and r.outcome is None
        )


def quota_used(backend) -> int:
    """Accounts (closed ones too, as AWS counts them), open invitations and accounts being created."""
    from . import handshakes

    return (
        len(backend.accounts)
        + handshakes.open_invitation_count(backend.account_id)
        + in_progress_count(backend.account_id)
    )


def _outcome(backend, email: str) -> str | None:
    if not valid_email(email):
        return "INVALID_EMAIL"
    if accounts.email_in_use(email) or email.lower() in pending_emails():
        return "EMAIL_ALREADY_EXISTS"
    if quota_used(backend) >= settings.get(QUOTA_SETTING):
        return "ACCOUNT_LIMIT_EXCEEDED"
    return None


def _complete(record: CreateRequest) -> None:
    from moto.organizations.models import organizations_backends

    now = clock.now()
    reason = record.outcome
    if reason is None and accounts.email_in_use(record.email):
        reason = "EMAIL_ALREADY_EXISTS"  # the email was taken while the request ran
    backend = organizations_backends[record.management_id][record.partition]
    if reason is None and backend.org is None:
        reason = "INTERNAL_FAILURE"  # the organization was deleted while the request ran
    record.completed = now
    if reason is not None:
        record.state, record.failure_reason = "FAILED", reason
        return
    # moto's own creation: random id, the access role in the new account, default SCP/RCP, master_accounts.
    _moto_create_account(
        backend, AccountName=record.account_name, Email=record.email, RoleName=record.role_name, Tags=record.tags
    )
    account = backend.accounts[-1]
    account.create_account_status_id = record.id
    account.create_time = now.replace(tzinfo=None)  # moto keeps naive UTC datetimes
    account.joined_method = "CREATED"
    account.access_role_name = record.role_name
    _grant_administrator_access(account.id, record.role_name)
    record.state, record.account_id = "SUCCEEDED", account.id


def _grant_administrator_access(account_id: str, role_name: str) -> None:
    """AWS attaches AdministratorAccess to the access role it creates; moto creates the role bare."""
    from moto.iam.models import iam_backends

    iam_backends[account_id]["global"].attach_role_policy(ADMIN_POLICY, role_name)


def _advance(record: CreateRequest, poll: bool) -> None:
    """Count a poll and finish the request once it has been polled and aged enough."""
    if record.state != "IN_PROGRESS":
        return
    if poll:
        record.polls += 1
    aged = clock.now() - record.requested >= timedelta(seconds=float(settings.get(SECONDS_SETTING)))
    # The first N polls answer IN_PROGRESS: a poll shows the result only after N earlier ones, and any
    # other read (a listing) shows it once N polls have been answered.
    earlier_polls = record.polls - 1 if poll else record.polls
    if aged and earlier_polls >= int(settings.get(POLLS_SETTING)):
        _complete(record)


def advance_all(management_id: str) -> None:
    """Finish the organization's requests that are due without counting a poll (organization_reads calls it)."""
    with _lock:
        for record in list(_requests.values()):
            if record.management_id == management_id:
                _advance(record, poll=False)


def create_account(self, **kwargs) -> dict:
    """CreateAccount: record the request IN_PROGRESS; the account comes when it succeeds."""
    from moto.organizations.utils import make_random_create_account_status_id

    backend = management_backend(self.account_id, self.partition)
    name = kwargs.get("AccountName") or ""
    email = kwargs.get("Email") or ""
    if not name or not email:
        raise AwsError(
            "InvalidInputException", "You must specify a value for all required parameters.", Reason="INPUT_REQUIRED"
        )
    if len(name) > 50:
        raise AwsError(
            "InvalidInputException", "AccountName is longer than 50 characters.", Reason="MAX_LENGTH_EXCEEDED"
        )
    with _lock:
        record = CreateRequest(
            id=make_random_create_account_status_id(),
            management_id=backend.account_id,
            partition=backend.partition,
            account_name=name,
            email=email,
            role_name=kwargs.get("RoleName") or DEFAULT_ROLE_NAME,
            tags=list(kwargs.get("Tags") or []),
            requested=clock.now(),
            outcome=_outcome(backend, email),
        )
        _requests[record.id] = record
        return {"CreateAccountStatus": record.describe()}


def describe_create_account_status(self, **kwargs) -> dict:
    backend = management_backend(self.account_id, self.partition)
    with _lock:
        record = _requests.get(kwargs.get("CreateAccountRequestId", ""))
        if record is None or record.management_id != backend.account_id:
            raise AwsError(
                "CreateAccountStatusNotFoundException",
                "We can't find an create account request with the CreateAccountRequestId that you specified.",
            )
        _advance(record, poll=True)
        return {"CreateAccountStatus": record.describe()}


def paginate(items: list, next_token: str | None, max_results) -> tuple[list, str | None]:
    """A page of ``items`` and the token of the next one (an offset, opaque to callers)."""
    try:
        start = int(next_token) if next_token else 0
        if start < 0:
            raise ValueError
    except ValueError:
        raise AwsError("InvalidInputException", "The NextToken is not valid.", Reason="INVALID_NEXT_TOKEN") from None
    size = int(max_results) if max_results else MAX_RESULTS
    if not 1 <= size <= MAX_RESULTS:
        raise AwsError(
            "InvalidInputException",
            f"MaxResults must be between 1 and {MAX_RESULTS}.",
            Reason="MAX_VALUE_EXCEEDED" if size > MAX_RESULTS else "MIN_VALUE_EXCEEDED",
        )
    page = items[start : start + size]
    return page, (str(start + size) if start + size < len(items) else None)


def list_create_account_status(self, **kwargs) -> dict:
    backend = management_backend(self.account_id, self.partition)
    states = kwargs.get("States") or ["IN_PROGRESS", "SUCCEEDED", "FAILED"]
    with _lock:
        matching = [
            r.describe() for r in _requests.values() if r.management_id == backend.account_id and r.state in states
        ]
    page, token = paginate(matching, kwargs.get("NextToken"), kwargs.get("MaxResults"))
    result = {"CreateAccountStatuses": page}
    if token:
        result["NextToken"] = token
    return result


_moto_create_account = None


def install() -> None:
    global _installed, _moto_create_account
    if _installed:
        return
    from moto.organizations.models import OrganizationsBackend

    settings.register(
        POLLS_SETTING,
        2,
        "DescribeCreateAccountStatus calls that still answer IN_PROGRESS "
        "before a CreateAccount request shows its result.",
    )
    settings.register(
        SECONDS_SETTING,
        0.0,
        "Seconds on the sandbox clock a CreateAccount request stays "
        "IN_PROGRESS at least (both this and the polls must be reached).",
    )
    settings.register(QUOTA_SETTING, 10, QUOTA_DOC)

    _moto_create_account = OrganizationsBackend.create_account
    OrganizationsBackend.create_account = create_account
    OrganizationsBackend.describe_create_account_status = describe_create_account_status
    OrganizationsBackend.list_create_account_status = list_create_account_status
    _installed = True


def reset() -> None:
    with _lock:
        _requests.clear()
