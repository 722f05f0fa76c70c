# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""An account's alternate contacts (BILLING, OPERATIONS, SECURITY): what the user asked for, checked by
AWS's rules, and compared with what AWS holds. Pure: the Account Management calls are in account_api.

A contact is ``{"name", "title", "email", "phone"}``. In the desired state a type is ``None`` (leave it
alone), an empty contact (remove it) or a full contact (set it exactly).
"""

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput
from ansible_collections.msp.aws_accounts.plugins.module_utils.validation import require_contact_field

CONTACT_TYPES = ("BILLING", "OPERATIONS", "SECURITY")
CONTACT_FIELDS = ("name", "title", "email", "phone")
# The AlternateContact structure's member for each of our field names.
AWS_FIELD = {"name": "Name", "title": "Title", "email": "EmailAddress", "phone": "PhoneNumber"}
EMPTY = {}


def desired_contacts(option_value, option="alternate_contacts"):
    """The module option (lower-case types, each None, {} or a contact) as ``{TYPE: None | {} | contact}``,
    validated. Raises InvalidInput naming the field and the rule before anything is written."""
    desired = dict.fromkeys(CONTACT_TYPES)
    for contact_type in CONTACT_TYPES:
        given = (option_value or {}).get(contact_type.lower())
        if given is None:
            continue
        where = f"{option}.{contact_type.lower()}"
        values = {field: given.get(field) for field in CONTACT_FIELDS}
        present = [field for field in CONTACT_FIELDS if values[field] not in (None, "")]
        if not present:
            desired[contact_type] = EMPTY
            continue
        if len(present) != len(CONTACT_FIELDS):
            missing = ", ".join(field for field in CONTACT_FIELDS if field not in present)
            raise InvalidInput(where, f"give name, title, email and phone (missing: {missing}), or {{}} to remove it")
        for field in CONTACT_FIELDS:
            require_contact_field(field, values[field], f"{where}.{field}")
        desired[contact_type] = values
    return desired


def from_aws(alternate_contact):
    """A GetAlternateContact ``AlternateContact`` as a contact."""
    return {field: alternate_contact.get(AWS_FIELD[field]) for field in CONTACT_FIELDS}


def to_aws(contact_type, contact):
    """PutAlternateContact's parameters for a contact."""
    params = {AWS_FIELD[field]: contact[field] for field in CONTACT_FIELDS}
    params["AlternateContactType"] = contact_type
    return params


def contact_changes(desired, actual):
    """``{TYPE: contact to put | None to delete}`` for the types whose desired state differs from ``actual``
    (``{TYPE: contact | None}``). Types left unset in ``desired`` are never touched."""
    changes = {}
    for contact_type in CONTACT_TYPES:
        wanted = desired.get(contact_type)
        current = actual.get(contact_type)
        if wanted is None:
            continue
        if wanted == EMPTY:
            if current is not None:
                changes[contact_type] = None
        elif wanted != current:
            changes[contact_type] = wanted
    return changes


def apply_changes(actual, changes):
    """The contacts after ``changes``: what check mode predicts and a run returns."""
    after = dict(actual)
    after.update(changes)
    return after


def for_result(contacts):
    """Contacts as the module returns them: lower-case types, None for a type that is not set."""
    return {contact_type.lower(): contacts.get(contact_type) for contact_type in CONTACT_TYPES}
