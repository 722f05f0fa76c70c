#!/usr/bin/python
# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: aws_root_credentials
short_description: A member account's root user credentials, audited or deleted through root sessions
version_added: 0.1.0
description:
  - Audits, or deletes, the root user's credentials of the member account O(account_id) - its password (login
    profile), access keys, signing certificates and MFA devices - from the organization's management account, through
    centralised root access (STS AssumeRoot). Nobody signs in as the root user to do it. Once they are deleted the
    account has no root password at all, and under centralised root access nobody can recover one through the root
    email; only the management account can allow that again, with O(state=recovery_allowed).
  - Always reads first, in a root session scoped by AWS's task policy V(IAMAuditRootUserCredentials), which may only
    read - GetLoginProfile, ListAccessKeys, ListMFADevices and ListSigningCertificates (all pages).
  - O(state=absent) then, only if a credential exists, opens a second root session with the task policy
    V(IAMDeleteRootUserCredentials) and deletes each - DeleteLoginProfile, DeleteAccessKey,
    DeleteSigningCertificate and DeactivateMFADevice, in that order, so that MFA guards whatever is left until the
    end. A run that finds nothing opens no session that could delete.
  - O(state=recovery_allowed) then, only if the root user has no password (login profile), opens a root session
    with the task policy V(IAMCreateRootUserPassword) and calls CreateLoginProfile without a password, as AWS
    requires in a root session. The root user then has a password nobody knows, and whoever reads the root email can
    set one through "Forgot password?" on the root user sign-in page. A run that finds a login profile changes
    nothing and opens no other session.
  - A root session's keys are secrets. They serve only the module's own IAM client for that session, which lasts
    at most 900 seconds, and are never returned or logged.
author:
  - msp.aws_accounts developers (!UNKNOWN)
options:
  account_id:
    description:
      - The member account, 12 digits.
      - It must be a member of the caller's organization. AssumeRoot cannot target the management account itself,
        whose root user stays in its owner's hands.
    type: str
    required: true
  state:
    description:
      - V(audited) - read only - reports the root user's credentials, and changes nothing.
      - V(absent) - deletes every credential the root user has. The run is changed only if it deleted something.
      - V(recovery_allowed) - makes sure the root user's password can be recovered through the root email - it
        gets a login profile without a known password if it has none. The run is changed only if it created one.
        Access keys, signing certificates and MFA devices are left as they are.
    type: str
    choices: [audited, absent, recovery_allowed]
    default: audited
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description:
      - Opens the read-only audit session and predicts, from what it read, what a run deletes or creates; it opens
        no session that could delete or create anything.
  diff_mode:
    support: full
    description: Shows the root user's credentials by id (password or not, access keys, signing certificates, MFA
      devices) before and after.
notes:
  - Centralised root access must be enabled in the organization - trusted access for IAM, and the features
    V(RootCredentialsManagement) and V(RootSessions) (M(msp.aws_accounts.aws_root_access)). When AWS refuses the root
    session, the module reads the organization (DescribeOrganization, ListOrganizationsFeatures, DescribeAccount) and
    says why - the management account itself, root access not enabled, or an account that is not a member.
  - The caller needs C(sts:AssumeRoot) (the management account, or IAM's delegated administrator for centralised
    root access), and no SCP may deny it.
  - AssumeRoot needs a regional STS endpoint - set O(region) (or C(AWS_REGION)); without one the module fails,
    naming O(region), before any call. The partition of the task policies follows the region.
  - A handover must run O(state=recovery_allowed) before the account leaves the organization. Under centralised
    root access a member account whose root user has no password cannot recover one, and once the account has
    left, the management account can no longer open a root session in it to allow recovery. The client then
    resets the root password through "Forgot password?" with the root email (hand that over first,
    M(msp.aws_accounts.aws_account_primary_email)).
  - O(state=absent) deletes the login profile that O(state=recovery_allowed) creates; run only one of them for an
    account.
  - MFA devices are deactivated, not deleted; a virtual MFA device left without its user cannot be used to sign in.
  - If a run fails part of the way, the result still has RV(deleted), what was deleted before the failure.
seealso:
  - module: msp.aws_accounts.aws_root_access
  - module: msp.aws_accounts.aws_member_account
