# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``account_email`` filter: a client's root email, plus-addressed from the MSP's mailbox.

Its documentation is account_email.yml, next to this file. The rules are validation.plus_address's, which
the onboarding checks (inventory_checks) share.
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput
from ansible_collections.msp.aws_accounts.plugins.module_utils.validation import plus_address


def account_email(base, key, separator="+"):
    """``base`` with ``<separator><normalised key>`` added before the ``@``, checked by AWS's rules."""
    try:
        return plus_address(base, key, separator)
    except InvalidInput as e:
        raise AnsibleFilterError(f"account_email: {e.rule}") from e


class FilterModule:
    def filters(self):
        return {"account_email": account_email}
