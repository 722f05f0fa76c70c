#!/usr/bin/python
# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: aws_root_access
short_description: Centralised root access in the organization, enabled or disabled
version_added: 0.1.0
description:
  - Makes centralised root access what is asked for in the organization, from its management account. With it, the
    management account audits and deletes the root user's credentials of member accounts (feature
    V(RootCredentialsManagement)) through short root sessions (feature V(RootSessions), STS AssumeRoot), so that a
    member account needs no root password at all; M(msp.aws_accounts.aws_root_credentials) does that per account.
  - O(state=present) makes sure IAM (V(iam.amazonaws.com)) has trusted access in the organization, and enables or
    disables each feature whose option is set. O(state=absent) disables both features and leaves trusted access
    alone unless O(disable_trusted_access=true).
  - Reads the organization's trusted access once (ListAWSServiceAccessForOrganization, all pages) and, when IAM has
    it, the enabled features once (ListOrganizationsFeatures). IAM answers the features only while it has trusted
    access, so a run that enables trusted access reads them right after - again after a few seconds, up to 15 in
    all, while IAM has not yet learnt of its new trusted access. Then it calls
    EnableOrganizationsRootCredentialsManagement, EnableOrganizationsRootSessions or their Disable forms for exactly
    the features that differ. A run that changes nothing makes those two reads.
  - Trusted access of any other service is never touched (M(msp.aws_accounts.aws_trusted_access) manages those).
author:
  - msp.aws_accounts developers (!UNKNOWN)
