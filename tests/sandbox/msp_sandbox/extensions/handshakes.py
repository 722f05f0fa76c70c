"""Organizations invitation handshakes, and removal that leaves a standalone account behind.

moto 5.2.5 has no handshakes.  Here the management account invites an account (by id or by root
email), the invited account accepts, declines or lets it expire (15 days, read from the sandbox
clock), the sender can cancel.  Accepting makes the account a member as AWS does: JoinedMethod
INVITED, the default policies attached, and no OrganizationAccountAccessRole.  Removal turns the
member back into a standalone account, so it keeps its email and can be invited again.

Removal is refused as AWS refuses it (ConstraintViolationException, with the Reason and the sentence
the API reference gives for it): a delegated administrator (CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG),
a created account within ``removal_wait_period_days`` of its creation on the sandbox clock
(WAIT_PERIOD_ACTIVE; invited accounts are exempt), an account without a payment instrument
(MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED) or without phone verification
(ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION), checked in that order.  AWS documents no order;
the last two are per-account flags set through ``POST /_sandbox/standalone-readiness``, every account
being ready to stand alone unless a test says otherwise.  AWS does not say the exact WAIT_PERIOD_ACTIVE
message either, nor return the date the wait ends; the sandbox does not invent one.
"""

import json
import string
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .. import accounts, clock, control, settings
from ..errors import AwsError
from .create_account import QUOTA_DOC, QUOTA_SETTING, in_progress_count, management_backend, paginate
from .organization_reads import reading_backend

REQUIRED_INTERNALS = [
    "moto.organizations.models.FakeAccount",
    "moto.organizations.models.OrganizationsBackend.attach_policy",
    "moto.organizations.models.OrganizationsBackend.remove_account_from_organization",
    "moto.organizations.models.OrganizationsBackend.register_delegated_administrator",
    "moto.organizations.models.organizations_backends",
    "moto.organizations.responses.OrganizationsResponse",
    "moto.organizations.utils.DEFAULT_SCP_POLICY_ID",
    "moto.organizations.utils.DEFAULT_RCP_POLICY_ID",
    "moto.iam.models.iam_backends",
    "moto.moto_api._internal.mock_random",
]

RATE_SETTING = "handshake_daily_limit"
WAIT_PERIOD_SETTING = "removal_wait_period_days"
WAIT_PERIOD_DOC = (
    "Days after its creation during which a created account cannot be removed from the organization "
    "(WAIT_PERIOD_ACTIVE; AWS: at least four days; invited accounts are exempt)."
)
READINESS_FLAGS = ("payment_instrument", "phone_verified")
EXPIRY = timedelta(days=15)  # ExpirationTimestamp - RequestedTimestamp in the API reference's examples
RETENTION = timedelta(days=30)  # closed handshakes "show up in lists for only 30 days"
OPEN_STATES = ("REQUESTED", "OPEN")
_ID_CHARS = string.ascii_lowercase + string.digits

_lock = threading.RLock()


