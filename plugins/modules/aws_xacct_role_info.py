#!/usr/bin/python
# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Ansible wants DOCUMENTATION, EXAMPLES and RETURN before any import.

DOCUMENTATION = r"""
---
module: aws_xacct_role_info
version_added: 0.1.0
short_description: Which roles of an account let in another account or principal, and what guards them
description:
  - Lists every role of a client's account whose trust policy lets the given accounts or principals assume it, with
    the conditions that guard each way in (MFA, an MFA age limit, an ExternalId, other conditions, or none).
  - Audits and handovers use it to prove what access exists, and that none is left.
  - Reads the account's roles with ListRoles only (the trust policies come with it).
author:
  - msp.aws_accounts developers (!UNKNOWN)
options:
  trusted_account_ids:
    description:
      - Report roles that let in any principal of these accounts (12-digit ids).
      - With neither this nor O(trusted_principals), every role that lets in a principal of another account (or
        anyone, C(*)) is reported.
    type: list
    elements: str
  trusted_principals:
    description:
      - Report roles that let in these user or role ARNs (directly, or through their whole account).
      - Combined with O(trusted_account_ids), roles that let in either are reported.
    type: list
    elements: str
notes:
  - Only plain conditions count as guards, as only they hold for every caller. MFA is C(Bool aws:MultiFactorAuthPresent)
    with every value C("true"); an MFA age is C(NumericLessThan) or C(NumericLessThanEquals) on
    C(aws:MultiFactorAuthAge); an ExternalId is C(StringEquals), or C(StringLike) without wildcards, on
    C(sts:ExternalId). The C(...IfExists) forms pass when the key is absent (long-term keys carry no MFA key), so
    they, and every other condition, are reported under RV(roles[].grants[].other_conditions) only.
  - C(Action) patterns match C(sts:AssumeRole) as IAM matches them (case-insensitive, C(*) and C(?) wildcards), and an
    Allow with C(NotAction) lets in unless C(NotAction) matches C(sts:AssumeRole).
  - Each grant lists the Deny statements on C(sts:AssumeRole) that name its principal, its account or everyone. A
    grant closed by such a Deny without conditions is marked RV(roles[].grants[].blocked) and does not make the role
    unguarded; Deny statements with conditions, or with C(NotPrincipal), are listed or ignored but not evaluated, and
    the caller's own permissions are not evaluated, so the answer errs on the side of reporting access.
extends_documentation_fragment:
  - msp.aws_accounts.client_account
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: The module only reads.
  diff_mode:
    support: none
    description: The module changes nothing.
"""

EXAMPLES = r"""
- name: Which roles of a member account let the MSP's main account in?
  msp.aws_accounts.aws_xacct_role_info:
    account_id: "210987654321"
    trusted_account_ids: ["123456789012"]
  register: msp_access

- name: Handover proof that no way in is left for the MSP
  ansible.builtin.assert:
    that: msp_access.roles | length == 0

- name: Every way into this account from anywhere else, with credentials already in it
  msp.aws_accounts.aws_xacct_role_info:
  register: all_access
"""

RETURN = r"""
roles:
  description: The roles that let the accounts or principals in, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The role's name.
      type: str
      sample: MspAdministrator
    arn:
      description: The role's ARN.
      type: str
    path:
      description: The role's path.
      type: str
    max_session_duration:
      description: The longest session in seconds.
      type: int
    trust_policy:
      description: The role's trust policy.
      type: dict
    unguarded:
      description: True when at least one way in demands neither MFA nor an ExternalId, and no Deny without
        conditions closes it.
      type: bool
    grants:
      description: Each principal of an Allow statement that lets the asked-for accounts or principals in.
      type: list
      elements: dict
      contains:
        principal:
          description: The principal as the policy names it (account id, C(:root) ARN, user or role ARN, or C(*)).
          type: str
        account_id:
          description: The account of the principal, null for C(*).
          type: str
        require_mfa:
          description: Whether MFA is demanded.
          type: bool
        mfa_max_age:
          description: The MFA age limit in seconds, or null.
          type: int
        external_ids:
          description: The ExternalIds demanded (empty when none).
          type: list
          elements: str
        other_conditions:
          description: Conditions that prove no guard (other keys, and IfExists or wildcard forms), as written.
          type: dict
        guards:
          description: V(mfa), V(mfa_max_age), V(external_id), V(other_conditions), or V(none).
          type: list
          elements: str
        denied_by:
          description: The Deny statements on C(sts:AssumeRole) that name this principal, its account or everyone.
          type: list
          elements: dict
        blocked:
          description: True when one of RV(roles[].grants[].denied_by) has no condition, so this way in is closed.
          type: bool
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput, MspAwsError, quiet_access_key
from ansible_collections.msp.aws_accounts.plugins.module_utils.iam_roles import list_roles, roles_letting_in
from ansible_collections.msp.aws_accounts.plugins.module_utils.policies import principal_problems
from ansible_collections.msp.aws_accounts.plugins.module_utils.sts import (
    ACCESS_ARGUMENT_SPEC,
    client_account_clients,
)

ARGUMENT_SPEC = dict(
    ACCESS_ARGUMENT_SPEC,
    trusted_account_ids={"type": "list", "elements": "str"},
    trusted_principals={"type": "list", "elements": "str"},
)


def main():
    module = AnsibleAWSModule(argument_spec=quiet_access_key(ARGUMENT_SPEC), supports_check_mode=True)
    params = module.params
    roles = []
    try:
        problems = principal_problems(params["trusted_account_ids"], params["trusted_principals"])
        if problems:
            raise InvalidInput(*problems[0])
        [iam] = client_account_clients(module.client, module.region, params, "xacct-role-info", ["iam"])
        roles = roles_letting_in(list_roles(iam), params["trusted_account_ids"], params["trusted_principals"])
    except MspAwsError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, roles=roles)


if __name__ == "__main__":
    main()
