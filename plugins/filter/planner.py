# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The planner's filters: ``client_plan_entries`` (aws_client_plan's clients, from the inventory) and
``xacct_role_options`` (aws_xacct_role's options for one role spec, which the xacct_roles role passes and the
planner compares: one definition for both). Each is documented in its own file next to this one (<name>.yml).
The logic is in module_utils (planner, catalogue)."""

from ansible.errors import AnsibleFilterError

from ansible_collections.msp.aws_accounts.plugins.module_utils.catalogue import xacct_role_options
from ansible_collections.msp.aws_accounts.plugins.module_utils.planner import plan_entry


def client_plan_entries(clients, role_path, trusted_account_id, root_access=True):
    """aws_client_plan's ``clients`` for the clients' host variables (the client role's facts)."""
    try:
        return [plan_entry(client, role_path, trusted_account_id, root_access) for client in clients]
    except KeyError as e:
        raise AnsibleFilterError(
            f"client_plan_entries: a client lacks {e}, which the msp.aws_accounts.client role sets"
        ) from e


def xacct_role_options_filter(spec, path, trusted_account_id, extra_tags=None):
    try:
        return xacct_role_options(spec, path, trusted_account_id, extra_tags)
    except KeyError as e:
        raise AnsibleFilterError(f"xacct_role_options: the role spec lacks {e}") from e


class FilterModule:
    def filters(self):
        return {"client_plan_entries": client_plan_entries, "xacct_role_options": xacct_role_options_filter}
