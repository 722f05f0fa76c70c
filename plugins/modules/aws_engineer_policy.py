#!/usr/bin/python
# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Ansible wants DOCUMENTATION, EXAMPLES and RETURN before any import.

DOCUMENTATION = r"""
---
module: aws_engineer_policy
version_added: 0.1.0
short_description: An engineers' group's managed policy, written safely while other runs write it too
description:
  - Makes a customer-managed policy allow C(sts:AssumeRole) on the role ARNs of O(grants), only with MFA (and,
    for a role with an MFA age, only within it), in the account of the connection.
  - Several runs may write the same policy at once (AWX job slices, each with some of the clients). IAM has no
    compare-and-set, so every write creates a new default version and then lists the versions; versions another
    run created meanwhile are read, what they added is merged, and the policy is written again, until its default
    version holds this run's grants and every addition seen (at most 8 rounds, with jittered pauses).
  - With O(keep_account_ids), the roles already allowed in accounts listed there (the organization's ACTIVE
    members) and not in O(own_account_ids) are kept - those of clients another slice serves. Without it the
    policy allows exactly O(grants).
  - Another run creating the policy first (C(EntityAlreadyExists)) or deleting a version being read
    (C(NoSuchEntity)) means read again. At IAM's limit of 5 versions the oldest version whose kept roles the
    default holds is deleted first; versions are deleted only once their kept roles are in the default.
  - The C(msp.aws_accounts.engineer_access) role uses it; it does not attach the policy.
  - Every option is checked before any call to AWS; an error names the option (V(grants[0].arn)).
author:
  - msp.aws_accounts developers (!UNKNOWN)
options:
  name:
    description: The policy's name.
    type: str
    required: true
  path:
    description: The policy's IAM path (set when it is created).
    type: str
    default: /
  description:
    description: The policy's description (set when it is created; IAM cannot change it).
    type: str
  tags:
    description: Tags set when the policy is created.
    type: dict
  grants:
    description: The roles this run allows.
    type: list
    elements: dict
    required: true
    suboptions:
      arn:
        description: The role's ARN.
        type: str
        required: true
      mfa_max_age:
        description: How old (seconds) the MFA sign-in may be; none means MFA only.
        type: int
  keep_account_ids:
    description:
      - Accounts (12 digits) whose roles already allowed are kept although O(grants) does not name them, unless
        they are in O(own_account_ids). Not set, nothing else is kept.
    type: list
    elements: str
  own_account_ids:
    description: Accounts whose roles this run knows, so only O(grants) of them stay.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Says whether a run would write, and the roles the policy would allow.
  diff_mode:
    support: none
    description: RV(role_arns) shows the roles allowed.
"""

EXAMPLES = r"""
- name: Let msp-oncall assume acme's on-call role, keeping the other slices' clients
  msp.aws_accounts.aws_engineer_policy:
    name: msp-oncall-client-roles-01
    path: /msp-aws-accounts/
    grants:
      - arn: arn:aws:iam::111111111111:role/msp/MspOnCall
    keep_account_ids: ["111111111111", "222222222222"]
    own_account_ids: ["111111111111"]
"""

RETURN = r"""
arn:
  description: The policy's ARN.
  returned: always
  type: str
  sample: arn:aws:iam::123456789012:policy/msp-aws-accounts/msp-oncall-client-roles-01
role_arns:
  description: The roles the policy's default version allows after the run (as predicted in check mode).
  returned: always
  type: list
  elements: str
rounds:
  description: How many write-and-check rounds the run needed (more than 1 when other runs wrote at once).
  returned: always
  type: int
"""

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn
from ansible_collections.amazon.aws.plugins.module_utils.iam import validate_iam_identifiers
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import (
    InvalidInput,
    MspAwsError,
    concurrent_modification_retry,
    quiet_access_key,
    standard_retry_config,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.engineer_access import grant_dict
from ansible_collections.msp.aws_accounts.plugins.module_utils.iam_groups import MergedPolicy
from ansible_collections.msp.aws_accounts.plugins.module_utils.validation import require_account_id

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "path": {"type": "str", "default": "/"},
    "description": {"type": "str"},
    "tags": {"type": "dict"},
    "grants": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {"arn": {"type": "str", "required": True}, "mfa_max_age": {"type": "int"}},
    },
    "keep_account_ids": {"type": "list", "elements": "str"},
    "own_account_ids": {"type": "list", "elements": "str", "default": []},
}


def validate(params):
    """Every option checked before any call, the error naming it."""
    for option in ("name", "path"):
        problem = validate_iam_identifiers("policy", **{option: params[option]})
        if problem:
            raise InvalidInput(option, f"{params[option]!r}: {problem}")
    for index, grant in enumerate(params["grants"]):
        parsed = parse_aws_arn(grant["arn"])
        if not parsed or parsed["service"] != "iam" or not parsed["resource"].startswith("role/"):
            raise InvalidInput(f"grants[{index}].arn", f"{grant['arn']!r} is not an IAM role ARN")
        if grant["mfa_max_age"] is not None and grant["mfa_max_age"] <= 0:
            raise InvalidInput(f"grants[{index}].mfa_max_age", "must be a positive number of seconds")
    for option in ("keep_account_ids", "own_account_ids"):
        for index, account_id in enumerate(params[option] or []):
            require_account_id(account_id, option=f"{option}[{index}]")


def main():
    module = AnsibleAWSModule(argument_spec=quiet_access_key(ARGUMENT_SPEC), supports_check_mode=True)
    params = module.params
    arn = None
    try:
        validate(params)
        retrying = {"retry_decorator": concurrent_modification_retry, "config": standard_retry_config()}
        caller = parse_aws_arn(module.client("sts", **retrying).get_caller_identity(aws_retry=True)["Arn"])
        arn = f"arn:{caller['partition']}:iam::{caller['account_id']}:policy{params['path']}{params['name']}"
        policy = MergedPolicy(
            module.client("iam", **retrying), arn, params["keep_account_ids"], params["own_account_ids"]
        )
        result = policy.converge(
            params["name"],
            params["path"],
            params["description"],
            params["tags"],
            grant_dict(params["grants"]),
            check_mode=module.check_mode,
        )
    except MspAwsError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=result["changed"], arn=arn, role_arns=sorted(result["grants"]), rounds=result["rounds"])


if __name__ == "__main__":
    main()
