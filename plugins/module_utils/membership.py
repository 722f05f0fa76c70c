# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Taking an account out of the organization (RemoveAccountFromOrganization), with AWS's refusals explained.

AWS refuses to let an account go until it can stand alone (a payment method, phone verification), while it
is a delegated administrator, and for a while after the organization created it. Each refusal is turned into
a message that says what to do, in the account, before running again.
"""

from datetime import datetime, timedelta

try:
    import botocore
except ImportError:
    pass  # The modules report a missing botocore through AnsibleAWSModule.

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import MspAwsError, error_code

# "you must wait until at least four days after the account was created" (ConstraintViolationException,
# WAIT_PERIOD_ACTIVE). AWS returns no date; this is the earliest it can be.
CREATED_ACCOUNT_WAIT = timedelta(days=4)

REMOVAL_REFUSALS = {
    "MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED": (
        "it has no payment method of its own. Sign in to account {account_id} (as its root user or an "
        "administrator with billing access), add a payment method under Billing and Cost Management > Payment "
        "preferences, then run this again"
    ),
    "ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION": (
        "it has not completed phone verification. Sign in to account {account_id} as its root user, open "
        "AWS Organizations > Leave organization and complete the contact information and phone verification "
        "steps, then run this again"
    ),
    "ACCOUNT_CANNOT_LEAVE_WITHOUT_EULA": (
        "it has not accepted the AWS Customer Agreement. Sign in to account {account_id} as its root user and "
        "complete the sign-up steps AWS shows, then run this again"
    ),
    "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG": (
        "it is a delegated administrator for {services}. Deregister it (DeregisterDelegatedAdministrator, or "
        "move the delegation to an account that stays in the organization), then run this again"
    ),
    "ACCOUNT_CANNOT_LEAVE_ORGANIZATION": (
        "it is the organization's management account, which can never be removed (delete the organization "
        "after all members have left instead)"
    ),
}


def parse_timestamp(value):
    """A datetime from boto3's datetime or the ISO string of a summary, or None."""
    if isinstance(value, datetime) or value is None:
        return value
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def wait_period_text(account):
    """When a created account may leave, as far as it can be known: four days after it was created."""
    created = parse_timestamp(account.get("JoinedTimestamp")) if account.get("JoinedMethod") == "CREATED" else None
    if created is None:
        return (
            "AWS keeps accounts the organization created for at least four days after their creation; run this "
            "again after that"
        )
    earliest = created + CREATED_ACCOUNT_WAIT
    return (
        f"the organization created it on {created.isoformat()} and AWS keeps created accounts for at least four "
        f"days: removal becomes possible from {earliest.isoformat()} at the earliest (AWS does not say the exact "
        "time); invited accounts have no waiting period"
    )


def delegated_services(client, account_id):
    """The services ``account_id`` is a delegated administrator for; empty if they cannot be read."""
    try:
        services = client.list_delegated_services_for_account(AccountId=account_id, aws_retry=True)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
        return []  # Only the message needs them; the refusal itself is what the run reports.
    return [service["ServicePrincipal"] for service in services.get("DelegatedServices", [])]


def removal_refusal(client, exception, account):
    """The clear message for AWS's refusal to remove ``account`` (an Organizations Account), or None."""
    code = error_code(exception)
    account_id = account["Id"]
    reason = (getattr(exception, "response", None) or {}).get("Reason")
    if code == "MasterCannotLeaveOrganizationException":
        reason = "ACCOUNT_CANNOT_LEAVE_ORGANIZATION"
    if code not in ("ConstraintViolationException", "MasterCannotLeaveOrganizationException"):
        return None
    if reason == "WAIT_PERIOD_ACTIVE":
        why = wait_period_text(account)
    elif reason == "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG":
        services = delegated_services(client, account_id)
        why = REMOVAL_REFUSALS[reason].format(services=", ".join(services) or "one or more services")
    elif reason in REMOVAL_REFUSALS:
        why = REMOVAL_REFUSALS[reason].format(account_id=account_id)
    else:
        return None
    return f"AWS refuses to remove account {account_id} from the organization ({reason}): {why}"


def remove_account(client, account):
    """RemoveAccountFromOrganization; returns False when the account had already left (another run, say)."""
    try:
        client.remove_account_from_organization(AccountId=account["Id"], aws_retry=True)
    except botocore.exceptions.ClientError as e:
        if error_code(e) == "AccountNotFoundException":
            return False
        message = removal_refusal(client, e, account) or f"Failed to remove account {account['Id']}"
        raise MspAwsError(message=message, exception=e) from e
    except botocore.exceptions.BotoCoreError as e:
        raise MspAwsError(message=f"Failed to remove account {account['Id']}", exception=e) from e
    return True
