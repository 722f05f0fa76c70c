#!/usr/bin/python
# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: aws_member_account_info
short_description: Find the organization's member accounts by root email or account id, in one read
version_added: 0.1.0
description:
  - Lists the accounts of the caller's AWS Organization (one paginated ListAccounts, 20 accounts a page, AWS's
    largest) and returns those with the given root emails or account ids, and what was asked for but not found.
  - With O(delegated_administrators=true), also the organization's delegated administrators and their services.
  - Reads only; runs with the organization's management account credentials (or a delegated administrator's).
  - Playbooks that handle many clients at once use it to find every client's account with a single read,
    instead of one read per client.
author:
  - msp.aws_accounts developers (!UNKNOWN)
options:
  emails:
    description:
      - Root emails of the accounts to return, compared case-insensitively (as AWS compares them).
      - With O(account_ids) too, an account matching either is returned.
      - With neither O(emails) nor O(account_ids), every account of the organization is returned. An empty list
        asks for nothing; when nothing is asked for, ListAccounts is not called (useful with
        O(delegated_administrators=true) alone).
    type: list
    elements: str
  account_ids:
    description:
      - Ids (12 digits) of the accounts to return. Quote them in YAML so leading zeros survive.
      - An id that is not 12 digits fails before any call.
    type: list
    elements: str
  delegated_administrators:
    description:
      - Also return RV(delegated_administrators), the organization's delegated administrator accounts and the
        services each administers.
      - Costs one paginated ListDelegatedAdministrators and one paginated ListDelegatedServicesForAccount per
        delegated administrator (an organization has few).
      - AWS refuses to remove a delegated administrator from the organization
        (CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG); reading this first lets a playbook stop before it
        changes anything.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: The module only reads; check mode returns the same as a run.
  diff_mode:
    support: none
    description: The module changes nothing.
notes:
  - An account that is closed, suspended or pending closure is still a member until AWS removes it; its
    RV(accounts[].state) says so.
  - Account.State is used, with the retired Account.Status mapped onto it for endpoints that only send that.
seealso:
  - module: msp.aws_accounts.aws_member_account
  - module: msp.aws_accounts.aws_billing_link
"""

EXAMPLES = r"""
- name: Find every client's account with one read
  msp.aws_accounts.aws_member_account_info:
    emails:
      - awsaccounts+acme@msp.example
      - aws-root@globex.example
    account_ids: ["210987654321"]
  register: client_accounts

- name: Say which clients are not members yet
  ansible.builtin.debug:
    msg: "Not in the organization yet: {{ client_accounts.missing.emails + client_accounts.missing.account_ids }}"
  when: (client_accounts.missing.emails + client_accounts.missing.account_ids) | length > 0

- name: Every account of the organization
  msp.aws_accounts.aws_member_account_info:
  register: organization_accounts

- name: Every account, and which of them are delegated administrators of which services
  msp.aws_accounts.aws_member_account_info:
    delegated_administrators: true
  register: organization_accounts

- name: Refuse to go on with a delegated administrator
  ansible.builtin.fail:
    msg: "Account 210987654321 administers {{ admin.services | join(', ') }} for the organization"
  vars:
    admin: "{{ organization_accounts.delegated_administrators | selectattr('id', 'equalto', '210987654321') | first }}"
  when: organization_accounts.delegated_administrators | selectattr('id', 'equalto', '210987654321') | list | length > 0
"""

RETURN = r"""
accounts:
  description: The accounts asked for (every account when nothing was asked for), sorted by id.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The account id.
      type: str
      returned: always
      sample: "345678901234"
    arn:
      description: The account's ARN in the organization.
      type: str
      returned: always
      sample: arn:aws:organizations::123456789012:account/o-exampleorgid/345678901234
    name:
      description: The account name.
      type: str
      returned: always
      sample: ACME Corp
    email:
      description: The root email, as AWS stores it.
      type: str
      returned: always
      sample: awsaccounts+acme@msp.example
    state:
      description: Account.State - V(ACTIVE), V(PENDING_ACTIVATION), V(SUSPENDED), V(PENDING_CLOSURE) or V(CLOSED).
      type: str
      returned: always
      sample: ACTIVE
    joined_method:
      description: V(CREATED) (by the organization) or V(INVITED).
      type: str
      returned: always
      sample: CREATED
    joined_timestamp:
      description: When the account joined the organization (ISO 8601).
      type: str
      returned: always
      sample: "2026-01-31T09:15:00+00:00"
missing:
  description: What was asked for and matches no account of the organization.
  returned: always
  type: dict
  contains:
    emails:
      description: The O(emails) that no account has, as given.
      type: list
      elements: str
      returned: always
      sample: ["awsaccounts+initech@msp.example"]
    account_ids:
      description: The O(account_ids) that are not members of the organization.
      type: list
      elements: str
      returned: always
      sample: ["310987654321"]
delegated_administrators:
  description:
    - The organization's delegated administrator accounts (members only; never the management account), sorted
      by id, whether asked for by O(emails)/O(account_ids) or not.
  returned: when O(delegated_administrators=true)
  type: list
  elements: dict
  contains:
    id:
      description: The account id.
      type: str
      returned: always
      sample: "210987654321"
    name:
      description: The account name.
      type: str
      returned: always
      sample: Globex Corporation
    email:
      description: The account's root email.
      type: str
      returned: always
      sample: aws-root@globex.example
    services:
      description: The service principals the account is a delegated administrator for, sorted.
      type: list
      elements: str
      returned: always
      sample: ["guardduty.amazonaws.com", "ssm.amazonaws.com"]
    delegation_enabled_date:
      description: When the account first became a delegated administrator (ISO 8601).
      type: str
      returned: always
      sample: "2026-02-01T10:00:00+00:00"
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import (
    MspAwsError,
    concurrent_modification_retry,
    quiet_access_key,
    standard_retry_config,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizations import (
    account_summary,
    delegated_administrators,
    list_accounts,
    select_accounts,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.validation import require_account_id

argument_spec = {
    "emails": {"type": "list", "elements": "str"},
    "account_ids": {"type": "list", "elements": "str"},
    "delegated_administrators": {"type": "bool", "default": False},
}


def validate(params):
    """An id AWS could never have fails before any call, naming the option and the entry."""
    for index, account_id in enumerate(params["account_ids"] or []):
        require_account_id(account_id, option=f"account_ids[{index}]")


def main():
    module = AnsibleAWSModule(argument_spec=quiet_access_key(argument_spec), supports_check_mode=True)
    params = module.params
    try:
        validate(params)
        org = module.client(
            "organizations", retry_decorator=concurrent_modification_retry, config=standard_retry_config()
        )
        emails, account_ids = params["emails"], params["account_ids"]
        asks_nothing = (emails, account_ids) != (None, None) and not (emails or account_ids)
        accounts = [] if asks_nothing else list_accounts(org)
        selected, missing = select_accounts(accounts, emails, account_ids)
        result = {"accounts": [account_summary(account) for account in selected], "missing": missing}
        if params["delegated_administrators"]:
            result["delegated_administrators"] = delegated_administrators(org)
    except MspAwsError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
