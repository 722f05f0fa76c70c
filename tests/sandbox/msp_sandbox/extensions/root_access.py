"""Centralised root access: IAM's organization features, STS AssumeRoot and root sessions.

- Trusted access for ``iam.amazonaws.com``: moto rejects it as an unrecognised principal; it is
  added to moto's list of trusted services.
- IAM Enable/DisableOrganizationsRootCredentialsManagement, Enable/DisableOrganizationsRootSessions
  and ListOrganizationsFeatures, with the errors of the IAM API reference.
- STS AssumeRoot from the management account for a member, once RootSessions is enabled; the
  session's keys live in the member's IAM backend, so moto maps them to the member account.
- IAM calls with a root session act on the member's root user and are limited to the actions its
  task policy leaves (read from the real root-task policy documents that moto ships); the session
  expires after DurationSeconds on the sandbox clock.
- The root user's credentials (password, access keys, MFA devices, signing certificates) are kept
  here per account; ``/_sandbox/root-credentials`` seeds and reads them.
"""

import json
import re
import secrets
import string
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .. import accounts, clock, control
from ..errors import AwsError

REQUIRED_INTERNALS = [
    "moto.organizations.models.FakeServiceAccess.TRUSTED_SERVICES",
    "moto.iam.responses.IamResponse.call_action",
    "moto.iam.models.IAMBackend.create_temp_access_key",
    "moto.iam.aws_managed_policies.aws_managed_policies_data",
    "moto.sts.responses.TokenResponse",
    "moto.sts.models.STSBackend.get_caller_identity",
]

IAM_PRINCIPAL = "iam.amazonaws.com"
ROOT_CREDENTIALS_MANAGEMENT = "RootCredentialsManagement"
ROOT_SESSIONS = "RootSessions"
MAX_ROOT_SESSION_SECONDS = 900
TASK_POLICY_PREFIX = "arn:aws:iam::aws:policy/root-task/"
# The five task policies of the STS AssumeRoot reference; IAM enforcement below covers the IAM ones.
TASK_POLICIES = (
    "IAMAuditRootUserCredentials",
    "IAMCreateRootUserPassword",
    "IAMDeleteRootUserCredentials",
    "S3UnlockBucketPolicy",
    "SQSUnlockQueuePolicy",
)

_MESSAGES = {
    "OrganizationNotFoundException": (
        "The request was rejected because no organization is associated with your account."
    ),
    "OrganizationNotInAllFeaturesModeException": (
        "The request was rejected because your organization does not have All features enabled."
    ),
    "CallerIsNotManagementAccountException": (
        "The request was rejected because the account making the request is not the management account for the "
        "organization."
    ),
    "AccountNotManagementOrDelegatedAdministratorException": (
        "The request was rejected because the account making the request is not the management account or delegated "
        "administrator account for centralized root access."
    ),
    "ServiceAccessNotEnabledException": (
        "The request was rejected because trusted access is not enabled for IAM in AWS Organizations."
    ),
}


@dataclass
class RootCredentials:
    login_profile: datetime | None = None
    password_reset_required: bool = False
    access_keys: list = field(default_factory=list)
    mfa_devices: list = field(default_factory=list)
    unassigned_mfa: list = field(default_factory=list)
    signing_certificates: list = field(default_factory=list)

    def describe(self, account_id: str) -> dict:
        return {
            "account_id": account_id,
            "login_profile": self.login_profile is not None,
            "access_keys": [k["AccessKeyId"] for k in self.access_keys],
            "mfa_devices": [d["SerialNumber"] for d in self.mfa_devices],
            "signing_certificates": [c["CertificateId"] for c in self.signing_certificates],
        }


@dataclass
class RootSession:
    access_key_id: str
    account_id: str
    task_policy: str
    expires: datetime


_lock = threading.RLock()
_features: dict[str, set[str]] = {}
_credentials: dict[str, RootCredentials] = {}
_sessions: dict[str, RootSession] = {}
# Task policy name -> IAM actions it leaves to the root session (filled from moto's copy of the policies).
_allowed_actions: dict[str, frozenset[str]] = {}
_installed = False


def _random_id(prefix: str, length: int) -> str:
    return prefix + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _position in range(length))


def credentials_of(account_id: str) -> RootCredentials:
    with _lock:
        return _credentials.setdefault(account_id, RootCredentials())


