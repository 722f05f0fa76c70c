"""Trust-policy enforcement on STS AssumeRole, MFA on AssumeRole and GetSessionToken, and slow new accounts.

moto lets anyone assume any role, even one that does not exist.  Here, AssumeRole evaluates the
target role's trust policy (msp_sandbox.policy_eval) against the caller and a request context
built as AWS documents it:

- aws:PrincipalArn / aws:PrincipalAccount / aws:PrincipalType, sts:ExternalId (only when given),
  sts:RoleSessionName, aws:CurrentTime, aws:EpochTime, aws:RequestedRegion, aws:username (users).
- aws:MultiFactorAuthPresent is absent for long-term access keys, "false" for temporary
  credentials obtained without MFA, "true" for a valid SerialNumber + TokenCode on this request
  (aws:MultiFactorAuthAge 0) or for credentials that were obtained with MFA (GetSessionToken or
  AssumeRole), whose aws:MultiFactorAuthAge counts sandbox-clock seconds since then.

MFA codes are checked against the virtual device's Base32 seed at sandbox-clock time, one step
either side.  GetSessionToken now issues real temporary keys of the calling user (moto answers a
fixed example key), so later calls made with them are that user's, with the MFA state they got.

``new_account_access_denied_attempts`` makes the first N AssumeRole attempts on the access role
of each account created through CreateAccount fail, as AWS does for minutes after creation.
"""

import re
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from .. import accounts, clock, control, policy_eval, settings
from ..errors import AwsError

REQUIRED_INTERNALS = [
    "moto.sts.responses.TokenResponse.assume_role",
    "moto.sts.responses.TokenResponse.get_session_token",
    "moto.sts.models.STSBackend.get_caller_identity",
    "moto.sts.models.STSBackend.get_assumed_role_from_access_key",
    "moto.sts.models.AssumedRole",
    "moto.sts.models.sts_backends",
    "moto.sts.utils.random_session_token",
    "moto.iam.models.iam_backends",
    "moto.iam.models.IAMBackend.create_temp_access_key",
    "moto.iam.models.IAMBackend.get_user_from_access_key_id",
    "moto.iam.models.IAMBackend.get_role_by_arn",
    "moto.iam.models.VirtualMfaDevice",
    "moto.core.responses.ActionResult",
]

DEFAULT_ACCESS_ROLE = "OrganizationAccountAccessRole"
PARTITION = "aws"
ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):role/(?:.*/)?([^/]+)$")

# Messages as AWS words them (AssumeRole / GetSessionToken error answers, code AccessDenied).  The
# trailing space of the invalid-code message is what STS sends; clients compare it literally.
INVALID_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
UNVALIDATED = (
    "MultiFactorAuthentication failed, unable to validate MFA code.  "
    "Please verify your MFA serial number is valid and associated with this user."
)
SESSION_CREDENTIALS = "Cannot call GetSessionToken with session credentials"

settings.register(
    "trust_enforcement",
    True,
    "AssumeRole evaluates the role's trust policy (principal, action, conditions, MFA); off: moto's allow-all",
)
settings.register(
    "new_account_access_denied_attempts",
    0,
    "the first N AssumeRole attempts on the access role of each account made by CreateAccount are denied",
)


def _denied(message: str) -> AwsError:
    """STS AccessDenied: HTTP 403 in AWS; STS's service model lacks the shape, so the status is given."""
    return AwsError("AccessDenied", message, status=403)


@dataclass
class Session:
    """Temporary credentials this extension saw issued, keyed by their access key id."""

    kind: str  # "role" (AssumeRole) or "user" (GetSessionToken)
    account: str
    user_name: str | None
    mfa_present: bool
    mfa_time: datetime | None


_lock = threading.Lock()
_sessions: dict[str, Session] = {}
_new_account_denials: dict[str, int] = {}
_decisions: deque = deque(maxlen=50)
_installed = False


# --- who is calling ------------------------------------------------------------------------------


def _iam(account_id: str):
    from moto.iam.models import iam_backends

    return iam_backends[account_id][PARTITION]


def _key_account(access_key: str) -> str | None:
    from moto.iam.models import iam_backends

    for account_id, per_partition in list(iam_backends.items()):
        if access_key in per_partition[PARTITION].access_keys:
            return account_id
    return None


