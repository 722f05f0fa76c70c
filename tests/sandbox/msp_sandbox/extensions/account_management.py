"""AWS Account Management: the primary (root) email API, account names, closing, and the organization checks.

moto 5.2.5 only knows the alternate-contact actions and never checks who may call them for which
account.  This adds GetPrimaryEmail, StartPrimaryEmailUpdate, AcceptPrimaryEmailUpdate,
GetPrimaryEmailUpdateStatus, PutAccountName and GetAccountInformation, and applies AWS's rules for the
``AccountId`` parameter to all of them (and to moto's alternate-contact actions):

- without ``AccountId`` a call acts on the caller's own account (the "standalone context");
- with it, the caller must be the organization's management account, the organization must have
  all features and trusted access for ``account.amazonaws.com``, the target must be a member of
  that organization, and the management account may not name itself;
- the primary-email actions always take an ``AccountId`` (botocore requires it), so they only
  work from the management account for a member.

CloseAccount (Organizations) is asynchronous in AWS: the account is PENDING_CLOSURE first and SUSPENDED
once AWS has closed it; moto suspends it at once.  Here it stays PENDING_CLOSURE for
``close_account_pending_seconds`` on the sandbox clock (the API reference says "a few minutes"); every
organization-wide read (see organization_reads) first suspends the accounts that are due.  An
account already PENDING_CLOSURE, SUSPENDED or CLOSED answers AccountAlreadyClosedException, and the
management account ConstraintViolationException (AWS documents that it cannot be closed with this API,
not the error; the sandbox picks the organization's constraint error).

StartPrimaryEmailUpdate "mails" a one-time code to the new address: the sandbox keeps it in an
outbox (``GET /_sandbox/outbox?to=<address>``), where a test reads it as the client reads its
mailbox.  The code can be used within 24 hours of being sent, as the AWS Account Management guide
says of the console flow.

GetPrimaryEmailUpdateStatus answers the status of the account's most recent update and when it last
changed (``Status``, ``UpdatedAt``), never the address: PENDING from StartPrimaryEmailUpdate, COMPLETED
once AcceptPrimaryEmailUpdate took the code (the sandbox changes the email at once; AWS also has ACCEPTED
while the change propagates, and FAILED).  An account never asked to change is ResourceNotFoundException.
AWS does not document what an expired code does to the status; here it stays PENDING with its old
``UpdatedAt``.
"""

import re
import secrets
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from .. import accounts, clock, control, settings
from ..errors import AwsError

REQUIRED_INTERNALS = [
    "moto.account.urls.url_paths",
    "moto.account.responses.AccountResponse",
    "moto.account.responses.AccountResponse.put_alternate_contact",
    "moto.account.responses.AccountResponse.get_alternate_contact",
    "moto.account.responses.AccountResponse.delete_alternate_contact",
    "moto.organizations.models.OrganizationsBackend",
    "moto.sts.models.STSBackend.get_caller_identity",
    "moto.organizations.models.OrganizationsBackend.close_account",
]

CLOSE_SECONDS_SETTING = "close_account_pending_seconds"
CLOSED_STATES = ("PENDING_CLOSURE", "SUSPENDED", "CLOSED")

SERVICE_PRINCIPAL = "account.amazonaws.com"
OTP_VALIDITY = timedelta(hours=24)
# AccountName in botocore's account model: 1 to 50 characters of this class.
ACCOUNT_NAME_RE = re.compile(r"^[ -;=?-~]{1,50}$")
EMAIL_MIN, EMAIL_MAX = 5, 64
ACCOUNT_STATES = {"PENDING_ACTIVATION", "ACTIVE", "SUSPENDED", "CLOSED"}

_NEW_ACTIONS = (
    "getPrimaryEmail",
    "startPrimaryEmailUpdate",
    "acceptPrimaryEmailUpdate",
    "getPrimaryEmailUpdateStatus",
    "putAccountName",
    "getAccountInformation",
)


@dataclass
class PendingUpdate:
    account_id: str
    email: str
    code: str
    sent_at: datetime


@dataclass
class Message:
    to: str
    subject: str
    body: str
    code: str
    account_id: str
    sent_at: str


_lock = threading.Lock()
_pending: dict[str, PendingUpdate] = {}
# Account id -> (status, when it last changed) of its most recent primary email update.
_update_status: dict[str, tuple[str, datetime]] = {}
_outbox: list[Message] = []
# Standalone accounts have no creation date in accounts.py; the first time one is asked about stands in.
_standalone_created: dict[str, datetime] = {}
# Account id -> when CloseAccount was called, for accounts still PENDING_CLOSURE.
_closing: dict[str, datetime] = {}
_installed = False


