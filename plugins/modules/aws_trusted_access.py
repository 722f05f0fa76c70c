#!/usr/bin/python
# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: aws_trusted_access
short_description: Trusted access of AWS services in the organization, enabled or disabled
version_added: 0.1.0
description:
  - Makes sure the AWS services named by O(service_principals) have trusted access in the organization
    (O(state=present)), or do not (O(state=absent)). Trusted access lets a service act in the organization's
    accounts; the Account Management API, for example, needs it for V(account.amazonaws.com) before the
    management account can set a member account's alternate contacts or name, and centralised root access needs
    it for V(iam.amazonaws.com).
  - Reads the organization's enabled services once (ListAWSServiceAccessForOrganization, all pages), then calls
    EnableAWSServiceAccess or DisableAWSServiceAccess for exactly the listed services that differ. A run that
    changes nothing makes one read.
  - Services not listed are never touched, whatever their state; there is no purge. Other tools (AWS Control
    Tower, Security Hub, AWS Config, IAM Identity Center...) enable trusted access for themselves, and disabling
    theirs can break them.
  - Runs with the organization's management account credentials; other callers get an error that says so.
author:
  - msp.aws_accounts developers (!UNKNOWN)
options:
  service_principals:
    description:
      - The services, by service principal - V(account.amazonaws.com), V(iam.amazonaws.com). Each must be a
        lower-case DNS name ending in V(.amazonaws.com), checked before any call.
      - A service AWS does not know as supporting trusted access fails when the module enables or disables it.
      - An empty list changes nothing.
    type: list
    elements: str
    required: true
  state:
    description:
      - V(present) enables trusted access for the services that do not have it; V(absent) disables it for those
        that have it.
      - AWS advises disabling a service's trusted access through that service's own console or commands, so it
        can clean up what it set up; disable here only what this collection enabled.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Predicts exactly what a run does, from the same single read.
  diff_mode:
    support: full
    description: Shows which of the listed services have trusted access, before and after.
notes:
  - AWS requires an organization with all features for trusted access; an organization with consolidated billing
    only is refused, and the module says so.
  - A ConcurrentModificationException (another change to the organization at the same moment) is retried.
  - If a run fails part of the way through the list, the result still has RV(changed_service_principals), the
    services changed before the failure.
seealso:
  - module: msp.aws_accounts.aws_member_account
"""

EXAMPLES = r"""
- name: Let the Account Management API act in the member accounts (alternate contacts, account names)
  msp.aws_accounts.aws_trusted_access:
    service_principals:
      - account.amazonaws.com

- name: Trusted access for IAM too (centralised root access)
  msp.aws_accounts.aws_trusted_access:
    service_principals:
      - account.amazonaws.com
      - iam.amazonaws.com

- name: Withdraw the trusted access this collection enabled for IAM (other services are left alone)
  msp.aws_accounts.aws_trusted_access:
    service_principals: [iam.amazonaws.com]
    state: absent
"""

RETURN = r"""
enabled_service_principals:
  description:
    - Every service with trusted access in the organization after the run (as predicted in check mode), sorted,
      listed or not.
  returned: success
  type: list
  elements: str
  sample: ["account.amazonaws.com", "sso.amazonaws.com"]
changed_service_principals:
  description:
    - The listed services whose trusted access this run enabled (O(state=present)) or disabled (O(state=absent)),
      or would in check mode, in the order given. Empty when nothing changed.
    - Also returned by a run that fails part of the way, with the services changed before the failure.
  returned: always
  type: list
  elements: str
  sample: ["account.amazonaws.com"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import (
    MspAwsError,
    concurrent_modification_retry,
    quiet_access_key,
    standard_retry_config,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.trusted_access import (
    desired_principals,
    enabled_after,
    list_enabled_principals,
    service_access_changes,
    set_service_access,
)

argument_spec = {
    "service_principals": {"type": "list", "elements": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
}


def diff_view(desired, enabled):
    """The listed services that have trusted access, for the diff."""
    return {"enabled_service_principals": sorted(set(desired) & set(enabled))}


def _ensure(client, desired, enabled, state, check_mode, done):
    """Enable (present) or disable (absent) what differs; ``done`` collects each principal once changed, so a
    failure part of the way can say how far the run got. Returns (changed, the organization's list after)."""
    changes = service_access_changes(desired, enabled, state)
    for principal in changes:
        if not check_mode:
            set_service_access(client, principal, enable=state == "present")
        done.append(principal)
    return bool(changes), enabled_after(enabled, changes, state)


def ensure_present(client, desired, enabled, check_mode, done):
    return _ensure(client, desired, enabled, "present", check_mode, done)


def ensure_absent(client, desired, enabled, check_mode, done):
    return _ensure(client, desired, enabled, "absent", check_mode, done)


def fail(module, done, error):
    """Not module.fail_json_aws_error alone: a run that fails part of the way says what it changed."""
    extra = {"changed": bool(done), "changed_service_principals": done}
    if error.exception is not None:
        module.fail_json_aws(error.exception, msg=error.message, **extra)
    module.fail_json(msg=error.message, **extra)


def main():
    module = AnsibleAWSModule(argument_spec=quiet_access_key(argument_spec), supports_check_mode=True)
    params = module.params
    done = []
    try:
        desired = desired_principals(params["service_principals"])
        client = module.client(
            "organizations", retry_decorator=concurrent_modification_retry, config=standard_retry_config()
        )
        enabled = list_enabled_principals(client)
        ensure = ensure_present if params["state"] == "present" else ensure_absent
        changed, after = ensure(client, desired, enabled, module.check_mode, done)
    except MspAwsError as e:
        fail(module, done, e)
    module.exit_json(
        changed=changed,
        enabled_service_principals=after,
        changed_service_principals=done,
        diff={"before": diff_view(desired, enabled), "after": diff_view(desired, after)},
    )


if __name__ == "__main__":
    main()