def seed_credentials(
    account_id: str,
    login_profile: bool = False,
    access_keys: int = 0,
    mfa_devices: int = 0,
    signing_certificates: int = 0,
) -> RootCredentials:
    """Replace the root user's credentials of ``account_id`` with fresh ones of the given counts."""
    now = clock.now()
    creds = RootCredentials(login_profile=now if login_profile else None)
    creds.access_keys = [
        {"AccessKeyId": _random_id("AKIA", 16), "Status": "Active", "CreateDate": now} for _key in range(access_keys)
    ]
    creds.mfa_devices = [
        {
            "SerialNumber": f"arn:aws:iam::{account_id}:mfa/root-account-mfa-device" + (f"-{i}" if i else ""),
            "EnableDate": now,
        }
        for i in range(mfa_devices)
    ]
    creds.signing_certificates = [
        {
            "CertificateId": _random_id("", 32),
            "Status": "Active",
            "UploadDate": now,
            "CertificateBody": "-----BEGIN CERTIFICATE-----\nMIIBsandbox\n-----END CERTIFICATE-----",
        }
        for _certificate in range(signing_certificates)
    ]
    with _lock:
        _credentials[account_id] = creds
    return creds


@control.route("POST", "/root-credentials")
def _seed_route(body, query):
    account_id = str(body["account_id"])
    creds = seed_credentials(
        account_id,
        bool(body.get("login_profile", False)),
        int(body.get("access_keys", 0)),
        int(body.get("mfa_devices", 0)),
        int(body.get("signing_certificates", 0)),
    )
    return 200, creds.describe(account_id)


@control.route("GET", "/root-credentials")
def _read_route(body, query):
    account_id = query["account_id"]
    return 200, credentials_of(account_id).describe(account_id)


# --- organization features (IAM) --------------------------------------------------------------


def _organization_for(account_id: str, enabling: bool):
    """The caller's organization backend after the checks the IAM API reference lists."""
    backend = accounts.organization_of(account_id)
    if backend is None or backend.org is None:
        raise AwsError("OrganizationNotFoundException", _MESSAGES["OrganizationNotFoundException"])
    if backend.org.feature_set != "ALL":
        code = "OrganizationNotInAllFeaturesModeException"
        raise AwsError(code, _MESSAGES[code])
    if backend.org.master_account_id != account_id:
        code = (
            "CallerIsNotManagementAccountException"
            if enabling
            else "AccountNotManagementOrDelegatedAdministratorException"
        )
        raise AwsError(code, _MESSAGES[code])
    if IAM_PRINCIPAL not in {s["ServicePrincipal"] for s in backend.services}:
        raise AwsError("ServiceAccessNotEnabledException", _MESSAGES["ServiceAccessNotEnabledException"])
    return backend


def _features_result(backend):
    from moto.core.responses import ActionResult

    with _lock:
        enabled = sorted(_features.get(backend.org.id, ()))
    return ActionResult({"OrganizationId": backend.org.id, "EnabledFeatures": enabled})


def _feature_action(feature: str | None, enable: bool):
    def action(self):
        backend = _organization_for(self.current_account, enabling=enable and feature is not None)
        if feature is not None:
            with _lock:
                features = _features.setdefault(backend.org.id, set())
                if enable:
                    features.add(feature)
                else:
                    features.discard(feature)
        return _features_result(backend)

    return action


def features_of_organization(org_id: str) -> set[str]:
    with _lock:
        return set(_features.get(org_id, ()))


# --- STS AssumeRoot ---------------------------------------------------------------------------