def _resolve(access_key: str, current_account: str):
    """(Caller, the caller's IAM user or None, its Session or None) for the request's access key."""
    from moto.sts.models import sts_backends

    account = _key_account(access_key)
    with _lock:
        session = _sessions.get(access_key)
    if account is not None:
        assumed = sts_backends[account][PARTITION].get_assumed_role_from_access_key(access_key)
        if assumed is not None:
            caller = policy_eval.Caller(assumed.account_id, assumed.role_arn, "role", assumed.arn)
            return caller, None, session
        if session is not None and session.kind == "user":
            user = _iam(account).get_user(session.user_name)
            return policy_eval.Caller(account, user.arn, "user"), user, session
        user = _iam(account).get_user_from_access_key_id(access_key)
        if user is not None:
            return policy_eval.Caller(account, user.arn, "user"), user, None
    # A key moto does not know (e.g. "testing" with the x-moto-account-id header): moto acts as that
    # account, so the sandbox treats the caller as the account's root user.
    return policy_eval.Caller(current_account, f"arn:aws:iam::{current_account}:root", "root"), None, None


def _check_mfa(caller, user, serial: str, code: str | None, now: datetime) -> None:
    """Raise AccessDenied unless ``code`` is the current TOTP of an MFA device enabled for the calling user."""
    import pyotp

    if user is None or serial not in user.mfa_devices or not code:
        raise _denied(UNVALIDATED)
    device = _iam(caller.account).virtual_mfa_devices.get(serial)
    if device is None:  # a hardware serial: moto keeps no seed to check a code against
        raise _denied(UNVALIDATED)
    if not pyotp.TOTP(device.base32_string_seed).verify(str(code), for_time=now, valid_window=1):
        raise _denied(INVALID_CODE)


def _mfa_state(response, caller, user, session, now) -> tuple[bool | None, datetime | None]:
    """(aws:MultiFactorAuthPresent or None when absent, time of the MFA authentication) for this request."""
    serial = response._get_param("SerialNumber")
    if serial:
        _check_mfa(caller, user, serial, response._get_param("TokenCode"), now)
        return True, now
    if session is not None:
        return session.mfa_present, session.mfa_time
    if caller.kind == "role":
        return False, None  # a role session moto made before this extension saw it: temporary, no MFA
    return None, None  # long-term access keys carry no MFA key at all


# --- the new-account fault ---------------------------------------------------------------------------


def _created_account(account_id: str):
    account = accounts.member(account_id)
    return account if getattr(account, "joined_method", None) == "CREATED" else None


def _new_account_fault(role_arn: str, caller) -> None:
    limit = settings.get("new_account_access_denied_attempts")
    match = ROLE_ARN.match(role_arn or "")
    if not limit or not match:
        return
    account = _created_account(match.group(1))
    if account is None or match.group(2) != getattr(account, "access_role_name", DEFAULT_ACCESS_ROLE):
        return
    with _lock:
        seen = _new_account_denials.get(role_arn, 0)
        if seen >= limit:
            return
        _new_account_denials[role_arn] = seen + 1
    raise _denied(_not_authorized(caller, role_arn))


# --- evaluation --------------------------------------------------------------------------------------


def _not_authorized(caller, role_arn: str) -> str:
    return f"User: {caller.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"


def _trust_document(role_arn: str):
    """The role's trust policy, or None when the role does not exist (AWS then denies, as for a refusal)."""
    from moto.iam.exceptions import NotFoundException

    match = ROLE_ARN.match(role_arn or "")
    if not match:
        return None
    try:
        return _iam(match.group(1)).get_role_by_arn(role_arn).assume_role_policy_document
    except NotFoundException:
        return None


def request_context(response, caller, user, mfa_present, mfa_time, now) -> dict:
    context = {
        "aws:PrincipalArn": caller.principal_arn,
        "aws:PrincipalAccount": caller.account,
        "aws:PrincipalType": {"user": "User", "role": "AssumedRole", "root": "Account"}[caller.kind],
        "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:RequestedRegion": response.region,
    }
    if user is not None:
        context["aws:username"] = user.name
    session_name = response._get_param("RoleSessionName")
    if session_name:
        context["sts:RoleSessionName"] = session_name
    external_id = response._get_param("ExternalId")
    if external_id is not None:
        context["sts:ExternalId"] = external_id
    if mfa_present is not None:
        context["aws:MultiFactorAuthPresent"] = "true" if mfa_present else "false"
        if mfa_present and mfa_time is not None:
            context["aws:MultiFactorAuthAge"] = str(max(0, int((now - mfa_time).total_seconds())))
    return context


