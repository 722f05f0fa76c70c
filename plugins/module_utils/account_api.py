# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Account Management API (service ``account``) from the management account: account names and
alternate contacts of member accounts.

For a member, calls pass ``AccountId`` and AWS requires all features and trusted access for
``account.amazonaws.com``; without trusted access it answers AccessDeniedException, which is turned here
into an error that says how to enable it. The management account's own settings are changed without
``AccountId`` (AWS refuses the management account naming itself).
"""

try:
    import botocore
except ImportError:
    pass  # The modules report a missing botocore through AnsibleAWSModule.

from ansible_collections.msp.aws_accounts.plugins.module_utils.alternate_contacts import (
    CONTACT_TYPES,
    from_aws,
    to_aws,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.common import MspAwsError, error_code

TRUSTED_ACCESS_PRINCIPAL = "account.amazonaws.com"
TRUSTED_ACCESS_HINT = (
    f"the Account Management API needs trusted access for {TRUSTED_ACCESS_PRINCIPAL} in the organization: "
    f"enable it once from the management account (msp.aws_accounts.aws_trusted_access with service_principals "
    f"[{TRUSTED_ACCESS_PRINCIPAL}], which the member_account role runs unless member_account_manage_trusted_access "
    f"is false; or aws organizations enable-aws-service-access --service-principal {TRUSTED_ACCESS_PRINCIPAL}) "
    f"and run again"
)


def scope(account_id, management_account_id):
    """The AccountId parameter for a call about ``account_id``: none for the management account itself."""
    return {} if account_id == management_account_id else {"AccountId": account_id}


def _failure(e, action, account_id):
    if error_code(e) == "AccessDeniedException":
        return MspAwsError(message=f"{action} for account {account_id} was refused: {TRUSTED_ACCESS_HINT}", exception=e)
    return MspAwsError(message=f"{action} for account {account_id} failed", exception=e)


def put_account_name(client, account_id, management_account_id, name):
    try:
        client.put_account_name(AccountName=name, aws_retry=True, **scope(account_id, management_account_id))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise _failure(e, "PutAccountName", account_id) from e


def require_account_management_access(client, account_id, management_account_id):
    """GetAccountInformation, the cheapest Account Management read: it is refused exactly when PutAccountName
    would be (no trusted access, not a member), so check mode can fail as a run would before any write."""
    try:
        client.get_account_information(aws_retry=True, **scope(account_id, management_account_id))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise _failure(e, "GetAccountInformation (before PutAccountName)", account_id) from e


def get_contacts(client, account_id, management_account_id):
    """``{TYPE: contact | None}`` for the three types (one GetAlternateContact each)."""
    contacts = {}
    for contact_type in CONTACT_TYPES:
        try:
            found = client.get_alternate_contact(
                AlternateContactType=contact_type, aws_retry=True, **scope(account_id, management_account_id)
            )["AlternateContact"]
            contacts[contact_type] = from_aws(found)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            if error_code(e) == "ResourceNotFoundException":
                contacts[contact_type] = None
                continue
            raise _failure(e, f"GetAlternateContact {contact_type}", account_id) from e
    return contacts


def apply_contact_changes(client, account_id, management_account_id, changes):
    """Put or delete each changed type (``{TYPE: contact | None}``, from alternate_contacts.contact_changes)."""
    for contact_type, contact in changes.items():
        action = "DeleteAlternateContact" if contact is None else "PutAlternateContact"
        try:
            if contact is None:
                client.delete_alternate_contact(
                    AlternateContactType=contact_type, aws_retry=True, **scope(account_id, management_account_id)
                )
            else:
                client.put_alternate_contact(
                    aws_retry=True, **to_aws(contact_type, contact), **scope(account_id, management_account_id)
                )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            raise _failure(e, f"{action} {contact_type}", account_id) from e
