#!/usr/bin/python
# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Ansible wants DOCUMENTATION, EXAMPLES and RETURN before any import.

DOCUMENTATION = r"""
---
module: aws_xacct_role
version_added: 0.1.0
short_description: A role in a client's account for the MSP's main account, with MFA, and its switch-role link
description:
  - Creates, updates or deletes an IAM role in a client's AWS account that trusts the MSP's main account (or only
    named users and roles in it), requires MFA by default, and carries the permissions the MSP chooses.
  - Returns the console's switch-role link and the C(~/.aws/config) profile keys for the role.
  - Trust and permission policies are compared by meaning, so a policy AWS returns URL-encoded, reordered, with
    C(:root) ARNs for account ids (in any partition) or with C(true) for C("true") never shows a change.
  - A run that changes nothing reads the role with one GetRole, one ListAttachedRolePolicies and one
    ListRolePolicies (plus one GetRolePolicy per managed inline policy), and assumes no role when the connection
    options already point into the client account.
  - An option left unset is not touched on an existing role.
author:
  - msp.aws_accounts developers (!UNKNOWN)
options:
  name:
    description:
      - The role's name.
      - Unless the role demands an ExternalId, its path (without the leading C(/); for an existing role, the path it
        has) and name together must be at most 64 characters, as the console's Switch Role requires; longer fails
        before anything is written.
    type: str
    required: true
    aliases: [role_name]
  path:
    description:
      - The role's path, beginning and ending with C(/). New roles default to C(/).
      - IAM cannot move an existing role to another path; asking for one fails before anything is written.
    type: str
  description:
    description:
      - The role's description, up to 1000 characters of IAM's set (tab, line feed, carriage return, U+0020-U+007E
        and U+00A1-U+00FF). An empty string removes it.
    type: str
  state:
    description:
      - V(absent) removes the role from its instance profiles, detaches its managed policies, deletes its inline
        policies and then the role.
    type: str
    choices: [present, absent]
    default: present
  trusted_account_ids:
    description:
      - The accounts (normally the MSP's main account) whose principals may assume the role, as 12-digit ids.
      - One of O(trusted_account_ids), O(trusted_principals) or O(trust_policy) is needed to create a role; with
        none of them the trust policy of an existing role is not touched.
      - Mutually exclusive with O(trusted_principals) and O(trust_policy).
    type: list
    elements: str
  trusted_principals:
    description:
      - Narrower than O(trusted_account_ids), the ARNs of the IAM users (or, without O(require_mfa), roles) that may
        assume the role.
      - A whole account (a C(:root) ARN) is refused; give its id in O(trusted_account_ids) instead. The two options
        are mutually exclusive, since a trusted account would let in every principal of it anyway.
      - A role ARN is refused while O(require_mfa) is true, because a role session carries
        C(aws:MultiFactorAuthPresent=false) and could never get in.
    type: list
    elements: str
  require_mfa:
    description:
      - Demand MFA (C(Bool aws:MultiFactorAuthPresent "true")). Long-term access keys and role sessions never pass it.
      - Unset means true when the trust policy is built from O(trusted_account_ids) or O(trusted_principals).
      - Setting it without one of those fails (it would not be applied), and it is mutually exclusive with
        O(trust_policy).
    type: bool
  mfa_max_age:
    description:
      - Demand an MFA authentication younger than this many seconds (C(NumericLessThan aws:MultiFactorAuthAge)).
      - Needs O(require_mfa), and O(trusted_account_ids) or O(trusted_principals).
    type: int
  external_id:
    description:
      - Demand this ExternalId (C(StringEquals sts:ExternalId)), for roles that automation assumes on a client's
        behalf.
      - Needs O(trusted_account_ids) or O(trusted_principals).
      - The console's Switch Role cannot pass an ExternalId, so such a role gets no RV(switch_role_url); give human
        roles MFA and pinned O(trusted_principals) instead.
    type: str
  trust_policy:
    description:
      - A trust policy (a dict or JSON text) used as it is instead of the one built from the options above.
      - At most 4096 characters without white space, the largest quota IAM grants; the default quota is 2048, and
        IAM refuses a larger one at the first write of the run, before anything else is written.
    type: json
  managed_policies:
    description:
      - Managed policies to attach, as AWS-managed short names (V(AdministratorAccess), V(ReadOnlyAccess),
        V(job-function/ViewOnlyAccess)), resolved to the partition's C(arn:aws:iam::aws:policy/...), or full ARNs.
      - Policies that are not attached yet are looked up first; an unknown one fails before anything is written.
    type: list
    elements: str
  inline_policies:
    description:
      - Inline policies, as a mapping of policy name to policy document (a dict or JSON text).
      - Together at most 10240 characters without white space, IAM's limit for a role.
    type: dict
  purge_policies:
    description:
      - Detach managed policies not in O(managed_policies) and delete inline policies not in O(inline_policies).
      - Only applies to the kind of policy whose option is given.
    type: bool
    default: true
  permissions_boundary:
    description:
      - A managed policy (short name or ARN) to set as the role's permissions boundary; an empty string removes it.
    type: str
  max_session_duration:
    description:
      - The longest session the role allows, 3600 to 43200 seconds. New roles default to 3600.
    type: int
  display_name:
    description:
      - The name the console shows for the switched role (up to 64 characters). Defaults to C(<name> @ <account id>).
    type: str
  color:
    description:
      - The console's colour for the switched role, six hex digits without C(#).
    type: str
notes:
  - The partition (and so the ARNs of AWS-managed policies and the sign-in host of the link) comes from the region;
    set O(region) (or C(AWS_REGION)) to a region of aws-cn or aws-us-gov to work there. Without a region it is aws.
  - Tags follow IAM's rules (at most 50, keys up to 128 characters and not beginning with C(aws:), values up to
    256), checked before anything is written.
  - Anyone in a trusted account who can create and enable MFA devices can produce an MFA claim; restrict
    C(iam:CreateVirtualMFADevice) and C(iam:EnableMFADevice) in the MSP's main account.
  - A role session carries C(aws:MultiFactorAuthPresent=false), so an MFA-gated role cannot be reached by role chaining.
extends_documentation_fragment:
  - msp.aws_accounts.client_account
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Check mode reports exactly the calls and the role a run would make.
  diff_mode:
    support: full
    description: The diff shows the role (trust, policies, tags, session duration) before and after.
"""