def assume_root(self):
    from moto.core.responses import ActionResult
    from moto.iam.models import iam_backends
    from moto.sts.exceptions import STSValidationError
    from moto.sts.utils import random_session_token

    duration = self._get_int_param("DurationSeconds", MAX_ROOT_SESSION_SECONDS)
    if duration > MAX_ROOT_SESSION_SECONDS:
        # Botocore does not check the model's maximum; STS answers with its common ValidationError.
        raise STSValidationError(
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy constraint: "
            f"Member must have value less than or equal to {MAX_ROOT_SESSION_SECONDS}"
        )
    policy_arn = (self._get_param("TaskPolicyArn") or {}).get("arn", "")
    if not policy_arn.startswith(TASK_POLICY_PREFIX) or policy_arn[len(TASK_POLICY_PREFIX) :] not in TASK_POLICIES:
        raise STSValidationError(
            f"The task policy {policy_arn} is not a root task policy. Use one of: "
            + ", ".join(TASK_POLICY_PREFIX + name for name in TASK_POLICIES)
        )
    principal = self._get_param("TargetPrincipal") or ""
    match = re.fullmatch(r"(?:arn:aws:iam::)?(\d{12})(?::root)?", principal)
    target = match.group(1) if match else principal
    caller = self.current_account
    from moto.sts.models import sts_backends

    caller_arn = sts_backends[caller][self.partition].get_caller_identity(self.get_access_key(), self.region)[1]
    denied = AwsError(
        "AccessDenied",
        f"User: {caller_arn} is not authorized to perform: sts:AssumeRoot on resource: arn:aws:iam::{target}:root",
        status=403,
    )
    backend = accounts.organization_of(caller)
    with _lock:
        caller_is_root_session = self.get_access_key() in _sessions
    if (
        caller_is_root_session
        or backend is None
        or backend.org is None
        or backend.org.master_account_id != caller
        or target == caller
    ):
        raise denied
    if ROOT_SESSIONS not in features_of_organization(backend.org.id):
        reason = " because root sessions are not enabled for the organization (iam:EnableOrganizationsRootSessions)"
        raise AwsError("AccessDenied", denied.message + reason, status=403)
    if not any(account.id == target for account in backend.accounts):
        raise denied

    key = iam_backends[target]["global"].create_temp_access_key()
    expires = clock.now() + timedelta(seconds=duration)
    with _lock:
        _sessions[key.access_key_id] = RootSession(
            key.access_key_id, target, policy_arn[len(TASK_POLICY_PREFIX) :], expires
        )
    return ActionResult(
        {
            "Credentials": {
                "AccessKeyId": key.access_key_id,
                "SecretAccessKey": key.secret_access_key,
                "SessionToken": random_session_token(),
                "Expiration": expires,
            }
        }
    )


def session_of(access_key_id: str) -> RootSession | None:
    with _lock:
        return _sessions.get(access_key_id)


# --- IAM with a root session ------------------------------------------------------------------


def _no_such_entity(message: str) -> AwsError:
    return AwsError("NoSuchEntity", message)


def _find(items: list, key: str, value: str, what: str) -> dict:
    for item in items:
        if item[key] == value:
            return item
    raise _no_such_entity(f"The {what} with id {value} cannot be found.")


def _root_iam_action(response, session: RootSession, action: str):
    """Carry out an IAM action on the member's root user; returns an ActionResult or None (let moto answer)."""
    from moto.core.responses import ActionResult, EmptyResult

    account = session.account_id
    root_arn = f"arn:aws:iam::{account}:root"
    creds = credentials_of(account)
    param = response._get_param
    with _lock:
        if action == "GetUser":
            member = accounts.member(account)
            return ActionResult(
                {
                    "User": {
                        "UserId": account,
                        "Arn": root_arn,
                        "CreateDate": getattr(member, "create_time", None) or clock.now(),
                    }
                }
            )
        if action == "GetAccountSummary":
            return None
        if action == "GetLoginProfile":
            if creds.login_profile is None:
                raise _no_such_entity(f"Login Profile for User {root_arn} cannot be found.")
            return ActionResult(
                {
                    "LoginProfile": {
                        "CreateDate": creds.login_profile,
                        "PasswordResetRequired": creds.password_reset_required,
                    }
                }
            )
        if action == "CreateLoginProfile":
            if creds.login_profile is not None:
                raise AwsError("EntityAlreadyExists", f"Login Profile for User {root_arn} already exists.")
            creds.login_profile = clock.now()
            creds.password_reset_required = str(param("PasswordResetRequired", "false")).lower() == "true"
            return ActionResult(
                {
                    "LoginProfile": {
                        "CreateDate": creds.login_profile,
                        "PasswordResetRequired": creds.password_reset_required,
                    }
                }
            )
        if action == "DeleteLoginProfile":
            if creds.login_profile is None:
                raise _no_such_entity(f"Login Profile for User {root_arn} cannot be found.")
            creds.login_profile = None
            return EmptyResult()
        if action == "ListAccessKeys":
            return ActionResult({"AccessKeyMetadata": list(creds.access_keys), "IsTruncated": False})
        if action == "GetAccessKeyLastUsed":
            _find(creds.access_keys, "AccessKeyId", param("AccessKeyId"), "Access Key")
            return ActionResult({"AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"}})
        if action == "DeleteAccessKey":
            creds.access_keys.remove(_find(creds.access_keys, "AccessKeyId", param("AccessKeyId"), "Access Key"))
            return EmptyResult()
        if action == "ListMFADevices":
            return ActionResult({"MFADevices": list(creds.mfa_devices), "IsTruncated": False})
        if action == "DeactivateMFADevice":
            device = _find(creds.mfa_devices, "SerialNumber", param("SerialNumber"), "MFA device")
            creds.mfa_devices.remove(device)
            # A deactivated virtual device still exists until DeleteVirtualMFADevice, as in IAM.
            creds.unassigned_mfa.append(device)
            return EmptyResult()
        if action == "DeleteVirtualMFADevice":
            serial = param("SerialNumber")
            if any(d["SerialNumber"] == serial for d in creds.mfa_devices):
                raise AwsError("DeleteConflict", "MFA device is still in use.")
            creds.unassigned_mfa.remove(_find(creds.unassigned_mfa, "SerialNumber", serial, "MFA device"))
            return EmptyResult()
        if action == "ListSigningCertificates":
            return ActionResult({"Certificates": list(creds.signing_certificates), "IsTruncated": False})
        if action == "DeleteSigningCertificate":
            cert = _find(creds.signing_certificates, "CertificateId", param("CertificateId"), "Signing Certificate")
            creds.signing_certificates.remove(cert)
            return EmptyResult()
    raise AwsError("AccessDenied", f"User: {root_arn} is not authorized to perform: iam:{action}", status=403)