def outbox(to: str | None = None) -> list[dict]:
    with _lock:
        return [asdict(m) for m in _outbox if to is None or m.to.lower() == to.strip().lower()]


@control.route("GET", "/outbox")
def _outbox_route(body, query):
    return 200, {"messages": outbox(query.get("to"))}


# --- who may act on which account -------------------------------------------------------------


def _caller_arn(response) -> str:
    from moto.sts.models import sts_backends

    sts = sts_backends[response.current_account][response.partition]
    return sts.get_caller_identity(response.get_access_key(), response.region)[1]


def _denied(response, action: str, reason: str | None = None) -> AwsError:
    message = f"User: {_caller_arn(response)} is not authorized to perform: account:{action}"
    return AwsError("AccessDeniedException", f"{message} ({reason})" if reason else message)


def _member(backend, account_id: str):
    return next((a for a in backend.accounts if a.id == account_id), None)


def resolve_target(response, action: str) -> str:
    """The account a call acts on, after AWS's checks on ``AccountId``; raises AccessDeniedException."""
    caller = response.current_account
    target = response._get_param("AccountId")
    if not target:
        return caller
    backend = accounts.organization_of(caller)
    if backend is None or backend.org is None or backend.org.master_account_id != caller:
        raise _denied(response, action)
    if target == caller:
        # "The management account can't specify its own AccountId" (API reference, AccountId).
        raise _denied(response, action)
    if backend.org.feature_set != "ALL":
        raise _denied(response, action)
    if SERVICE_PRINCIPAL not in {s["ServicePrincipal"] for s in backend.services}:
        # The message AWS gives, as quoted in awslabs/aws-deployment-framework#764.
        reason = "Your organization must first enable trusted access with AWS Account Management."
        raise _denied(response, action, reason)
    if _member(backend, target) is None:
        raise _denied(response, action)
    return target


# --- the account's record: name, email, creation date -----------------------------------------


def _validation(field: str, message: str) -> AwsError:
    return AwsError(
        "ValidationException", message, reason="fieldValidationFailed", fieldList=[{"name": field, "message": message}]
    )


# --- the actions ------------------------------------------------------------------------------


def get_primary_email(self):
    from moto.core.responses import ActionResult

    target = resolve_target(self, "GetPrimaryEmail")
    email = accounts.email_of(target)
    if email is None:
        raise AwsError("ResourceNotFoundException", f"No account {target} was found.")
    return ActionResult({"PrimaryEmail": email})


def start_primary_email_update(self):
    from moto.core.responses import ActionResult

    target = resolve_target(self, "StartPrimaryEmailUpdate")
    email = (self._get_param("PrimaryEmail") or "").strip()
    if not EMAIL_MIN <= len(email) <= EMAIL_MAX or "@" not in email:
        raise _validation("PrimaryEmail", "The primary email address is not valid.")
    owner = accounts.email_in_use(email)
    if owner is not None:
        # ConflictException: "...change an account's root user email to an email address which is already in use".
        raise AwsError("ConflictException", "The email address is already in use by another AWS account.")
    code = f"{secrets.randbelow(10**6):06d}"
    now = clock.now()
    with _lock:
        _pending[target] = PendingUpdate(target, email, code, now)
        _update_status[target] = ("PENDING", now)
        _outbox.append(
            Message(
                to=email,
                subject="AWS Email Verification",
                body=(
                    f"Use this verification code to confirm {email} as the root user email address of AWS account "
                    f"{target}: {code}. The code is valid for 24 hours."
                ),
                code=code,
                account_id=target,
                sent_at=now.isoformat(),
            )
        )
    return ActionResult({"Status": "PENDING"})


def accept_primary_email_update(self):
    from moto.core.responses import ActionResult

    target = resolve_target(self, "AcceptPrimaryEmailUpdate")
    email = (self._get_param("PrimaryEmail") or "").strip()
    otp = self._get_param("Otp") or ""
    with _lock:
        pending = _pending.get(target)
    if pending is None or pending.email.lower() != email.lower():
        raise AwsError(
            "ResourceNotFoundException", f"No primary email update to {email} was started for account {target}."
        )
    if clock.now() - pending.sent_at > OTP_VALIDITY or not secrets.compare_digest(otp, pending.code):
        raise _validation("Otp", "The one-time password is not valid or has expired.")
    owner = accounts.email_in_use(email)
    if owner is not None and owner != target:
        raise AwsError("ConflictException", "The email address is already in use by another AWS account.")
    accounts.set_email(target, pending.email)
    with _lock:
        _pending.pop(target, None)
        _update_status[target] = ("COMPLETED", clock.now())
    return ActionResult({"Status": "ACCEPTED"})


