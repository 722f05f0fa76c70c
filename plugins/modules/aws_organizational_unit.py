#!/usr/bin/python
# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: aws_organizational_unit
short_description: An AWS Organizations OU path, created level by level, or removed when empty
version_added: 0.1.0
description:
  - Ensures that an organizational unit (OU) exists at a path below the organization's root, creating every
    missing level, with the given tags on the last level.
  - With O(state=absent), removes the last level of the path if it exists and is empty.
  - Two runs racing to create the same OU both succeed - AWS's C(DuplicateOrganizationalUnitException) means the
    OU is there, and it is used.
  - Runs with the organization's management account credentials.
author:
  - msp.aws_accounts developers (!UNKNOWN)
options:
  path:
    description:
      - The OU's path from the root, names separated by V(/) - V(Clients/Production). Leading and trailing V(/)
        are ignored. OU names are compared exactly and may not contain V(/).
    type: str
    required: true
  state:
    description:
      - V(present) creates the missing levels; V(absent) deletes the last level.
      - An OU that still holds accounts or OUs is not deleted; the module fails and names what is in it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description:
      - Predicts exactly what a run does; an OU it would create is returned with RV(organizational_unit.id=null).
  diff_mode:
    support: full
    description: Shows the OU's path and tags before and after.
notes:
  - Tags apply to the last level of O(path); levels the module creates above it get no tags.
seealso:
  - module: msp.aws_accounts.aws_member_account
"""

EXAMPLES = r"""
- name: The OU for clients' production accounts, with its parent
  msp.aws_accounts.aws_organizational_unit:
    path: Clients/Production
    tags:
      owner: msp-platform

- name: Remove an OU that is no longer used (it must be empty)
  msp.aws_accounts.aws_organizational_unit:
    path: Clients/Sandbox
    state: absent
"""

RETURN = r"""
organizational_unit:
  description: The OU after the run (as predicted in check mode); null when O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: The OU's id; null for an OU check mode would create.
      type: str
      returned: always
      sample: ou-ab12-cdef3456
    arn:
      description: The OU's ARN; null for an OU check mode would create.
      type: str
      returned: always
      sample: arn:aws:organizations::123456789012:ou/o-exampleorgid/ou-ab12-cdef3456
    name:
      description: The OU's name, the last level of its path.
      type: str
      returned: always
      sample: Production
    path:
      description: The OU's path from the root.
      type: str
      returned: always
      sample: /Clients/Production
    parent_id:
      description: The id of the root or OU above it; null when check mode would create that too.
      type: str
      returned: always
      sample: ou-ab12-0987wxyz
    tags:
      description: The OU's tags.
      type: dict
      returned: always
      sample: {"owner": "msp-platform"}
created:
  description:
    - The paths of the OUs this run created (or would create, in check mode), top first.
    - A level that another run created first (AWS answered C(DuplicateOrganizationalUnitException)) is used but
      not listed.
  returned: always
  type: list
  elements: str
  sample: ["/Clients", "/Clients/Production"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import (
    InvalidInput,
    MspAwsError,
    concurrent_modification_retry,
    quiet_access_key,
    standard_retry_config,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizational_units import (
    OrganizationTree,
    format_path,
    parse_path,
    tag_changes,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizations import (
    child_accounts,
    list_tags,
    translated_errors,
    update_tags,
)

argument_spec = {
    "path": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
}


def summary(ou, path, parent_id, tags):
    return {
        "id": ou.get("Id"),
        "arn": ou.get("Arn"),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "parent_id": parent_id,
        "tags": tags,
    }


def diff_view(ou_summary):
    return {"path": ou_summary["path"], "tags": ou_summary["tags"]} if ou_summary else {}


def ensure_present(client, tree, names, tags, purge_tags, check_mode):
    found, missing = tree.resolve(names)
    path = format_path(names)
    before = None
    if missing:
        created, leaf, parent_id = tree.ensure_levels(names, found, tags, check_mode)
        if leaf.get("Id") is None:
            return True, None, summary(leaf, path, parent_id, dict(tags or {})), created
        current_tags = list_tags(client, leaf["Id"])  # the OU may have been made by a racing run, without tags
        if not created:  # every missing level was made by another run: it was there before this run's change
            before = summary(leaf, path, parent_id, current_tags)
    else:
        created = []
        leaf = found[-1][1]
        parent_id = found[-2][1]["Id"] if len(found) > 1 else tree.root["Id"]
        current_tags = list_tags(client, leaf["Id"])
        before = summary(leaf, path, parent_id, current_tags)
    to_set, to_unset, after_tags = tag_changes(current_tags, tags, purge_tags)
    tags_changed = bool(to_set or to_unset)
    if tags_changed and not check_mode:
        update_tags(client, leaf["Id"], to_set, to_unset)
    return bool(created) or tags_changed, before, summary(leaf, path, parent_id, after_tags), created


def ensure_absent(client, tree, names, check_mode):
    found, missing = tree.resolve(names)
    if missing:
        return False, None
    path = format_path(names)
    leaf = found[-1][1]
    parent_id = found[-2][1]["Id"] if len(found) > 1 else tree.root["Id"]
    before = summary(leaf, path, parent_id, list_tags(client, leaf["Id"]))
    child_ous = tree.children(leaf["Id"])
    accounts = child_accounts(client, leaf["Id"])
    if child_ous or accounts:
        held = [f"account {a['Id']} ({a.get('Name')})" for a in accounts] + [f"OU {ou['Name']}" for ou in child_ous]
        raise MspAwsError(message=f"Organizational unit {path} is not empty, so it is kept: it holds {', '.join(held)}")
    if not check_mode:
        with translated_errors(f"Failed to delete organizational unit {path} ({leaf['Id']})"):
            try:
                client.delete_organizational_unit(OrganizationalUnitId=leaf["Id"], aws_retry=True)
            except is_boto3_error_code("OrganizationalUnitNotFoundException"):
                pass  # deleted by another run since it was listed
    return True, before


def main():
    module = AnsibleAWSModule(argument_spec=quiet_access_key(argument_spec), supports_check_mode=True)
    params = module.params
    try:
        names = parse_path(params["path"])
        if not names:
            raise InvalidInput("path", "must name an OU below the root, like Clients/Production")
        client = module.client(
            "organizations", retry_decorator=concurrent_modification_retry, config=standard_retry_config()
        )
        tree = OrganizationTree(client)
        if params["state"] == "present":
            changed, before, after, created = ensure_present(
                client, tree, names, params["tags"], params["purge_tags"], module.check_mode
            )
        else:
            changed, before = ensure_absent(client, tree, names, module.check_mode)
            after, created = None, []
    except MspAwsError as e:
        module.fail_json_aws_error(e)
    module.exit_json(
        changed=changed,
        organizational_unit=after,
        created=created,
        diff={"before": diff_view(before), "after": diff_view(after)},
    )


if __name__ == "__main__":
    main()