def _wrap_iam_call_action(original):
    def call_action(self):
        from moto.core.responses import ActionResult

        session = session_of(self.access_key)
        if session is None:
            return original(self)
        action = self._get_action()
        root_arn = f"arn:aws:iam::{session.account_id}:root"
        try:
            if clock.now() >= session.expires:
                raise AwsError("ExpiredToken", "The security token included in the request is expired", status=403)
            allowed = _allowed_actions.get(session.task_policy, frozenset())
            user_name = self._get_param("UserName")
            # Each IAM task policy denies every other action, and its actions on anything but the root user.
            if action not in allowed or (user_name and action != "GetAccountSummary"):
                resource = f"arn:aws:iam::{session.account_id}:user/{user_name}" if user_name else root_arn
                raise AwsError(
                    "AccessDenied",
                    (
                        f"User: {root_arn} is not authorized to perform: iam:{action} on resource: {resource} with an "
                        f"explicit deny in an identity-based policy: {TASK_POLICY_PREFIX}{session.task_policy}"
                    ),
                    status=403,
                )
            result = _root_iam_action(self, session, action)
        except AwsError as error:
            # self.serialized applies the error's own HTTP status (extensions.moto_fixes).
            status, headers, body = self.serialized(ActionResult(error))
            headers, body = self._enrich_response(headers, body)
            return status, headers, body
        if result is None:
            return original(self)
        status, headers, body = self.serialized(result)
        headers, body = self._enrich_response(headers, body)
        return status, headers, body

    call_action.__wrapped__ = original
    return call_action


def _wrap_get_caller_identity(original):
    def get_caller_identity(self, access_key_id: str, region: str):
        session = session_of(access_key_id)
        if session is not None:
            # A root session is the member's root user: UserId and Account are the account id.
            return session.account_id, f"arn:aws:iam::{session.account_id}:root", session.account_id
        return original(self, access_key_id, region)

    get_caller_identity.__wrapped__ = original
    return get_caller_identity


def _load_task_policies() -> None:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    policies = json.loads(aws_managed_policies_data)
    for name in TASK_POLICIES:
        statements = policies[name]["Document"]["Statement"]
        deny_others = next(s for s in statements if s.get("Sid") == "DenyAllOtherActionsOnAnyResource")
        _allowed_actions[name] = frozenset(a.split(":", 1)[1] for a in deny_others["NotAction"] if a.startswith("iam:"))


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.iam.responses import IamResponse
    from moto.organizations.models import FakeServiceAccess
    from moto.sts.models import STSBackend
    from moto.sts.responses import TokenResponse

    _load_task_policies()
    if IAM_PRINCIPAL not in FakeServiceAccess.TRUSTED_SERVICES:
        FakeServiceAccess.TRUSTED_SERVICES.append(IAM_PRINCIPAL)
    IamResponse.enable_organizations_root_credentials_management = _feature_action(ROOT_CREDENTIALS_MANAGEMENT, True)
    IamResponse.enable_organizations_root_sessions = _feature_action(ROOT_SESSIONS, True)
    IamResponse.disable_organizations_root_credentials_management = _feature_action(ROOT_CREDENTIALS_MANAGEMENT, False)
    IamResponse.disable_organizations_root_sessions = _feature_action(ROOT_SESSIONS, False)
    IamResponse.list_organizations_features = _feature_action(None, False)
    IamResponse.call_action = _wrap_iam_call_action(IamResponse.call_action)
    TokenResponse.assume_root = assume_root
    STSBackend.get_caller_identity = _wrap_get_caller_identity(STSBackend.get_caller_identity)
    _installed = True


def reset() -> None:
    with _lock:
        _features.clear()
        _credentials.clear()
        _sessions.clear()
