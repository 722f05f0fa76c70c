#!/usr/bin/python
# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Ansible wants DOCUMENTATION, EXAMPLES and RETURN before any import.

DOCUMENTATION = r"""
---
module: aws_iam_group_info
version_added: 0.1.0
short_description: IAM groups with their members and attached policies, and whether users exist, in one read
description:
  - Reads, in the account of the connection, each named IAM group (its path, members and attached managed
    policies), whether each named user exists, the account's own managed policies on a path, and the documents
    of chosen attached policies.
  - The C(msp.aws_accounts.engineer_access) role compares this with what the engineers' groups should hold, so a
    run that changes nothing makes only these reads, and check mode sees exactly what a run would change
    (M(amazon.aws.iam_group) returns nothing in check mode).
  - Every list asks for IAM's largest page (1000 items). Makes per group one GetGroup (one more per further page
    of members, when a group has more members than IAM returns on one page) and one ListAttachedGroupPolicies;
    one GetUser per user; one ListPolicies when O(policy_path) is set (one more per further 1000 policies); and
    per policy document read one GetPolicyVersion, plus one GetPolicy when the policy is not among those listed
    on O(policy_path).
author:
  - msp.aws_accounts developers (!UNKNOWN)
options:
  names:
    description:
      - The groups to read. A group that does not exist is returned with RV(groups[].exists=false).
    type: list
    elements: str
    required: true
  users:
    description:
      - Users whose existence to read. A user that does not exist is returned with RV(users[].exists=false).
    type: list
    elements: str
    default: []
  policy_documents:
    description:
      - Names of managed policies whose default version's document to read, when one of the groups has the policy
        attached. Policies not attached to any of the groups are not read, and a policy deleted while the module
        reads is left out.
    type: list
    elements: str
    default: []
  policy_path:
    description:
      - List the account's own (customer-managed) policies on this IAM path and below, in RV(policies).
      - Not set, nothing is listed. It must begin and end with C(/), as IAM paths do.
    type: str
extends_documentation_fragment:
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
- name: Read the engineers' groups, their members and the documents of their client-role policies
  msp.aws_accounts.aws_iam_group_info:
    names: [msp-admins, msp-oncall]
    users: [alice, bob]
    policy_documents: [msp-admins-client-roles-01, msp-oncall-client-roles-01]
    policy_path: /msp-aws-accounts/
  register: engineer_groups

- name: Who is in msp-oncall?
  ansible.builtin.debug:
    msg: "{{ (engineer_groups.groups | selectattr('name', 'equalto', 'msp-oncall') | first).users }}"
"""

RETURN = r"""
groups:
  description: The groups, in the order of O(names).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The group's name.
      type: str
      sample: msp-oncall
    exists:
      description: Whether the group exists.
      type: bool
    arn:
      description: The group's ARN, null when it does not exist.
      type: str
      sample: arn:aws:iam::123456789012:group/msp-oncall
    path:
      description: The group's path, null when it does not exist.
      type: str
      sample: /
    users:
      description: The names of the group's members, sorted.
      type: list
      elements: str
    attached_policies:
      description: The managed policies attached to the group, sorted by name.
      type: list
      elements: dict
      contains:
        name:
          description: The policy's name.
          type: str
        arn:
          description: The policy's ARN.
          type: str
users:
  description: The users, in the order of O(users).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The user's name.
      type: str
    exists:
      description: Whether the user exists.
      type: bool
    arn:
      description: The user's ARN, null when it does not exist.
      type: str
    path:
      description: The user's path, null when it does not exist.
      type: str
policies:
  description: The account's own managed policies on O(policy_path) and below, sorted by name; empty when it is not set.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The policy's name.
      type: str
      sample: msp-oncall-client-roles-01
    arn:
      description: The policy's ARN.
      type: str
      sample: arn:aws:iam::123456789012:policy/msp-aws-accounts/msp-oncall-client-roles-01
    path:
      description: The policy's path.
      type: str
      sample: /msp-aws-accounts/
    default_version_id:
      description: The policy's default version.
      type: str
      sample: v1
    attachment_count:
      description: How many groups, users and roles the policy is attached to.
      type: int
policy_documents:
  description: The default version's document of each policy of O(policy_documents) attached to one of the groups.
  returned: always
  type: dict
  sample: {"msp-oncall-client-roles-01": {"Version": "2012-10-17", "Statement": []}}
"""

from ansible_collections.amazon.aws.plugins.module_utils.iam import validate_iam_identifiers
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import (
    InvalidInput,
    MspAwsError,
    concurrent_modification_retry,
    quiet_access_key,
    standard_retry_config,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.iam_groups import (
    attached_documents,
    list_policies,
    read_group,
    read_user,
)

ARGUMENT_SPEC = {
    "names": {"type": "list", "elements": "str", "required": True},
    "users": {"type": "list", "elements": "str", "default": []},
    "policy_documents": {"type": "list", "elements": "str", "default": []},
    "policy_path": {"type": "str"},
}


def main():
    module = AnsibleAWSModule(argument_spec=quiet_access_key(ARGUMENT_SPEC), supports_check_mode=True)
    params = module.params
    result = {"groups": [], "users": [], "policies": [], "policy_documents": {}}
    try:
        if params["policy_path"] is not None:
            problem = validate_iam_identifiers("policy", path=params["policy_path"])
            if problem:
                raise InvalidInput("policy_path", f"{params['policy_path']!r}: {problem}")
        iam = module.client("iam", retry_decorator=concurrent_modification_retry, config=standard_retry_config())
        result["groups"] = [read_group(iam, name) for name in params["names"]]
        result["users"] = [read_user(iam, name) for name in params["users"]]
        if params["policy_path"] is not None:
            result["policies"] = list_policies(iam, params["policy_path"])
        result["policy_documents"] = attached_documents(
            iam, result["groups"], params["policy_documents"], result["policies"]
        )
    except MspAwsError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