@dataclass
class Handshake:
    id: str
    organization_id: str
    management_id: str
    partition: str
    target_type: str  # ACCOUNT or EMAIL
    target_id: str
    notes: str | None
    tags: list
    requested: datetime
    organization_resources: list
    state: str = "OPEN"  # as in the API reference's InviteAccountToOrganization and DescribeHandshake examples
    closed: datetime | None = None
    account_id: str | None = None  # set when an EMAIL invitation is accepted

    @property
    def expiration(self) -> datetime:
        return self.requested + EXPIRY

    def current_state(self, now: datetime) -> str:
        if self.state in OPEN_STATES and now >= self.expiration:
            return "EXPIRED"
        return self.state

    def closed_at(self, now: datetime) -> datetime | None:
        return self.expiration if self.current_state(now) == "EXPIRED" else self.closed

    def visible(self, now: datetime) -> bool:
        closed = self.closed_at(now)
        return closed is None or now - closed <= RETENTION

    def is_recipient(self, account_id: str) -> bool:
        if self.target_type == "ACCOUNT":
            return self.target_id == account_id
        if self.account_id is not None:
            return self.account_id == account_id
        email = accounts.email_of(account_id)
        return email is not None and email.lower() == self.target_id.lower()

    def describe(self, now: datetime) -> dict:
        resources = [{"Type": "ORGANIZATION", "Value": self.organization_id, "Resources": self.organization_resources}]
        if self.account_id is not None:
            # As in the AcceptHandshake example: once accepted, an EMAIL invitation names the account.
            resources.append({"Type": "ACCOUNT", "Value": self.account_id})
        else:
            resources.append({"Type": self.target_type, "Value": self.target_id})
        if self.notes:
            resources.append({"Type": "NOTES", "Value": self.notes})
        return {
            "Id": self.id,
            "Arn": f"arn:{self.partition}:organizations::{self.management_id}:handshake/"
            f"{self.organization_id}/invite/{self.id}",
            "Parties": [
                {"Id": self.organization_id, "Type": "ORGANIZATION"},
                {"Id": self.target_id, "Type": self.target_type},
            ],
            "State": self.current_state(now),
            "RequestedTimestamp": self.requested.timestamp(),
            "ExpirationTimestamp": self.expiration.timestamp(),
            "Action": "INVITE",
            "Resources": resources,
        }


_handshakes: dict[str, Handshake] = {}
_installed = False


def open_invitation_count(management_id: str) -> int:
    now = clock.now()
    with _lock:
        return sum(
            1 for h in _handshakes.values() if h.management_id == management_id and h.current_state(now) in OPEN_STATES
        )


def _in_an_organization(account_id: str) -> bool:
    return accounts.organization_of(account_id) is not None


def _new_id() -> str:
    from moto.moto_api._internal import mock_random

    return "h-" + "".join(mock_random.choice(_ID_CHARS) for _position in range(10))


def _resolve_target(target: dict) -> tuple[str, str, str | None]:
    """(type, id as given, invited account id if the sandbox knows it)."""
    party_type, party_id = target.get("Type"), target.get("Id") or ""
    if party_type == "ACCOUNT":
        if not (len(party_id) == 12 and party_id.isdigit()):
            raise AwsError(
                "InvalidInputException", "The account id must be exactly 12 digits.", Reason="INVALID_PATTERN"
            )
        return party_type, party_id, party_id
    if party_type == "EMAIL":
        from .create_account import valid_email

        if not valid_email(party_id):
            raise AwsError(
                "InvalidInputException",
                "You specified an invalid email address for the invited account owner.",
                Reason="INVALID_EMAIL_ADDRESS_TARGET",
            )
        return party_type, party_id, accounts.email_in_use(party_id)
    raise AwsError(
        "InvalidInputException", "The target must be of Type ACCOUNT or EMAIL.", Reason="INVALID_PARTY_TYPE_TARGET"
    )


def _constraint(reason: str, message: str) -> AwsError:
    return AwsError("HandshakeConstraintViolationException", message, Reason=reason)


def _already_a_member() -> AwsError:
    """Checked when inviting and again when accepting: the account may have joined another meanwhile."""
    return _constraint(
        "ALREADY_IN_AN_ORGANIZATION",
        "The handshake request is invalid because the invited account is already a member of an organization.",
    )


