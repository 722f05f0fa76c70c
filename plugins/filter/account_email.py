# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``account_email`` filter: a client's root email, plus-addressed from the MSP's mailbox.

Its documentation is account_email.yml, next to this file.
"""

import re
import unicodedata

from ansible.errors import AnsibleFilterError

from ansible_collections.msp.aws_accounts.plugins.module_utils.validation import EMAIL_MAX_LENGTH, email_problem

# What survives of a client key: lower-case letters and digits, words joined by single hyphens.
NOT_KEY_CHARACTERS = re.compile(r"[^a-z0-9]+")


def client_key(key):
    """``ACME Corp.`` -> ``acme-corp``; accented letters lose their accents (``Zürich`` -> ``zurich``)."""
    ascii_key = unicodedata.normalize("NFKD", str(key)).encode("ascii", "ignore").decode("ascii")
    return NOT_KEY_CHARACTERS.sub("-", ascii_key.lower()).strip("-")


def account_email(base, key, separator="+"):
    """``base`` with ``<separator><normalised key>`` added before the ``@``, checked by AWS's rules."""
    problem = email_problem(base)
    if problem:
        raise AnsibleFilterError(f"account_email: the base address {base!r} {problem}")
    if separator not in ("+", "-", ".", "_"):
        raise AnsibleFilterError(f"account_email: separator must be one of + - . _, not {separator!r}")
    if key is None or (isinstance(key, str) and not key.strip()):
        raise AnsibleFilterError(f"account_email: the client key is required, not {key!r}")
    normalised = client_key(key)
    if not normalised:
        raise AnsibleFilterError(f"account_email: the client key {key!r} has no letters or digits to use")
    local, domain = base.split("@")
    email = f"{local}{separator}{normalised}@{domain}"
    if len(email) > EMAIL_MAX_LENGTH:
        room = EMAIL_MAX_LENGTH - len(base) - len(separator)
        raise AnsibleFilterError(
            f"account_email: {email} would be {len(email)} characters, and AWS allows {EMAIL_MAX_LENGTH}: "
            f"shorten the client key to at most {max(room, 0)} characters or use a shorter base address"
        )
    problem = email_problem(email)
    if problem:
        raise AnsibleFilterError(f"account_email: {email} {problem}")
    return email


class FilterModule:
    def filters(self):
        return {"account_email": account_email}
