# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS Organizations reads shared by aws_member_account, aws_billing_link, the audit and the planner.

The organization's account list is the idempotency key of every account-level module: it is read once
per call (paginated) and searched in memory, never re-listed per account.
"""

from contextlib import contextmanager

try:
    import botocore
except ImportError:
    pass  # The modules report a missing botocore through AnsibleAWSModule.

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import MspAwsError

# Account.Status is retired by AWS in September 2026; Account.State replaces it. Older endpoints (and
# older botocore) only send Status, whose values map onto State like this.
STATUS_TO_STATE = {"ACTIVE": "ACTIVE", "SUSPENDED": "SUSPENDED", "PENDING_CLOSURE": "PENDING_CLOSURE"}
CLOSING_STATES = ("PENDING_CLOSURE", "SUSPENDED", "CLOSED")
# ListAccounts' MaxResults may be 1 to 20 (the API reference), as ListAccountsForParent's and
# ListOrganizationalUnitsForParent's; asking for 20 makes the fewest calls.
ORGANIZATIONS_PAGE_SIZE = 20


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
    """Every account of the organization, as AWS returns them (all pages of AWS's largest page size)."""
    try:
        paginator = client.get_paginator("list_accounts")
        pages = paginator.paginate(PaginationConfig={"PageSize": ORGANIZATIONS_PAGE_SIZE})
        return pages.build_full_result()["Accounts"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise MspAwsError(message="Failed to list the organization's accounts", exception=e) from e


def describe_account(client, account_id):
    """One account of the organization as AWS returns it, or None when it is not (or no longer) a member."""
    return _found_or_none(
        lambda: client.describe_account(AccountId=account_id, aws_retry=True)["Account"],
        "AccountNotFoundException",
        f"Failed to describe account {account_id}",
    )


def _found_or_none(read, not_found_code, message):
    """``read()``, or None when AWS answers ``not_found_code``; other errors become MspAwsError(message)."""
    try:
        return read()
    except is_boto3_error_code(not_found_code):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        raise MspAwsError(message=message, exception=e) from e


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


def select_accounts(accounts, emails=None, account_ids=None):
    """The accounts asked for, and what was asked for but not found: ``(selected, missing)``.

    An account is selected when its id is in ``account_ids`` or its root email in ``emails`` (compared
    case-insensitively, as AWS does). When neither is given (both None) every account is selected. The
    selection is sorted by account id; ``missing`` is ``{"emails": [...], "account_ids": [...]}`` in the order
    asked, each value as given, without repeats.
    """
    if emails is None and account_ids is None:
        return sorted(accounts, key=lambda a: a["Id"]), {"emails": [], "account_ids": []}
    wanted_ids = set(account_ids or [])
    wanted_emails = {email.lower() for email in emails or []}
    selected = [
        account
        for account in accounts
        if account["Id"] in wanted_ids or account.get("Email", "").lower() in wanted_emails
    ]
    found_ids = {account["Id"] for account in accounts}
    found_emails = {account.get("Email", "").lower() for account in accounts}
    missing_emails = _unique(email for email in emails or [] if email.lower() not in found_emails)
    missing_ids = _unique(account_id for account_id in account_ids or [] if account_id not in found_ids)
    return sorted(selected, key=lambda a: a["Id"]), {"emails": missing_emails, "account_ids": missing_ids}


def _unique(values):
    seen = set()
    return [value for value in values if not (value in seen or seen.add(value))]


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


# --- reads beyond the account list: roots, OUs, parents, tags, CreateAccount requests -------------------------


@contextmanager
def translated_errors(message):
    """Turn botocore's errors inside the block into MspAwsError(message), keeping AWS's error."""
    try:
        yield
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise MspAwsError(message=message, exception=e) from e


def management_account_id(accounts):
    """The management account's id, read from the organization's account ARNs (no extra call).

    Every account ARN is ``arn:<partition>:organizations::<management id>:account/o-…/<id>``.
    """
    for account in accounts:
        parsed = parse_aws_arn(account.get("Arn") or "")
        if parsed and parsed["account_id"]:
            return parsed["account_id"]
    return None


def root_of(client):
    """The organization's root (Id, Arn, Name). An organization has exactly one."""
    with translated_errors("Failed to list the organization's roots"):
        return client.list_roots(aws_retry=True)["Roots"][0]


def child_organizational_units(client, parent_id):
    """The OUs directly below a root or OU (all pages; ListOrganizationalUnitsForParent's largest is 20 too)."""
    with translated_errors(f"Failed to list the organizational units below {parent_id}"):
        paginator = client.get_paginator("list_organizational_units_for_parent")
        pages = paginator.paginate(ParentId=parent_id, PaginationConfig={"PageSize": ORGANIZATIONS_PAGE_SIZE})
        return pages.build_full_result()["OrganizationalUnits"]


def child_accounts(client, parent_id):
    """The accounts directly in a root or OU (all pages of AWS's largest page size, as list_accounts)."""
    with translated_errors(f"Failed to list the accounts in {parent_id}"):
        paginator = client.get_paginator("list_accounts_for_parent")
        pages = paginator.paginate(ParentId=parent_id, PaginationConfig={"PageSize": ORGANIZATIONS_PAGE_SIZE})
        return pages.build_full_result()["Accounts"]


def parent_of(client, child_id):
    """The parent (Id, Type ROOT or ORGANIZATIONAL_UNIT) of an account or OU: AWS gives exactly one."""
    with translated_errors(f"Failed to read the parent of {child_id}"):
        return client.list_parents(ChildId=child_id, aws_retry=True)["Parents"][0]


def describe_organizational_unit(client, ou_id):
    """The OU (Id, Arn, Name), or None when there is no such OU."""
    return _found_or_none(
        lambda: client.describe_organizational_unit(OrganizationalUnitId=ou_id, aws_retry=True)["OrganizationalUnit"],
        "OrganizationalUnitNotFoundException",
        f"Failed to describe organizational unit {ou_id}",
    )


def list_tags(client, resource_id):
    """The tags of an account, OU or root as a dict."""
    with translated_errors(f"Failed to list the tags of {resource_id}"):
        paginator = client.get_paginator("list_tags_for_resource")
        tags = paginator.paginate(ResourceId=resource_id).build_full_result()["Tags"]
    return boto3_tag_list_to_ansible_dict(tags)


def update_tags(client, resource_id, tags_to_set, tag_keys_to_unset):
    """Apply the outcome of compare_aws_tags to an account, OU or root."""
    with translated_errors(f"Failed to update the tags of {resource_id}"):
        if tag_keys_to_unset:
            client.untag_resource(ResourceId=resource_id, TagKeys=list(tag_keys_to_unset), aws_retry=True)
        if tags_to_set:
            client.tag_resource(
                ResourceId=resource_id, Tags=ansible_dict_to_boto3_tag_list(tags_to_set), aws_retry=True
            )


def in_flight_create_requests(client):
    """CreateAccount requests still IN_PROGRESS (all pages). They carry the AccountName, never the email."""
    with translated_errors("Failed to list the CreateAccount requests in progress"):
        paginator = client.get_paginator("list_create_account_status")
        return paginator.paginate(States=["IN_PROGRESS"]).build_full_result()["CreateAccountStatuses"]


def describe_create_account_status(client, request_id):
    with translated_errors(f"Failed to read the status of CreateAccount request {request_id}"):
        return client.describe_create_account_status(CreateAccountRequestId=request_id, aws_retry=True)[
            "CreateAccountStatus"
        ]


# --- delegated administrators ---------------------------------------------------------------------------------


def list_delegated_administrators(client):
    """The organization's delegated administrator accounts (all pages of AWS's largest page size, as list_accounts)."""
    with translated_errors("Failed to list the organization's delegated administrators"):
        paginator = client.get_paginator("list_delegated_administrators")
        pages = paginator.paginate(PaginationConfig={"PageSize": ORGANIZATIONS_PAGE_SIZE})
        return pages.build_full_result()["DelegatedAdministrators"]


def delegated_services(client, account_id):
    """The service principals a delegated administrator account administers (all pages), sorted."""
    with translated_errors(f"Failed to list the services delegated to account {account_id}"):
        paginator = client.get_paginator("list_delegated_services_for_account")
        pages = paginator.paginate(AccountId=account_id, PaginationConfig={"PageSize": ORGANIZATIONS_PAGE_SIZE})
        services = pages.build_full_result()["DelegatedServices"]
    return sorted(service["ServicePrincipal"] for service in services)


def delegated_administrator_summary(administrator, services):
    """A DelegatedAdministrator and its service principals, in the collection's snake_case words."""
    enabled = administrator.get("DelegationEnabledDate")
    return {
        "id": administrator["Id"],
        "name": administrator.get("Name"),
        "email": administrator.get("Email"),
        "services": list(services),
        "delegation_enabled_date": enabled.isoformat() if hasattr(enabled, "isoformat") else enabled,
    }


def delegated_administrators(client):
    """Every delegated administrator of the organization with the services it administers, sorted by id.

    One ListDelegatedAdministrators (paginated), then one ListDelegatedServicesForAccount per administrator:
    an organization has few of them.
    """
    return [
        delegated_administrator_summary(administrator, delegated_services(client, administrator["Id"]))
        for administrator in sorted(list_delegated_administrators(client), key=lambda a: a["Id"])
    ]
