# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The root user's credentials of a member account - password (login profile), access keys, signing certificates
and MFA devices - audited and deleted from the management account through root sessions (STS AssumeRoot, once
centralised root access is enabled in the organization: see root_access.py).

A root session is scoped by an AWS task policy: IAMAuditRootUserCredentials may only read the root user's
credentials, IAMDeleteRootUserCredentials may also delete them. A session lasts at most 900 seconds, and its keys
are secrets: they are used for the session's IAM client and never returned or logged.

Under centralised root access, once the root user has no password (deleted here, or never made: AWS then creates
member accounts without root credentials), nobody can sign in as the root user or recover its password through the
root email - "unless account recovery is enabled" (IAM User Guide, the root user). Allowing it is a root
session with the task policy IAMCreateRootUserPassword and CreateLoginProfile without a password (the IAM API
reference: with an AssumeRoot session, Password and UserName must be omitted): the root user then has a login
profile whose password nobody knows, which its root email's owner resets through "Forgot password?".

Pure: :func:`credentials_from_aws` (IAM's answers as the module returns them), :func:`deletions` (the calls that
delete every credential, in order), :func:`credentials_after`, :func:`recovery_allowed` (what allowing recovery
leaves), :func:`summary` (the diff and what was deleted), :func:`require_region` and :func:`refusal_message` (why
AWS refused a root session, from what the reads after the refusal found). The module, its check mode and the audit
share them.
"""

try:
    import botocore
except ImportError:
    pass  # The modules report a missing botocore through AnsibleAWSModule.

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput, MspAwsError, error_code
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizations import (
    describe_account,
    describe_organization,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.root_access import (
    FEATURES,
    IAM_PRINCIPAL,
    ROOT_ACCESS_HINT,
    list_features,
)

AUDIT_TASK = "IAMAuditRootUserCredentials"
DELETE_TASK = "IAMDeleteRootUserCredentials"
RECOVERY_TASK = "IAMCreateRootUserPassword"
# AssumeRoot's maximum, and its default.
ROOT_SESSION_SECONDS = 900

DELETE_LOGIN_PROFILE = "DeleteLoginProfile"
DELETE_ACCESS_KEY = "DeleteAccessKey"
DELETE_SIGNING_CERTIFICATE = "DeleteSigningCertificate"
DEACTIVATE_MFA_DEVICE = "DeactivateMFADevice"
# Each deletion call, the list of credentials it empties, the key of an entry's id and the call's parameter.
DELETION_CALLS = {
    DELETE_ACCESS_KEY: ("access_keys", "access_key_id", "AccessKeyId"),
    DELETE_SIGNING_CERTIFICATE: ("signing_certificates", "certificate_id", "CertificateId"),
    DEACTIVATE_MFA_DEVICE: ("mfa_devices", "serial_number", "SerialNumber"),
}
LISTS = ("access_keys", "signing_certificates", "mfa_devices")


def task_policy_arn(task, partition="aws"):
    """The ARN of an AWS root task policy (AssumeRoot's TaskPolicyArn)."""
    return f"arn:{partition}:iam::aws:policy/root-task/{task}"


def _when(value):
    """A timestamp as ISO 8601 text (botocore gives datetimes), None when AWS gave none."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def credentials_from_aws(login_profile, access_keys, mfa_devices, signing_certificates):
    """The root user's credentials as the module returns them, from GetLoginProfile's LoginProfile (None: no
    password), ListAccessKeys' AccessKeyMetadata, ListMFADevices' MFADevices and ListSigningCertificates'
    Certificates. Never a certificate's body, and never anything secret (IAM returns no secret here)."""
    return {
        "login_profile": login_profile is not None,
        "login_profile_created": _when((login_profile or {}).get("CreateDate")),
        "access_keys": [
            {"access_key_id": key["AccessKeyId"], "status": key.get("Status"), "created": _when(key.get("CreateDate"))}
            for key in access_keys
        ],
        "signing_certificates": [
            {
                "certificate_id": certificate["CertificateId"],
                "status": certificate.get("Status"),
                "uploaded": _when(certificate.get("UploadDate")),
            }
            for certificate in signing_certificates
        ],
        "mfa_devices": [
            {"serial_number": device["SerialNumber"], "enabled": _when(device.get("EnableDate"))}
            for device in mfa_devices
        ],
    }


def has_credentials(credentials):
    return credentials["login_profile"] or any(credentials[name] for name in LISTS)


def deletions(credentials):
    """The calls that delete every credential, as ``(action, id)``, in order: the password first (no more console
    sign-in), then access keys and signing certificates, and the MFA devices last, so that MFA guards whatever is
    left until the end."""
    steps = [(DELETE_LOGIN_PROFILE, None)] if credentials["login_profile"] else []
    for action, (name, key, _parameter) in DELETION_CALLS.items():
        steps.extend((action, entry[key]) for entry in credentials[name])
    return steps


def credentials_after(credentials, done):
    """The credentials once the deletions ``done`` are made (what check mode predicts)."""
    gone = set(done)
    after = dict(credentials)
    if (DELETE_LOGIN_PROFILE, None) in gone:
        after.update(login_profile=False, login_profile_created=None)
    for action, (name, key, _parameter) in DELETION_CALLS.items():
        after[name] = [entry for entry in credentials[name] if (action, entry[key]) not in gone]
    return after


def recovery_allowed(credentials, created=None):
    """The credentials once the root user has a login profile (password recovery allowed): ``created`` is when
    CreateLoginProfile made it (None: not known, in check mode or when it existed already)."""
    if credentials["login_profile"]:
        return credentials
    return {**credentials, "login_profile": True, "login_profile_created": _when(created)}


def summary(credentials):
    """Which credentials there are, by id: the diff's view."""
    view = {"login_profile": credentials["login_profile"]}
    for _action, (name, key, _parameter) in DELETION_CALLS.items():
        view[name] = [entry[key] for entry in credentials[name]]
    return view


def deleted_summary(done):
    """What the deletions ``done`` removed, in the shape of :func:`summary`."""
    view = {"login_profile": (DELETE_LOGIN_PROFILE, None) in done}
    for action, (name, _key, _parameter) in DELETION_CALLS.items():
        view[name] = [ident for step, ident in done if step == action]
    return view


def refusal_message(account_id, task, management_account_id=None, features=None, features_error=None, member=None):
    """Why AWS refused AssumeRoot into ``account_id``, from what the reads after the refusal found (None: not
    known): the organization's management account, the enabled features of centralised root access (or IAM's
    error code when they could not be read) and whether the account is a member."""
    findings = []
    if management_account_id == account_id:
        findings.append(
            f"account_id: {account_id} is the organization's management account, and AssumeRoot cannot target it - "
            "only member accounts' root users are managed centrally (secure the management account's root user "
            "itself: MFA, no access keys)"
        )
    if features_error == "ServiceAccessNotEnabled":
        findings.append(
            f"centralised root access is not enabled in the organization (IAM, {IAM_PRINCIPAL}, has no trusted "
            f"access): {ROOT_ACCESS_HINT}"
        )
    elif features is not None:
        missing = [feature for feature in FEATURES if feature not in features]
        if missing:
            findings.append(
                f"centralised root access in the organization lacks {' and '.join(missing)}: {ROOT_ACCESS_HINT}"
            )
    if member is False and management_account_id != account_id:
        findings.append(
            f"account_id: {account_id} is not a member account of the caller's organization (AssumeRoot works only "
            "for its member accounts)"
        )
    if not findings:
        findings.append(
            "the caller needs sts:AssumeRoot from the organization's management account (or IAM's delegated "
            "administrator for centralised root access), and no SCP may deny it"
        )
    return f"AssumeRoot into account {account_id} ({task}) was refused: " + "; ".join(findings)


def require_region(region):
    """AssumeRoot needs a regional STS endpoint: without a region, botocore sends STS to the global endpoint,
    which does not support it. Checked before any call, so the module fails naming the option."""
    if not region:
        raise InvalidInput(
            "region",
            "is required: AssumeRoot is answered only by a regional STS endpoint, and without a region STS is "
            "called at the global one (set region, or AWS_REGION)",
        )
    return region


# --- the calls ------------------------------------------------------------------------------------------------


def refusal_facts(organizations, iam, account_id):
    """What :func:`refusal_message` needs, read with the caller's own credentials after AWS refused a root session.
    A read that fails leaves its fact unknown: the diagnosis must not hide AWS's refusal behind its own error."""
    facts = {}
    try:
        facts["management_account_id"] = describe_organization(organizations)["management_account_id"]
    except MspAwsError:
        pass
    try:
        facts["features"] = list_features(iam)
    except MspAwsError as e:
        facts["features_error"] = (error_code(e.exception) or "").removesuffix("Exception")
    if facts.get("management_account_id") not in (None, account_id):
        try:
            facts["member"] = describe_account(organizations, account_id) is not None
        except MspAwsError:
            pass
    return facts


def open_root_session(sts, account_id, task, partition, diagnose):
    """AssumeRoot into ``account_id`` with the task policy ``task``: the session's keys, as boto3 client keyword
    arguments. On AccessDenied, ``diagnose()`` (the facts of :func:`refusal_facts`) says why."""
    try:
        credentials = sts.assume_root(
            TargetPrincipal=account_id,
            TaskPolicyArn={"arn": task_policy_arn(task, partition)},
            DurationSeconds=ROOT_SESSION_SECONDS,
            aws_retry=True,
        )["Credentials"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        code = error_code(e)
        if code in ("AccessDenied", "AccessDeniedException"):
            raise MspAwsError(message=refusal_message(account_id, task, **diagnose()), exception=e) from e
        if code == "RegionDisabledException":
            raise MspAwsError(
                message=(
                    f"AssumeRoot into account {account_id} failed: STS is not activated in this region for the "
                    "management account; set region to a region where it is (AssumeRoot needs a regional endpoint)"
                ),
                exception=e,
            ) from e
        raise MspAwsError(
            message=(
                f"AssumeRoot into account {account_id} ({task}) failed. AssumeRoot needs a regional STS endpoint: set "
                "region (and leave AWS_STS_REGIONAL_ENDPOINTS unset or 'regional')"
            ),
            exception=e,
        ) from e
    return {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }


def _session_failure(e, action, account_id):
    return MspAwsError(message=f"iam:{action} on the root user of account {account_id} failed", exception=e)


def _list_all(iam, operation, result_key):
    paginator = iam.get_paginator(operation)
    return paginator.paginate().build_full_result().get(result_key, [])


def read_root_credentials(iam, account_id):
    """The root user's credentials, with a root session's IAM client (GetLoginProfile, ListAccessKeys,
    ListSigningCertificates and ListMFADevices, all pages): as :func:`credentials_from_aws` returns them."""
    try:
        login_profile = iam.get_login_profile(aws_retry=True)["LoginProfile"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        if error_code(e) != "NoSuchEntity":
            raise _session_failure(e, "GetLoginProfile", account_id) from e
        login_profile = None
    lists = {}
    for action, operation, result_key in (
        ("ListAccessKeys", "list_access_keys", "AccessKeyMetadata"),
        ("ListMFADevices", "list_mfa_devices", "MFADevices"),
        ("ListSigningCertificates", "list_signing_certificates", "Certificates"),
    ):
        try:
            lists[result_key] = _list_all(iam, operation, result_key)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            raise _session_failure(e, action, account_id) from e
    return credentials_from_aws(login_profile, lists["AccessKeyMetadata"], lists["MFADevices"], lists["Certificates"])


def delete_credential(iam, action, ident, account_id):
    """One deletion from :func:`deletions`, with a root session's IAM client. Returns False when IAM says the
    credential is gone already (NoSuchEntity: deleted since the audit read), True when this call deleted it."""
    params = {DELETION_CALLS[action][2]: ident} if action in DELETION_CALLS else {}
    try:
        getattr(iam, botocore.xform_name(action))(aws_retry=True, **params)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        if error_code(e) == "NoSuchEntity":
            return False
        raise _session_failure(e, action, account_id) from e
    return True


def create_login_profile(iam, account_id):
    """CreateLoginProfile with a root session's IAM client (task policy IAMCreateRootUserPassword), without a
    password or user name, as AWS requires in a root session. Returns ``(created, CreateDate)``; ``created`` is
    False when IAM says the root user has a login profile already (made since the audit read)."""
    try:
        profile = iam.create_login_profile(aws_retry=True)["LoginProfile"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        if error_code(e) == "EntityAlreadyExists":
            return False, None
        raise _session_failure(e, "CreateLoginProfile", account_id) from e
    return True, profile.get("CreateDate")