def invite(caller: str, partition: str, params: dict) -> dict:
    backend = management_backend(caller, partition)
    target_type, target_id, invited = _resolve_target(params.get("Target") or {})
    now = clock.now()
    # Read before taking this module's lock: create_account takes its lock first, then this one.
    creating = in_progress_count(caller)
    with _lock:
        if invited is not None and _in_an_organization(invited):
            raise _already_a_member()
        for other in _handshakes.values():
            same_target = other.target_id.lower() == target_id.lower() or (
                invited is not None and other.is_recipient(invited)
            )
            if other.management_id == caller and same_target and other.current_state(now) in OPEN_STATES:
                raise AwsError(
                    "DuplicateHandshakeException", "A handshake with the same action and target already exists."
                )
        used = len(backend.accounts) + open_invitation_count(caller) + creating
        if used >= settings.get(QUOTA_SETTING):
            raise _constraint(
                "ACCOUNT_NUMBER_LIMIT_EXCEEDED",
                "You attempted to exceed the limit on the number of accounts in an organization.",
            )
        sent_today = sum(
            1 for h in _handshakes.values() if h.management_id == caller and now - h.requested < timedelta(days=1)
        )
        if sent_today >= settings.get(RATE_SETTING):
            raise _constraint(
                "HANDSHAKE_RATE_LIMIT_EXCEEDED",
                "You attempted to exceed the number of handshakes that you can send in one day.",
            )
        org = backend.org
        management = next((a for a in backend.accounts if a.id == org.master_account_id), None)
        handshake = Handshake(
            id=_new_id(),
            organization_id=org.id,
            management_id=caller,
            partition=partition,
            target_type=target_type,
            target_id=target_id,
            notes=params.get("Notes"),
            tags=list(params.get("Tags") or []),
            requested=now,
            organization_resources=[
                {"Type": "MASTER_EMAIL", "Value": org.master_account_email},
                {"Type": "MASTER_NAME", "Value": management.name if management else org.master_account_id},
                {"Type": "ORGANIZATION_FEATURE_SET", "Value": org.feature_set},
            ],
        )
        _handshakes[handshake.id] = handshake
        return {"Handshake": handshake.describe(now)}


def _find(caller: str, handshake_id: str, now: datetime) -> Handshake:
    """The handshake if the caller is one of its parties (others cannot see it)."""
    handshake = _handshakes.get(handshake_id or "")
    if (
        handshake is None
        or not handshake.visible(now)
        or not (handshake.management_id == caller or handshake.is_recipient(caller))
    ):
        raise AwsError(
            "HandshakeNotFoundException", "We can't find a handshake with the HandshakeId that you specified."
        )
    return handshake


def _respond(caller: str, params: dict, target_state: str, sender_acts: bool) -> dict:
    """Move a handshake to ACCEPTED, DECLINED or CANCELED, if the caller's side may and its state allows."""
    now = clock.now()
    with _lock:
        handshake = _find(caller, params.get("HandshakeId"), now)
        allowed = handshake.management_id == caller if sender_acts else handshake.is_recipient(caller)
        if not allowed:
            who = "account that sent" if sender_acts else "account that received"
            raise AwsError("AccessDeniedException", f"Only the {who} the handshake can call this operation.")
        state = handshake.current_state(now)
        if state == target_state:
            raise AwsError(
                "HandshakeAlreadyInStateException",
                f"The specified handshake is already in the requested state ({state}).",
            )
        if state not in OPEN_STATES:
            raise AwsError(
                "InvalidHandshakeTransitionException",
                f"You can't perform the operation on the handshake in its current state ({state}).",
            )
        if target_state == "ACCEPTED":
            _join(handshake, caller, now)
        handshake.state, handshake.closed = target_state, now
        return {"Handshake": handshake.describe(now)}