def _record(access_key_id: str, session: Session) -> None:
    with _lock:
        _sessions[access_key_id] = session


# --- hooks -------------------------------------------------------------------------------------------


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.core.responses import ActionResult
    from moto.sts.models import STSBackend
    from moto.sts.responses import TokenResponse
    from moto.sts.utils import random_session_token

    original_assume_role = TokenResponse.assume_role
    original_get_session_token = TokenResponse.get_session_token
    original_get_caller_identity = STSBackend.get_caller_identity

    def assume_role(self):
        role_arn = self._get_param("RoleArn")
        now = clock.now()
        caller, user, session = _resolve(self.get_access_key(), self.current_account)
        _new_account_fault(role_arn, caller)
        mfa_present, mfa_time = False, None
        if settings.get("trust_enforcement"):
            mfa_present, mfa_time = _mfa_state(self, caller, user, session, now)
            context = request_context(self, caller, user, mfa_present, mfa_time, now)
            document = _trust_document(role_arn)
            decision = (
                policy_eval.evaluate(document, "sts:AssumeRole", caller, context)
                if document is not None
                else policy_eval.Decision("ImplicitDeny", None, ["the role does not exist"])
            )
            with _lock:
                _decisions.append(
                    {
                        "time": now.isoformat(),
                        "caller": caller.arn,
                        "role": role_arn,
                        "effect": decision.effect,
                        "statement": decision.statement,
                        "notes": decision.notes,
                        "context": context,
                    }
                )
            if not decision.allowed:
                raise _denied(_not_authorized(caller, role_arn))
        result = original_assume_role(self)
        role = result.result["Credentials"]
        # Credentials from AssumeRole are temporary: aws:MultiFactorAuthPresent is present, "true"
        # only when this request was MFA-authenticated (its own code, or MFA-authenticated credentials).
        _record(role.access_key_id, Session("role", role.account_id, None, bool(mfa_present), mfa_time))
        return result

    def get_session_token(self):
        caller, user, session = _resolve(self.get_access_key(), self.current_account)
        if session is not None or caller.kind == "role":
            raise _denied(SESSION_CREDENTIALS)
        if user is None:
            return original_get_session_token(self)  # the account root or an unknown key: moto's answer
        now = clock.now()
        serial = self._get_param("SerialNumber")
        if serial:
            _check_mfa(caller, user, serial, self._get_param("TokenCode"), now)
        token = self.backend.get_session_token(duration=self._get_int_param("DurationSeconds", 43200))
        key = _iam(caller.account).create_temp_access_key()
        _record(key.access_key_id, Session("user", caller.account, user.name, bool(serial), now if serial else None))
        return ActionResult(
            {
                "Credentials": {
                    "AccessKeyId": key.access_key_id,
                    "SecretAccessKey": key.secret_access_key,
                    "SessionToken": random_session_token(),
                    "Expiration": token.expiration,
                }
            }
        )

    def get_caller_identity(self, access_key_id: str, region: str):
        with _lock:
            session = _sessions.get(access_key_id)
        if session is not None and session.kind == "user":
            user = _iam(session.account).get_user(session.user_name)
            return user.id, user.arn, session.account
        return original_get_caller_identity(self, access_key_id, region)

    TokenResponse.assume_role = assume_role
    TokenResponse.get_session_token = get_session_token
    STSBackend.get_caller_identity = get_caller_identity
    _installed = True


def reset() -> None:
    with _lock:
        _sessions.clear()
        _new_account_denials.clear()
        _decisions.clear()


@control.route("GET", "/trust")
def _trust(body, query):
    with _lock:
        return 200, {
            "trust_enforcement": settings.get("trust_enforcement"),
            "new_account_access_denied_attempts": settings.get("new_account_access_denied_attempts"),
            "new_account_denials": dict(_new_account_denials),
            "sessions": {key: vars(s) for key, s in _sessions.items()},
            "decisions": list(_decisions),
        }
