# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The filters of playbooks/handover.yml (roles/handover): its input problems, where the account stands, the
contacts it sets, the roles it removes and its report. Each filter's documentation is <name>.yml next to this file;
the logic is plugins/module_utils/handover.py.
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.msp.aws_accounts.plugins.module_utils import handover


def handover_problems(new_root_email, confirm=None, otp=None, contacts=None, msp_root_emails=None):
    """Every problem of the handover's extra variables, each naming the variable."""
    return handover.input_problems(new_root_email, confirm, otp, contacts, msp_root_emails or ())


def handover_locate(
    accounts,
    previous=None,
    confirm=None,
    management_account_id=None,
    msp_account_ids=None,
    emails=None,
    account_ids=None,
):
    """Where the client's account stands: a member, a completed handover, or one that already left."""
    if not isinstance(accounts, list):
        raise AnsibleFilterError("handover_locate: expects the list of accounts aws_member_account_info found")
    return handover.locate(
        accounts, previous or {}, confirm, management_account_id, msp_account_ids or [], emails or [], account_ids or []
    )


def handover_contacts(contacts):
    """aws_member_account's alternate_contacts at handover: each type given set, every other removed."""
    return handover.desired_alternate_contacts(contacts)


def handover_roles(roles, access_role_name):
    """The roles aws_xacct_role_info found that the handover removes: all but the access role."""
    return handover.roles_to_remove(roles, access_role_name)


def handover_access_role(trust, access_role_name, trusts, policies=None, delete=None, connected=True, previous=None):
    """What the access_role step did, from its calls' results: the role deleted, or left to the client."""
    return handover.access_role_outcome(
        access_role_name, trusts, trust, policies, delete, bool(connected), previous or None
    )


def handover_policies(documents, account_id):
    """The names of the policies (``{name: document}``) that name the account."""
    return handover.policies_naming(documents, account_id)


def handover_report(data):
    """The handover report's data (handover.json) from what the run gathered."""
    return handover.report(data)


class FilterModule:
    def filters(self):
        return {
            "handover_problems": handover_problems,
            "handover_locate": handover_locate,
            "handover_contacts": handover_contacts,
            "handover_roles": handover_roles,
            "handover_access_role": handover_access_role,
            "handover_policies": handover_policies,
            "handover_report": handover_report,
        }