EXAMPLES = r"""
- name: Full administrator for the MSP's engineers, with MFA, in a member account
  msp.aws_accounts.aws_xacct_role:
    account_id: "210987654321"
    name: MspAdministrator
    description: MSP administrators (MFA required)
    trusted_account_ids: ["123456789012"]
    managed_policies: [AdministratorAccess]
    max_session_duration: 14400
    display_name: Globex admin
    color: F2B0A9
    tags:
      managed-by: msp
  register: admin_role

- name: Save the link in the password manager
  ansible.builtin.debug:
    msg: "{{ admin_role.switch_role_url }}"

- name: An on-call role that only two named users may assume, with an MFA no older than an hour
  msp.aws_accounts.aws_xacct_role:
    account_id: "210987654321"
    name: MspOnCall
    path: /msp/
    # Users, not roles: a role session carries no MFA, so an MFA-gated role refuses role ARNs here.
    trusted_principals:
      - arn:aws:iam::123456789012:user/alice
      - arn:aws:iam::123456789012:user/bob
    mfa_max_age: 3600
    managed_policies: [ReadOnlyAccess, job-function/SupportUser]
    inline_policies:
      restart-instances:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: [ec2:RebootInstances, ec2:StartInstances, ec2:StopInstances]
            Resource: "*"

- name: An automation role with an ExternalId (no switch-role link), with credentials already in the client account
  msp.aws_accounts.aws_xacct_role:
    name: MspAutomation
    trusted_principals: ["arn:aws:iam::123456789012:role/msp-automation"]
    require_mfa: false
    external_id: globex-7f3a
    managed_policies: [arn:aws:iam::210987654321:policy/MspAutomationPolicy]
    permissions_boundary: arn:aws:iam::210987654321:policy/MspBoundary

- name: Remove the role and everything attached to it
  msp.aws_accounts.aws_xacct_role:
    account_id: "210987654321"
    name: MspOnCall
    state: absent
"""

