# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The onboarding journey's input filters: the checks of the inventory and a client's resolved roles.

``msp_problems``, ``client_problems``, ``client_role_specs``, ``client_accounts`` and ``client_coverage`` (the
audit's); each is documented in its own file next to this one (<name>.yml). The logic is in module_utils
(inventory_checks, catalogue).
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.msp.aws_accounts.plugins.module_utils import catalogue, inventory_checks
from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput


def client_role_specs(
    role_catalogue, client_name, client_roles=None, custom_roles=None, path="/msp/", default_roles=None
):
    """One client's role specs, from the catalogue, its client_roles (None: default_roles) and custom roles."""
    try:
        return catalogue.client_role_specs(role_catalogue, client_name, client_roles, custom_roles, path, default_roles)
    except InvalidInput as e:
        raise AnsibleFilterError(f"client_role_specs: {e}") from e


def msp_problems(settings, clients=None):
    """The problems of the MSP-wide settings (msp_*), one string each; [] when there are none."""
    return inventory_checks.msp_problems(settings, clients)


def client_problems(clients, role_catalogue, engineer_groups=None, selected=None):
    """The problems of every client's entry and across clients, one string each naming host and variable;
    ``selected`` (the clients this run onboards) also checks their client_credentials."""
    return inventory_checks.client_problems(clients, role_catalogue, engineer_groups, selected)


def client_accounts(clients, accounts):
    """The clients whose account is an ACTIVE member of the organization, with their account and roles."""
    try:
        return catalogue.client_accounts(clients, accounts)
    except InvalidInput as e:
        raise AnsibleFilterError(f"client_accounts: {e}") from e


def client_coverage(clients, accounts, msp_accounts=None, selected=None):
    """The organization's accounts no client declares, and the clients missing from it or not active."""
    try:
        return catalogue.client_coverage(clients, accounts, msp_accounts, selected)
    except InvalidInput as e:
        raise AnsibleFilterError(f"client_coverage: {e}") from e


class FilterModule:
    def filters(self):
        return {
            "client_role_specs": client_role_specs,
            "msp_problems": msp_problems,
            "client_problems": client_problems,
            "client_accounts": client_accounts,
            "client_coverage": client_coverage,
        }
