# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The switch-role link filters: every file the switch_role_links role publishes, the links alone, and what a
run must write and remove in the output directory.

Their documentation is switch_role_link_files.yml, switch_role_links.yml and switch_role_link_plan.yml, next
to this file; the content is made by module_utils/link_publishing.py.
"""

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import MspAwsError
from ansible_collections.msp.aws_accounts.plugins.module_utils.link_publishing import link_files, links, plan


def switch_role_link_files(
    clients, engineers, identity_account_id, source_profile, region, msp_name="", engineer_groups=None
):
    try:
        return link_files(clients, engineers, identity_account_id, source_profile, region, msp_name, engineer_groups)
    except MspAwsError as e:
        raise AnsibleFilterError(f"switch_role_link_files: {e.message}") from e


def switch_role_links(clients, region="us-east-1"):
    try:
        return links(clients, region)
    except MspAwsError as e:
        raise AnsibleFilterError(f"switch_role_links: {e.message}") from e


def switch_role_link_plan(found, directory, files, file_mode="0600", directory_mode="0700"):
    """``found``: the ``files`` of an ``ansible.builtin.find`` of ``directory`` (with checksums)."""
    if not isinstance(directory, str) or not os.path.isabs(directory):
        raise AnsibleFilterError(f"switch_role_link_plan: the directory must be an absolute path, not {directory!r}")
    existing = []
    for item in found or []:
        relative = os.path.relpath(item["path"], directory)
        if relative == os.curdir or relative.startswith(os.pardir):
            continue  # Only what lies below the directory.
        existing.append(
            {
                "path": relative.replace(os.sep, "/"),
                "isdir": bool(item.get("isdir")),
                "islnk": bool(item.get("islnk")),
                "checksum": item.get("checksum"),
                "mode": item.get("mode"),
            }
        )
    try:
        result = plan(existing, dict(files), file_mode, directory_mode)
    except MspAwsError as e:
        raise AnsibleFilterError(f"switch_role_link_plan: {e.message}") from e
    result["remove"] = [os.path.join(directory, path) for path in result["remove"]]
    return result


class FilterModule:
    def filters(self):
        return {
            "switch_role_link_files": switch_role_link_files,
            "switch_role_links": switch_role_links,
            "switch_role_link_plan": switch_role_link_plan,
        }