"""

EXAMPLES = r"""
- name: Enable centralised root access in the organization (once)
  msp.aws_accounts.aws_root_access:
    root_credentials_management: true
    root_sessions: true

- name: Audit the root user's credentials of the client's account
  msp.aws_accounts.aws_root_credentials:
    account_id: "210987654321"
  register: root_audit

- name: Say whether a root password exists
  ansible.builtin.debug:
    msg: >-
      Root password: {{ root_audit.root_credentials.login_profile }}
      (created {{ root_audit.root_credentials.login_profile_created }})

- name: Delete every root credential of an account the MSP created (the modern throw-away password)
  msp.aws_accounts.aws_root_credentials:
    account_id: "210987654321"
    state: absent

# Handover, before the account leaves the organization: the client's mailbox gets the root email first,
# then the root password becomes recoverable through "Forgot password?".
- name: Allow the root password to be recovered through the root email
  msp.aws_accounts.aws_root_credentials:
    account_id: "210987654321"
    state: recovery_allowed
"""

RETURN = r"""
root_credentials:
  description:
    - The root user's credentials after the run (as predicted in check mode; for O(state=audited), as read).
    - After O(state=recovery_allowed), RV(root_credentials.login_profile) is V(true).
  returned: success
  type: dict
  contains:
    account_id:
      description: The account.
      type: str
      returned: always
      sample: "210987654321"
    has_credentials:
      description: Whether the root user has any credential at all.
      type: bool
      returned: always
      sample: true
    login_profile:
      description: Whether the root user has a password (a login profile).
      type: bool
      returned: always
      sample: true
    login_profile_created:
      description:
        - When the password was created, ISO 8601; null without one.
        - Also null in check mode for the login profile O(state=recovery_allowed) would create.
      type: str
      returned: always
      sample: "2025-01-31T10:00:00+00:00"
    access_keys:
      description: The root user's access keys (their ids; the secret is never readable).
      type: list
      elements: dict
      returned: always
      contains:
        access_key_id:
          description: The key's id.
          type: str
          sample: AKIAIOSFODNN7EXAMPLE
        status:
          description: V(Active) or V(Inactive).
          type: str
          sample: Active
        created:
          description: When the key was created, ISO 8601.
          type: str
          sample: "2025-01-31T10:00:00+00:00"
    signing_certificates:
      description: The root user's X.509 signing certificates (without their bodies).
      type: list
      elements: dict
      returned: always
      contains:
        certificate_id:
          description: The certificate's id.
          type: str
          sample: TA7SMP42TDN5Z26OBPJE7EXAMPLE
        status:
          description: V(Active) or V(Inactive).
          type: str
          sample: Active
        uploaded:
          description: When the certificate was uploaded, ISO 8601.
          type: str
          sample: "2025-01-31T10:00:00+00:00"
    mfa_devices:
      description: The root user's MFA devices.
      type: list
      elements: dict
      returned: always
      contains:
        serial_number:
          description: The device's serial number; a virtual device's is its ARN.
          type: str
          sample: arn:aws:iam::210987654321:mfa/root-account-mfa-device
        enabled:
          description: When the device was enabled, ISO 8601.
          type: str
          sample: "2025-01-31T10:00:00+00:00"
