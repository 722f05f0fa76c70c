# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The audit's filters: the onboarding's module results in check mode, turned into report sections and findings.

Their documentation is audit_client_section.yml and audit_engineer_section.yml, next to this file. The logic is
module_utils/audit_findings.py's.
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.msp.aws_accounts.plugins.module_utils import audit_findings


def audit_client_section(client, msp_account_ids):
    """One audited client's section: drift, foreign trust, roles without MFA, the root user's state, findings."""
    if not isinstance(client, dict) or "host" not in client:
        raise AnsibleFilterError("audit_client_section: the input must be a dict with at least the client's host")
    return audit_findings.client_section(client, [str(account) for account in msp_account_ids or []])


def audit_engineer_section(plan, documents=None, error=None):
    """The engineers' access in the identity account: what the onboarding would write there, as findings."""
    if plan is not None and not isinstance(plan, dict):
        raise AnsibleFilterError("audit_engineer_section: the input must be the engineer_access role's plan (a dict)")
    return audit_findings.engineer_section(plan, documents, error)


class FilterModule:
    def filters(self):
        return {
            "audit_client_section": audit_client_section,
            "audit_engineer_section": audit_engineer_section,
        }