def _join(handshake: Handshake, account_id: str, now: datetime) -> None:
    """Make the accepting account a member of the inviting organization, as AWS does for INVITED accounts."""
    from moto.iam.models import iam_backends
    from moto.organizations import utils
    from moto.organizations.models import FakeAccount, organizations_backends

    if _in_an_organization(account_id):
        raise _already_a_member()
    backend = organizations_backends[handshake.management_id][handshake.partition]
    if backend.org is None or backend.org.id != handshake.organization_id:
        raise AwsError("InvalidHandshakeTransitionException", "The inviting organization no longer exists.")
    record = accounts.standalone(account_id)
    # An account the sandbox never heard of (only its id was invited): it has no name or email on file.
    name = record.name if record else account_id
    email = record.email if record else f"{account_id}@unknown-account.invalid"
    member = FakeAccount(backend.org, AccountName=name, Email=email, Tags=handshake.tags)
    # FakeAccount.__init__ made an access role in the IAM of a random throwaway id; AWS creates none for
    # invited accounts, so drop that throwaway IAM backend and give the object the real id.
    throwaway = member.id
    member.id = account_id
    known = {a.id for a in accounts.organization_accounts()} | {r.id for r in accounts.all_standalone()}
    if throwaway not in known and throwaway in iam_backends:
        del iam_backends[throwaway]
    member.joined_method = "INVITED"
    member.create_time = now.replace(tzinfo=None)  # moto keeps naive UTC datetimes
    member.access_role_name = None
    backend.accounts.append(member)
    for policy_id in (utils.DEFAULT_SCP_POLICY_ID, utils.DEFAULT_RCP_POLICY_ID):
        if any(p.id == policy_id for p in backend.policies):
            backend.attach_policy(PolicyId=policy_id, TargetId=account_id)
    organizations_backends.master_accounts[account_id] = (backend.account_id, backend.partition)
    accounts.forget_standalone(account_id)
    handshake.account_id = account_id


def describe(caller: str, params: dict) -> dict:
    now = clock.now()
    with _lock:
        return {"Handshake": _find(caller, params.get("HandshakeId"), now).describe(now)}


def _list(params: dict, select) -> dict:
    now = clock.now()
    query = params.get("Filter") or {}
    if query.get("ActionType") and query.get("ParentHandshakeId"):
        raise AwsError(
            "InvalidInputException",
            "You can specify only one filter parameter for the operation.",
            Reason="MAX_LIMIT_EXCEEDED_FILTER",
        )
    with _lock:
        found = [h.describe(now) for h in _handshakes.values() if select(h) and h.visible(now)]
    if query.get("ActionType"):
        found = [h for h in found if h["Action"] == query["ActionType"]]
    if query.get("ParentHandshakeId"):
        found = []  # INVITE handshakes are never children of another handshake
    page, token = paginate(found, params.get("NextToken"), params.get("MaxResults"))
    result = {"Handshakes": page}
    if token:
        result["NextToken"] = token
    return result


def list_for_organization(caller: str, partition: str, params: dict) -> dict:
    """The organization's handshakes, for its management account or a delegated administrator."""
    management_id = reading_backend(caller, partition).account_id
    return _list(params, lambda h: h.management_id == management_id)


def list_for_account(caller: str, params: dict) -> dict:
    return _list(params, lambda h: h.is_recipient(caller))


def _removal_constraint(reason: str, message: str) -> AwsError:
    return AwsError("ConstraintViolationException", message, Reason=reason)


def _removal_refusal(backend, member, now: datetime) -> AwsError | None:
    """Why AWS would refuse to remove ``member`` now, or None (see the module docstring for the order)."""
    if any(admin.account.id == member.id for admin in backend.admins):
        return _removal_constraint(
            "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG",
            "You attempted to remove an account that is registered as a delegated administrator for a service "
            "integrated with your organization. To complete this operation, you must first deregister this "
            "account as a delegated administrator.",
        )
    if member.joined_method == "CREATED":
        created = member.create_time.replace(tzinfo=UTC)  # moto keeps naive UTC datetimes
        if now < created + timedelta(days=settings.get(WAIT_PERIOD_SETTING)):
            return _removal_constraint(
                "WAIT_PERIOD_ACTIVE",
                "After you create an Amazon Web Services account, you must wait until at least four days after "
                "the account was created. Invited accounts aren't subject to this waiting period.",
            )
    readiness = standalone_readiness(member.id)
    if not readiness["payment_instrument"]:
        return _removal_constraint(
            "MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED",
            "To complete this operation with this member account, you first must associate a valid payment "
            "instrument, such as a credit card, with the account.",
        )
    if not readiness["phone_verified"]:
        return _removal_constraint(
            "ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION",
            "You attempted to remove an account from the organization that doesn't yet have enough information "
            "to exist as a standalone account. This account requires you to first complete phone verification.",
        )
    return None