options:
  state:
    description:
      - V(present) - trusted access for IAM is enabled, and each feature whose option is set is enabled (V(true))
        or disabled (V(false)).
      - V(absent) - both features are disabled. Trusted access for IAM stays unless O(disable_trusted_access=true).
    type: str
    choices: [present, absent]
    default: present
  root_credentials_management:
    description:
      - Whether the management account (or IAM's delegated administrator) may audit and delete the root user's
        credentials of member accounts, and allow a root password to be recovered (feature
        V(RootCredentialsManagement)). Once it is enabled, AWS creates new member accounts without root
        credentials.
      - Unset, the feature is left as it is.
      - With O(state=absent), the feature is disabled; V(true) is refused.
    type: bool
  root_sessions:
    description:
      - Whether the management account (or IAM's delegated administrator) may open root sessions in member
        accounts, scoped by a task policy (feature V(RootSessions), STS AssumeRoot).
        M(msp.aws_accounts.aws_root_credentials) needs it.
      - Unset, the feature is left as it is.
      - With O(state=absent), the feature is disabled; V(true) is refused.
    type: bool
  disable_trusted_access:
    description:
      - With O(state=absent), also disable IAM's trusted access in the organization, after the features.
      - By default it stays - other IAM organization features may rely on it, and AWS advises disabling a service's
        trusted access through that service, as this module does, only once its features are off.
      - V(true) with O(state=present) is refused.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description:
      - Predicts what a run does from the same reads. When IAM has no trusted access yet, the features cannot be
        read, and check mode takes both to be disabled (as they are in effect).
  diff_mode:
    support: full
    description: Shows whether IAM has trusted access and which features are enabled, before and after.
notes:
  - AWS requires an organization with all features; the calls are refused otherwise, and the module says so.
  - The caller needs C(organizations:ListAWSServiceAccessForOrganization), C(organizations:EnableAWSServiceAccess)
    (and C(organizations:DisableAWSServiceAccess) for O(disable_trusted_access)), C(iam:ListOrganizationsFeatures)
    and the C(iam:EnableOrganizations*) and C(iam:DisableOrganizations*) calls it makes.
  - A ConcurrentModificationException (another change to the organization at the same moment) is retried.
  - If a run fails part of the way, the result still has RV(actions), the calls made before the failure.
seealso:
  - module: msp.aws_accounts.aws_root_credentials
  - module: msp.aws_accounts.aws_trusted_access
"""

EXAMPLES = r"""
- name: Centralised root access, so that member accounts' root credentials can be audited and deleted
  msp.aws_accounts.aws_root_access:
    root_credentials_management: true
    root_sessions: true

- name: Root credentials management only, no root sessions (the other feature is left as it is)
  msp.aws_accounts.aws_root_access:
    root_credentials_management: true

- name: Disable both features; IAM keeps its trusted access
  msp.aws_accounts.aws_root_access:
    state: absent

- name: Disable both features and IAM's trusted access
  msp.aws_accounts.aws_root_access:
    state: absent
    disable_trusted_access: true
"""

RETURN = r"""
root_access:
  description: Centralised root access in the organization after the run (as predicted in check mode).
  returned: success
  type: dict
  contains:
    trusted_access:
      description: Whether IAM (V(iam.amazonaws.com)) has trusted access in the organization.
      type: bool
      returned: always
      sample: true
    enabled_features:
      description:
        - The features enabled, sorted - V(RootCredentialsManagement), V(RootSessions). Empty without trusted
          access, when no feature is in effect.
      type: list
      elements: str
      returned: always
      sample: ["RootCredentialsManagement", "RootSessions"]
actions:
  description:
    - The calls this run made to change the organization (in check mode, would make), in order -
      V(EnableAWSServiceAccess) and V(DisableAWSServiceAccess) for IAM's trusted access,
      V(EnableOrganizationsRootCredentialsManagement), V(EnableOrganizationsRootSessions) and their V(Disable)
      forms. Empty when nothing changed.
    - Also returned by a run that fails part of the way, with the calls made before the failure.
  returned: always
  type: list
  elements: str
  sample: ["EnableAWSServiceAccess", "EnableOrganizationsRootCredentialsManagement", "EnableOrganizationsRootSessions"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import (
    MspAwsError,
    concurrent_modification_retry,
    quiet_access_key,
    standard_retry_config,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.root_access import (
    DISABLE_TRUSTED_ACCESS,
    ENABLE_TRUSTED_ACCESS,
    IAM_PRINCIPAL,
    desired_root_access,
    list_features,
    list_features_after_enabling,
    root_access_actions,
    root_access_after,
    set_feature,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.trusted_access import (
    list_enabled_principals,
    set_service_access,
)

argument_spec = {
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "root_credentials_management": {"type": "bool"},
    "root_sessions": {"type": "bool"},
    "disable_trusted_access": {"type": "bool", "default": False},
}


def read(organizations, iam):
    """Trusted access for IAM and, only while IAM has it (IAM refuses the read otherwise), the enabled features."""
    trusted = IAM_PRINCIPAL in list_enabled_principals(organizations)
    return {"trusted_access": trusted, "enabled_features": list_features(iam) if trusted else []}


def _apply(organizations, iam, action):
    if action in (ENABLE_TRUSTED_ACCESS, DISABLE_TRUSTED_ACCESS):
        set_service_access(organizations, IAM_PRINCIPAL, enable=action == ENABLE_TRUSTED_ACCESS)
    else:
        set_feature(iam, action)


def _ensure(organizations, iam, desired, actual, check_mode, done):
    """Make the calls root_access_actions decides; ``done`` collects each once made, so a failure part of the way
    can say how far the run got. Returns (changed, root access after)."""
    actions = root_access_actions(desired, actual)
    if not check_mode and actions[:1] == [ENABLE_TRUSTED_ACCESS]:
        _apply(organizations, iam, ENABLE_TRUSTED_ACCESS)
        done.append(ENABLE_TRUSTED_ACCESS)
        # The features could not be read without trusted access: read them now, and decide on what AWS has.
        actual = {"trusted_access": True, "enabled_features": list_features_after_enabling(iam)}
        actions = root_access_actions(desired, actual)
    for action in actions:
        if not check_mode:
            _apply(organizations, iam, action)
        done.append(action)
    return bool(done), root_access_after(actual, actions)


def ensure_present(organizations, iam, desired, actual, check_mode, done):
    return _ensure(organizations, iam, desired, actual, check_mode, done)


def ensure_absent(organizations, iam, desired, actual, check_mode, done):
    return _ensure(organizations, iam, desired, actual, check_mode, done)


def fail(module, done, error):
    """Not module.fail_json_aws_error alone: a run that fails part of the way says which calls it made."""
    extra = {"changed": bool(done), "actions": done}
    if error.exception is not None:
        module.fail_json_aws(error.exception, msg=error.message, **extra)
    module.fail_json(msg=error.message, **extra)


def main():
    module = AnsibleAWSModule(argument_spec=quiet_access_key(argument_spec), supports_check_mode=True)
    params = module.params
    done = []
    try:
        desired = desired_root_access(
            params["state"],
            params["root_credentials_management"],
            params["root_sessions"],
            params["disable_trusted_access"],
        )
        retrying = {"retry_decorator": concurrent_modification_retry, "config": standard_retry_config()}
        organizations = module.client("organizations", **retrying)
        iam = module.client("iam", **retrying)
        before = read(organizations, iam)
        ensure = ensure_present if params["state"] == "present" else ensure_absent
        changed, after = ensure(organizations, iam, desired, before, module.check_mode, done)
    except MspAwsError as e:
        fail(module, done, e)
    module.exit_json(changed=changed, root_access=after, actions=done, diff={"before": before, "after": after})


if __name__ == "__main__":
    main()