deleted:
  description:
    - What this run deleted (in check mode, would delete), by id. Nothing for O(state=audited) and
      O(state=recovery_allowed).
    - Also returned by a run that fails part of the way, with what was deleted before the failure.
  returned: always
  type: dict
  contains:
    login_profile:
      description: Whether the password was deleted.
      type: bool
      sample: true
    access_keys:
      description: The ids of the access keys deleted.
      type: list
      elements: str
      sample: ["AKIAIOSFODNN7EXAMPLE"]
    signing_certificates:
      description: The ids of the signing certificates deleted.
      type: list
      elements: str
      sample: []
    mfa_devices:
      description: The serial numbers of the MFA devices deactivated.
      type: list
      elements: str
      sample: ["arn:aws:iam::210987654321:mfa/root-account-mfa-device"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import (
    MspAwsError,
    concurrent_modification_retry,
    quiet_access_key,
    standard_retry_config,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.root_credentials import (
    AUDIT_TASK,
    DELETE_TASK,
    RECOVERY_TASK,
    create_login_profile,
    credentials_after,
    delete_credential,
    deleted_summary,
    deletions,
    has_credentials,
    open_root_session,
    read_root_credentials,
    recovery_allowed,
    refusal_facts,
    require_region,
    summary,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.sts import partition_for_region
from ansible_collections.msp.aws_accounts.plugins.module_utils.validation import require_account_id

argument_spec = {
    "account_id": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["audited", "absent", "recovery_allowed"], "default": "audited"},
}
RETRYING = {"retry_decorator": concurrent_modification_retry}


class AccountRootSessions:
    """Root sessions into one account, from the management account's connection (``make_client`` is
    AnsibleAWSModule.client): each gives an IAM client with the session's keys, which go nowhere else."""

    def __init__(self, make_client, region, account_id):
        self.make_client = make_client
        self.partition = partition_for_region(region)
        self.account_id = account_id
        self.sts = make_client("sts", config=standard_retry_config(), **RETRYING)

    def diagnose(self):
        return refusal_facts(
            self.make_client("organizations", config=standard_retry_config(), **RETRYING),
            self.make_client("iam", config=standard_retry_config(), **RETRYING),
            self.account_id,
        )

    def iam(self, task):
        credentials = open_root_session(self.sts, self.account_id, task, self.partition, self.diagnose)
        return self.make_client("iam", config=standard_retry_config(), **RETRYING, **credentials)


def audit(sessions):
    """The root user's credentials, read in an audit session (the only read)."""
    return read_root_credentials(sessions.iam(AUDIT_TASK), sessions.account_id)


def ensure_audited(sessions, actual, check_mode, done):
    return False, actual


def ensure_absent(sessions, actual, check_mode, done):
    """Delete every credential in a delete session, opened only if there is one; ``done`` collects each deletion
    once made, so a failure part of the way can say how far the run got. Returns (changed, credentials after)."""
    steps = deletions(actual)
    if steps and not check_mode:
        iam = sessions.iam(DELETE_TASK)
        for action, ident in steps:
            if delete_credential(iam, action, ident, sessions.account_id):
                done.append((action, ident))
    elif steps:
        done.extend(steps)
    # A credential IAM said was gone already (deleted since the audit read) is gone all the same.
    return bool(done), credentials_after(actual, steps)


def ensure_recovery_allowed(sessions, actual, check_mode, done):
    """Give the root user a login profile without a known password, in a session opened only if it has none, so
    that the root email's owner can recover the password. Returns (changed, credentials after)."""
    if actual["login_profile"]:
        return False, actual
    if check_mode:
        return True, recovery_allowed(actual)
    created, when = create_login_profile(sessions.iam(RECOVERY_TASK), sessions.account_id)
    # A login profile IAM said exists already (made since the audit read) allows recovery all the same.
    return created, recovery_allowed(actual, when)


ENSURE = {"audited": ensure_audited, "absent": ensure_absent, "recovery_allowed": ensure_recovery_allowed}


def fail(module, done, error):
    """Not module.fail_json_aws_error alone: a run that fails part of the way says what it deleted."""
    extra = {"changed": bool(done), "deleted": deleted_summary(done)}
    if error.exception is not None:
        module.fail_json_aws(error.exception, msg=error.message, **extra)
    module.fail_json(msg=error.message, **extra)


def main():
    module = AnsibleAWSModule(argument_spec=quiet_access_key(argument_spec), supports_check_mode=True)
    account_id = module.params["account_id"]
    done = []
    try:
        require_account_id(account_id)
        region = require_region(module.region)
        sessions = AccountRootSessions(module.client, region, account_id)
        before = audit(sessions)
        changed, after = ENSURE[module.params["state"]](sessions, before, module.check_mode, done)
    except MspAwsError as e:
        fail(module, done, e)
    module.exit_json(
        changed=changed,
        root_credentials={"account_id": account_id, "has_credentials": bool(has_credentials(after)), **after},
        deleted=deleted_summary(done),
        diff={"before": summary(before), "after": summary(after)},
    )


if __name__ == "__main__":
    main()