def get_primary_email_update_status(self):
    from moto.core.responses import ActionResult

    target = resolve_target(self, "GetPrimaryEmailUpdateStatus")
    with _lock:
        found = _update_status.get(target)
    if found is None:
        raise AwsError("ResourceNotFoundException", f"No primary email update was started for account {target}.")
    status, updated_at = found
    return ActionResult({"Status": status, "UpdatedAt": updated_at})


def put_account_name(self):
    from moto.core.responses import EmptyResult

    target = resolve_target(self, "PutAccountName")
    name = self._get_param("AccountName") or ""
    if not ACCOUNT_NAME_RE.match(name):
        raise _validation("AccountName", "The account name must be 1 to 50 printable characters.")
    record = accounts.find(target)
    if record is None:
        raise _denied(self, "PutAccountName")
    record.name = name
    return EmptyResult()


def get_account_information(self):
    from moto.core.responses import ActionResult

    target = resolve_target(self, "GetAccountInformation")
    record = accounts.find(target)
    if record is None:
        raise _denied(self, "GetAccountInformation")
    created = getattr(record, "create_time", None)
    if created is None:
        with _lock:
            created = _standalone_created.setdefault(target, clock.now())
    state = getattr(record, "state", "ACTIVE")
    return ActionResult(
        {
            "AccountId": target,
            "AccountName": record.name,
            "AccountCreatedDate": created,
            "AccountState": state if state in ACCOUNT_STATES else "ACTIVE",
        }
    )


# --- CloseAccount -------------------------------------------------------------------------------


def finish_closures() -> None:
    """Accounts PENDING_CLOSURE long enough on the sandbox clock become SUSPENDED (organization_reads calls it)."""
    wait = timedelta(seconds=float(settings.get(CLOSE_SECONDS_SETTING)))
    now = clock.now()
    with _lock:
        done = [account_id for account_id, since in _closing.items() if now - since >= wait]
        for account_id in done:
            del _closing[account_id]
    for account_id in done:
        account = accounts.member(account_id)
        if account is not None:
            account.status = account.state = "SUSPENDED"


def close_account(self, **kwargs) -> None:
    from moto.organizations.exceptions import AccountNotFoundException, AWSOrganizationsNotInUseException

    if self.org is None:
        raise AWSOrganizationsNotInUseException
    account_id = kwargs.get("AccountId")
    finish_closures()
    account = next((a for a in self.accounts if a.id == account_id), None)
    if account is None:
        raise AccountNotFoundException
    if account_id == self.org.master_account_id:
        raise AwsError("ConstraintViolationException", "You can't close the management account with this API.")
    if account.state in CLOSED_STATES:
        raise AwsError("AccountAlreadyClosedException", "You attempted to close an account that is already closed.")
    account.status = account.state = "PENDING_CLOSURE"
    with _lock:
        _closing[account_id] = clock.now()


def _checked(original, action: str):
    """moto's alternate-contact action, preceded by AWS's checks on AccountId."""

    def wrapper(self):
        resolve_target(self, action)
        return original(self)

    wrapper.__name__ = original.__name__
    wrapper.__wrapped__ = original
    return wrapper


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.account import urls
    from moto.account.responses import AccountResponse
    from moto.organizations.models import OrganizationsBackend

    settings.register(
        CLOSE_SECONDS_SETTING,
        300.0,
        "Seconds on the sandbox clock an account stays PENDING_CLOSURE after CloseAccount before it is SUSPENDED.",
    )
    OrganizationsBackend.close_account = close_account

    for action in _NEW_ACTIONS:
        urls.url_paths.setdefault(f"{{0}}/{action}$", AccountResponse.dispatch)
    AccountResponse.get_primary_email = get_primary_email
    AccountResponse.start_primary_email_update = start_primary_email_update
    AccountResponse.accept_primary_email_update = accept_primary_email_update
    AccountResponse.get_primary_email_update_status = get_primary_email_update_status
    AccountResponse.put_account_name = put_account_name
    AccountResponse.get_account_information = get_account_information
    for name, action in (
        ("put_alternate_contact", "PutAlternateContact"),
        ("get_alternate_contact", "GetAlternateContact"),
        ("delete_alternate_contact", "DeleteAlternateContact"),
    ):
        setattr(AccountResponse, name, _checked(getattr(AccountResponse, name), action))
    _installed = True


def reset() -> None:
    with _lock:
        _pending.clear()
        _update_status.clear()
        _outbox.clear()
        _standalone_created.clear()
        _closing.clear()
