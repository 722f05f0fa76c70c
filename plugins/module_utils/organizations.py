# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS Organizations reads shared by aws_member_account, aws_billing_link, the audit and the planner.

The organization's account list is the idempotency key of every account-level module: it is read once
per call (paginated) and searched in memory, never re-listed per account.
"""

try:
    import botocore
except ImportError:
    pass  # The modules report a missing botocore through AnsibleAWSModule.

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import MspAwsError

# Account.Status is retired by AWS in September 2026; Account.State replaces it. Older endpoints (and
# older botocore) only send Status, whose values map onto State like this.
STATUS_TO_STATE = {"ACTIVE": "ACTIVE", "SUSPENDED": "SUSPENDED", "PENDING_CLOSURE": "PENDING_CLOSURE"}
CLOSING_STATES = ("PENDING_CLOSURE", "SUSPENDED", "CLOSED")


def describe_organization(client):
    """The caller's organization as a snake_case dict; a clear error when the caller is in none."""
    try:
        organization = client.describe_organization(aws_retry=True)["Organization"]
    except is_boto3_error_code("AWSOrganizationsNotInUseException") as e:
        raise MspAwsError(
            message="The caller's account is in no AWS Organization: use the management account's credentials",
            exception=e,
        ) from e
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        raise MspAwsError(message="Failed to describe the organization", exception=e) from e
    return {
        "id": organization["Id"],
        "arn": organization["Arn"],
        "management_account_id": organization["MasterAccountId"],
        "management_account_email": organization.get("MasterAccountEmail"),
        "feature_set": organization.get("FeatureSet"),
    }


def list_accounts(client):
    """Every account of the organization, as AWS returns them (all pages)."""
    try:
        paginator = client.get_paginator("list_accounts")
        return paginator.paginate().build_full_result()["Accounts"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise MspAwsError(message="Failed to list the organization's accounts", exception=e) from e


def describe_account(client, account_id):
    """One account of the organization as AWS returns it, or None when it is not (or no longer) a member."""
    try:
        return client.describe_account(AccountId=account_id, aws_retry=True)["Account"]
    except is_boto3_error_code("AccountNotFoundException"):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        raise MspAwsError(message=f"Failed to describe account {account_id}", exception=e) from e


def find_account(accounts, account_id=None, email=None):
    """The account with this id, or else with this root email (AWS compares emails case-insensitively)."""
    for account in accounts:
        if account_id and account["Id"] == account_id:
            return account
    if email:
        wanted = email.lower()
        for account in accounts:
            if account.get("Email", "").lower() == wanted:
                return account
    return None


def account_state(account):
    """Account.State, falling back to the retired Account.Status for endpoints that only send that."""
    return account.get("State") or STATUS_TO_STATE.get(account.get("Status"), account.get("Status"))


def account_summary(account):
    """The parts of an Organizations Account every module returns, in the collection's snake_case words."""
    joined = account.get("JoinedTimestamp")
    return {
        "id": account["Id"],
        "arn": account.get("Arn"),
        "name": account.get("Name"),
        "email": account.get("Email"),
        "state": account_state(account),
        "joined_method": account.get("JoinedMethod"),
        "joined_timestamp": joined.isoformat() if hasattr(joined, "isoformat") else joined,
    }