def remove_account_from_organization(self, **kwargs) -> None:
    """RemoveAccountFromOrganization; the removed account becomes a standalone account again."""
    backend = management_backend(self.account_id, self.partition)
    account_id = kwargs.get("AccountId", "")
    if account_id == backend.org.master_account_id:
        raise _removal_constraint(
            "ACCOUNT_CANNOT_LEAVE_ORGANIZATION",
            "You can't remove the management account. Instead, after you "
            "remove all member accounts, delete the organization itself.",
        )
    member = next((a for a in backend.accounts if a.id == account_id), None)
    if member is None:
        raise AwsError("AccountNotFoundException", "You specified an account that doesn't exist.")
    refusal = _removal_refusal(backend, member, clock.now())
    if refusal is not None:
        raise refusal
    _moto_remove(self, **kwargs)
    accounts.register_standalone(member.id, member.name, member.email)


# Account id -> the flags of READINESS_FLAGS that a test turned off; an absent flag means ready.
_readiness: dict[str, dict[str, bool]] = {}


def standalone_readiness(account_id: str) -> dict:
    with _lock:
        flags = _readiness.get(account_id, {})
        return {"account_id": account_id, **{flag: flags.get(flag, True) for flag in READINESS_FLAGS}}


@control.route("GET", "/standalone-readiness")
def _get_readiness(body, query):
    if not query.get("account_id"):
        raise control.ControlError(400, "account_id is required")
    return 200, standalone_readiness(query["account_id"])


@control.route("POST", "/standalone-readiness")
def _set_readiness(body, query):
    account_id = body.get("account_id")
    if not account_id or accounts.find(account_id) is None:
        raise control.ControlError(404, f"no account {account_id!r} in the sandbox")
    unknown = set(body) - {"account_id", *READINESS_FLAGS}
    if unknown:
        raise control.ControlError(400, f"unknown fields {sorted(unknown)}; known: {list(READINESS_FLAGS)}")
    flags = {flag: body[flag] for flag in READINESS_FLAGS if flag in body}
    if not all(isinstance(value, bool) for value in flags.values()):
        raise control.ControlError(400, f"{', '.join(READINESS_FLAGS)} take true or false")
    with _lock:
        _readiness.setdefault(account_id, {}).update(flags)
    return 200, standalone_readiness(account_id)


_moto_remove = None


def _response_method(handler):
    def method(self) -> str:
        return json.dumps(handler(self))

    return method


def install() -> None:
    global _installed, _moto_remove
    if _installed:
        return
    from moto.organizations.models import OrganizationsBackend
    from moto.organizations.responses import OrganizationsResponse

    settings.register(QUOTA_SETTING, 10, QUOTA_DOC)
    settings.register(RATE_SETTING, 20, "Invitations an organization may send in 24 hours (AWS: 20 a day).")
    settings.register(WAIT_PERIOD_SETTING, 4.0, WAIT_PERIOD_DOC)

    # moto dispatches to any response method named after the action in snake_case.
    actions = {
        "invite_account_to_organization": lambda r: invite(r.current_account, r.partition, r.request_params),
        "accept_handshake": lambda r: _respond(r.current_account, r.request_params, "ACCEPTED", sender_acts=False),
        "decline_handshake": lambda r: _respond(r.current_account, r.request_params, "DECLINED", sender_acts=False),
        "cancel_handshake": lambda r: _respond(r.current_account, r.request_params, "CANCELED", sender_acts=True),
        "describe_handshake": lambda r: describe(r.current_account, r.request_params),
        "list_handshakes_for_organization": lambda r: list_for_organization(
            r.current_account, r.partition, r.request_params
        ),
        "list_handshakes_for_account": lambda r: list_for_account(r.current_account, r.request_params),
    }
    for name, handler in actions.items():
        setattr(OrganizationsResponse, name, _response_method(handler))
    _moto_remove = OrganizationsBackend.remove_account_from_organization
    OrganizationsBackend.remove_account_from_organization = remove_account_from_organization
    _installed = True


def reset() -> None:
    with _lock:
        _handshakes.clear()
        _readiness.clear()