RETURN = r"""
role:
  description: The role after the run (predicted in check mode); null when it is absent.
  returned: always
  type: dict
  contains:
    name:
      description: The role's name.
      type: str
      sample: MspAdministrator
    arn:
      description:
        - The role's ARN. In check mode for a new role it is predicted from O(account_id), or else from the
          account of the credentials (one GetCallerIdentity; if that fails, the run fails).
      type: str
      sample: arn:aws:iam::210987654321:role/MspAdministrator
    path:
      description: The role's path.
      type: str
      sample: /
    description:
      description: The role's description, or null.
      type: str
    trust_policy:
      description: The trust policy document.
      type: dict
    max_session_duration:
      description: The longest session in seconds.
      type: int
      sample: 3600
    permissions_boundary:
      description: The ARN of the permissions boundary, or null.
      type: str
    tags:
      description: The role's tags.
      type: dict
    managed_policies:
      description: ARNs of the attached managed policies, sorted.
      type: list
      elements: str
    inline_policies:
      description: Names of the inline policies, sorted.
      type: list
      elements: str
switch_role_url:
  description:
    - The console's switch-role link, for the partition's sign-in host.
    - Null when the role is absent or demands an ExternalId (the console cannot pass one), and in the aws-iso
      partitions, which have no public console sign-in host.
  returned: always
  type: str
  sample: https://signin.aws.amazon.com/switchrole?account=210987654321&roleName=MspAdministrator&displayName=Globex%20admin
cli_profile:
  description:
    - The C(~/.aws/config) keys of a profile that assumes the role. C(source_profile) and C(mfa_serial) are
      placeholders (C(<source_profile>), C(<mfa_serial>)) for the user's own profile and MFA device.
  returned: when state is present
  type: dict
  sample:
    role_arn: arn:aws:iam::210987654321:role/MspAdministrator
    source_profile: <source_profile>
    mfa_serial: <mfa_serial>
changes:
  description: The IAM calls the run made (in check mode, would make), in order, with their parameters.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "AttachRolePolicy", "params": {"RoleName": "MspAdministrator",
            "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}}]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import MspAwsError, quiet_access_key
from ansible_collections.msp.aws_accounts.plugins.module_utils.iam_roles import (
    desired_role,
    ensure_absent,
    ensure_present,
    public_role,
    read_role,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.sts import (
    ACCESS_ARGUMENT_SPEC,
    caller_account_id,
    client_account_clients,
    partition_for_region,
    role_arn,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.switch_role import links

ARGUMENT_SPEC = dict(
    ACCESS_ARGUMENT_SPEC,
    name={"type": "str", "required": True, "aliases": ["role_name"]},
    path={"type": "str"},
    description={"type": "str"},
    state={"type": "str", "choices": ["present", "absent"], "default": "present"},
    trusted_account_ids={"type": "list", "elements": "str"},
    trusted_principals={"type": "list", "elements": "str"},
    require_mfa={"type": "bool"},
    mfa_max_age={"type": "int"},
    external_id={"type": "str", "no_log": False},
    trust_policy={"type": "json"},
    managed_policies={"type": "list", "elements": "str"},
    inline_policies={"type": "dict"},
    purge_policies={"type": "bool", "default": True},
    permissions_boundary={"type": "str"},
    max_session_duration={"type": "int"},
    tags={"type": "dict", "aliases": ["resource_tags"]},
    purge_tags={"type": "bool", "default": True},
    display_name={"type": "str"},
    color={"type": "str"},
)
MUTUALLY_EXCLUSIVE = [
    ["trust_policy", "trusted_account_ids", "trusted_principals"],
    ["trust_policy", "external_id"],
    ["trust_policy", "mfa_max_age"],
    ["trust_policy", "require_mfa"],
]


def predicted_arn(params, partition, sts_client):
    """A new role's ARN for check mode: the account is known from account_id, or read from the credentials."""
    account_id = params["account_id"] or caller_account_id(sts_client)
    return role_arn(partition, account_id, params["name"], params["path"] or "/")


def main():
    module = AnsibleAWSModule(
        argument_spec=quiet_access_key(ARGUMENT_SPEC), mutually_exclusive=MUTUALLY_EXCLUSIVE, supports_check_mode=True
    )
    params = module.params
    partition = partition_for_region(module.region)
    result = {"role": None, "switch_role_url": None}
    changed, changes, actual, after = False, [], None, None
    try:
        desired = desired_role(params, partition) if params["state"] == "present" else None
        iam, sts = client_account_clients(
            module.client, module.region, params, f"xacct-role-{params['name']}", ["iam", "sts"]
        )
        inline_names = sorted(desired["inline_policies"] or {}) if desired else []
        actual = read_role(iam, params["name"], inline_names)
        if params["state"] == "absent":
            changed, after, changes = ensure_absent(iam, actual, module.check_mode)
        else:
            if actual is None and module.check_mode:
                desired["arn"] = predicted_arn(params, partition, sts)
            changed, after, changes = ensure_present(iam, desired, actual, module.check_mode)
            result["role"] = public_role(after)
            result["switch_role_url"], result["cli_profile"] = links(after, params["display_name"], params["color"])
    except MspAwsError as e:
        module.fail_json_aws_error(e)
    result.update(changed=changed, changes=changes, diff={"before": actual or {}, "after": after or {}})
    module.exit_json(**result)


if __name__ == "__main__":
    main()
