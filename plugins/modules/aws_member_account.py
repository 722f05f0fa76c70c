#!/usr/bin/python
# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: aws_member_account
short_description: A client's AWS member account, created once and never twice
version_added: 0.1.0
description:
  - Ensures that an AWS Organizations member account with the root email O(email) exists, as declared (name, OU,
    tags, alternate contacts), or is closed.
  - Runs with the organization's management account credentials.
  - The root email is the idempotency key. It is looked up (case-insensitively) in the organization's accounts.
    If no account has it, a CreateAccount request still in progress for the same O(name) is resumed. Only
    when neither exists is CreateAccount sent.
  - CreateAccount is never retried blindly. It is sent by a client that makes one attempt. After a refusal that
    proves nothing was created (C(TooManyRequestsException), C(ConcurrentModificationException)) or a lost
    answer, the organization's accounts and the requests in flight are read again before anything is resubmitted.
  - A failed request is an error that names its reason, never success with an empty id.
author:
  - msp.aws_accounts developers (!UNKNOWN)
options:
  email:
    description:
      - The account's root user email, the key that identifies the account.
      - Checked by the rules the CreateAccount API reference gives, before any call - 6 to 64 characters of
        7-bit ASCII and exactly one V(@). Before the V(@), no whitespace, none of V("'(\)<>[]:;,\\|%&), and no
        V(.) at the start. After it, only letters, digits, V(-) and V(.), at least one V(.), and no V(-) or V(.)
        at the start or the end.
      - The P(msp.aws_accounts.account_email#filter) filter derives one per client from a shared mailbox.
    type: str
    required: true
  name:
    description:
      - The account name, 1 to 50 printable ASCII characters. Required to create an account.
      - On an existing account with another name, the name is changed with the Account Management API
        (PutAccountName), which needs trusted access for V(account.amazonaws.com). Before a rename, in check
        mode too, GetAccountInformation is read, so a missing trusted access fails check mode as it fails a
        run.
      - Unset leaves the name of an existing account as it is.
    type: str
    aliases: [account_name]
  state:
    description:
      - V(present) creates the account if needed and converges it.
      - V(absent) closes the account (CloseAccount). The management account is refused. An account already
        closed, suspended or pending closure is left as it is, and so is an O(account_id) that is not in the
        organization (there is nothing to close).
      - With V(absent), when no account has O(email) but a CreateAccount request for O(name) is still in
        progress, the module fails (nothing can be closed yet) and asks to run again when it finishes.
      - Closing is asynchronous - the account is V(PENDING_CLOSURE), then V(SUSPENDED). AWS lets you reopen a
        closed account through AWS Support within 90 days; after that it is gone.
      - AWS caps how many member accounts can be closed in any rolling 30 days (the CloseAccount API reference
        gives 10% of the member accounts, between 10 and 1000); beyond the cap CloseAccount is refused.
    type: str
    choices: [present, absent]
    default: present
  account_id:
    description:
      - The id of a known member account to adopt. Its root email must be O(email) (compared case-insensitively),
        or the module fails before changing anything.
      - An account outside the organization must be invited first, with M(msp.aws_accounts.aws_billing_link).
        With O(state=present) such an id is an error; with O(state=absent) there is nothing to close.
      - With it the account is read with one DescribeAccount; without it the organization's accounts are
        listed to find O(email). Playbooks that handle many clients find them all with one
        M(msp.aws_accounts.aws_member_account_info) and pass each id here.
    type: str
  parent:
    description:
      - Where the account belongs - an OU path below the root (V(Clients/Production); V(/) is the root) or an
        id (V(ou-…), V(r-…)).
      - The account is moved there from its current parent. The OU must exist; create it with
        M(msp.aws_accounts.aws_organizational_unit).
      - Unset leaves an existing account where it is; a new account then stays in the root.
      - OU names containing V(/) cannot be named by path; use their id.
    type: str
  role_name:
    description:
      - The IAM role AWS creates in a new account for the management account to assume.
      - Used only when the account is created, and to check that a new account is ready (see O(wait)). AWS
        cannot read or change it afterwards.
    type: str
    default: OrganizationAccountAccessRole
  iam_user_access_to_billing:
    description:
      - Whether IAM users and roles of a new account may see its billing information (AWS's default is V(ALLOW)).
      - Used only when the account is created; AWS cannot read or change it afterwards through this API.
    type: str
    choices: [ALLOW, DENY]
  alternate_contacts:
    description:
      - The account's alternate contacts, through the Account Management API from the management account. The
        organization needs trusted access for V(account.amazonaws.com); the module says so if it is missing.
      - Unset leaves all contacts alone; a type left unset is left alone; a type given as V({}) is removed.
      - A type that is set needs all four of its fields (name, title, email and phone); AWS stores no partial
        contact.
    type: dict
    suboptions:
      billing:
        description: The billing contact.
        type: dict
        suboptions: &contact
          name:
            description: The contact's name, 1 to 64 characters. Required when the type is set.
            type: str
          title:
            description: The contact's title, 1 to 50 characters. Required when the type is set.
            type: str
          email:
            description: The contact's email address, up to 254 characters. Required when the type is set.
            type: str
          phone:
            description:
              - The contact's phone number, up to 25 digits, spaces, parentheses, plus signs and hyphens.
              - Required when the type is set.
            type: str
      operations:
        description: The operations contact.
        type: dict
        suboptions: *contact
      security:
        description: The security contact.
        type: dict
        suboptions: *contact
  wait:
    description:
      - Wait until an account whose CreateAccount request this run submitted or resumed is V(ACTIVE) and its
        O(role_name) can be assumed, before the module changes anything else on it. AWS refuses the role for
        some minutes after creation; the wait retries with a bounded backoff.
      - An account that already exists is never checked (AssumeRole is not called), whoever made it and
        whatever its role is named. So a run that timed out while waiting for the role does not wait for it
        again once the account exists; tasks that use the role right after must allow for AWS refusing it
        for a few minutes.
      - An existing account still V(PENDING_ACTIVATION) is waited for until V(ACTIVE).
      - With V(false), a new account's CreateAccount request is submitted (or found in progress) and returned;
        run again later to finish it.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds the whole wait may take. When it passes, the module fails with the CreateAccount
        request id and its progress; running it again resumes the same request.
    type: int
    default: 900
  wait_delay:
    description:
      - Seconds before the first poll while waiting. Each later poll waits 1.5 times longer, up to 30 seconds.
    type: float
    default: 2.0
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Predicts exactly what a run does; a new account is returned with RV(account.id=null).
  diff_mode:
    support: full
    description: Shows the name, parent, tags and alternate contacts before and after (and the state when closing).
notes:
  - Account.State is used (V(ACTIVE), V(PENDING_ACTIVATION), V(SUSPENDED), V(PENDING_CLOSURE), V(CLOSED)), not
    Account.Status, which AWS retires in September 2026.
  - Tags with keys starting V(aws:) are never purged.
  - CreateAccount is sent by a client that makes a single attempt even when O(aws_config) sets C(retries);
    that setting applies to every other call.
seealso:
  - module: msp.aws_accounts.aws_organizational_unit
  - module: msp.aws_accounts.aws_billing_link
"""

EXAMPLES = r"""
- name: The client's account, in its OU, with tags and a security contact
  msp.aws_accounts.aws_member_account:
    name: ACME Corp
    email: "{{ 'awsaccounts@example.com' | msp.aws_accounts.account_email('ACME Corp') }}"
    parent: Clients/Production
    tags:
      client: acme
      cost-center: "4711"
    alternate_contacts:
      security:
        name: ACME Security Desk
        title: Security Lead
        email: security@acme.example
        phone: "+1 555 0100"
  register: acme

- name: Submit the request without waiting (run again later to finish it)
  msp.aws_accounts.aws_member_account:
    name: Globex Staging
    email: awsaccounts+globex-staging@example.com
    wait: false

- name: Adopt a known account and remove its billing contact, leaving the others alone
  msp.aws_accounts.aws_member_account:
    account_id: "210987654321"
    email: root@globex.example
    alternate_contacts:
      billing: {}

- name: Rename an account and move it by OU id
  msp.aws_accounts.aws_member_account:
    email: awsaccounts+acme-corp@example.com
    name: ACME Corporation
    parent: ou-ab12-cdef3456

- name: Close a client's account (reopenable through AWS Support for 90 days)
  msp.aws_accounts.aws_member_account:
    email: awsaccounts+acme-corp@example.com
    state: absent
"""

RETURN = r"""
account:
  description: The account after the run (as predicted in check mode); null when O(state=absent) finds none.
  returned: always
  type: dict
  contains:
    id:
      description: The account id; null for an account check mode would create, or one still being created.
      type: str
      returned: always
      sample: "345678901234"
    arn:
      description: The account's ARN in the organization; null while the account has no id.
      type: str
      returned: always
      sample: arn:aws:organizations::123456789012:account/o-exampleorgid/345678901234
    name:
      description: The account name.
      type: str
      returned: always
      sample: ACME Corp
    email:
      description: The root email.
      type: str
      returned: always
      sample: awsaccounts+acme-corp@example.com
    state:
      description:
        - Account.State - V(ACTIVE), V(PENDING_ACTIVATION), V(SUSPENDED), V(PENDING_CLOSURE) or V(CLOSED).
        - Null for an account whose request is still in progress with O(wait=false).
      type: str
      returned: always
      sample: ACTIVE
    joined_method:
      description: V(CREATED) or V(INVITED); null like RV(account.state).
      type: str
      returned: always
      sample: CREATED
    joined_timestamp:
      description: When the account joined the organization (ISO 8601); null while the account has no id.
      type: str
      returned: always
      sample: "2026-01-31T09:15:00+00:00"
    parent:
      description: The root or OU the account is in.
      type: dict
      returned: when O(state=present)
      contains:
        id:
          description: The root or OU id.
          type: str
          returned: always
          sample: ou-ab12-cdef3456
        path:
          description: Its path from the root, V(/) for the root itself.
          type: str
          returned: always
          sample: /Clients/Production
    tags:
      description: The account's tags.
      type: dict
      returned: when O(state=present)
      sample: {"client": "acme"}
    alternate_contacts:
      description:
        - The contacts of each type (V(billing), V(operations), V(security)), null for a type that is not set.
        - Null when O(alternate_contacts) is unset (they are then not read, and need no trusted access).
      type: dict
      returned: when O(state=present)
      sample:
        billing: null
        operations: null
        security: {"name": "ACME Security Desk", "title": "Security Lead", "email": "security@acme.example",
                   "phone": "+1 555 0100"}
create_account_status:
  description: The CreateAccount request this run submitted or resumed, as AWS last reported it.
  returned: >-
    when the run submitted a CreateAccount request or resumed one in progress for O(name) (not when a re-check
    found the account already made); in check mode, when it would resume one
  type: dict
  contains:
    id:
      description: The request id.
      type: str
      returned: always
      sample: car-0123456789abcdef0123456789abcdef
    state:
      description: V(IN_PROGRESS), V(SUCCEEDED) or V(FAILED).
      type: str
      returned: always
      sample: SUCCEEDED
    account_name:
      description: The AccountName of the request.
      type: str
      returned: always
      sample: ACME Corp
    account_id:
      description: The new account's id once the request succeeded; null before.
      type: str
      returned: always
      sample: "345678901234"
    requested_timestamp:
      description: When the request was made.
      type: str
      returned: always
      sample: "2026-01-31T09:14:02+00:00"
    completed_timestamp:
      description: When it finished; null while it is in progress.
      type: str
      returned: always
      sample: "2026-01-31T09:15:00+00:00"
    failure_reason:
      description:
        - AWS's FailureReason of a FAILED request (V(EMAIL_ALREADY_EXISTS), V(ACCOUNT_LIMIT_EXCEEDED)…); null
          otherwise.
        - A run that ends with a FAILED request fails, so a returned status is seldom FAILED.
      type: str
      returned: always
      sample: null
    resumed:
      description: Whether this run found the request in progress rather than submitting it.
      type: bool
      returned: always
      sample: false
wait_progress:
  description: How the search, the submission and the wait for a new account went.
  returned: >-
    when the run (not in check mode) found no account with O(email), so submitted CreateAccount or resumed a
    request; also with a wait_timeout failure
  type: dict
  contains:
    phase:
      description:
        - The last phase reached.
        - V(finding) - looking for the account and for a request in flight.
        - V(submitting) - sending CreateAccount (a re-check after a refused or lost submission may then find
          the account, and end the wait there when O(wait=false)).
        - V(submitted) - AWS accepted this run's request.
        - V(creating) - the request is IN_PROGRESS (also where a resumed request starts).
        - V(activating) - waiting until the new account can be described and is V(ACTIVE).
        - V(access_role) - waiting until O(role_name) can be assumed.
        - V(ready) - the account is V(ACTIVE) and its role can be assumed.
      type: str
      returned: always
      sample: ready
    request_id:
      description: The CreateAccount request id; null when none was submitted or resumed.
      type: str
      returned: always
      sample: car-0123456789abcdef0123456789abcdef
    elapsed_seconds:
      description: Seconds spent since the module started looking.
      type: float
      returned: always
      sample: 93.5
    polls:
      description: DescribeCreateAccountStatus calls made.
      type: int
      returned: always
      sample: 6
    submissions:
      description: CreateAccount calls made (more than one only after refusals that created nothing).
      type: int
      returned: always
      sample: 1
    access_role_attempts:
      description: AssumeRole attempts, counted until the access role worked or the wait timed out.
      type: int
      returned: when the wait reached the V(access_role) phase
      sample: 3
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.msp.aws_accounts.plugins.module_utils.account_api import (
    apply_contact_changes,
    get_contacts,
    put_account_name,
    require_account_management_access,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.accounts import (
    ALREADY_CLOSING,
    EXISTING,
    NOTHING_TO_CLOSE,
    REFUSE_CLOSE,
    RESUME,
    STILL_BEING_CREATED,
    Creation,
    WaitTimedOut,
    account_changes,
    changed_state,
    close_decision,
    create_account_client_config,
    creation_changes,
    creation_params,
    diff_view,
    predicted_new_account,
    result_summary,
    same_name_requests,
    status_summary,
    still_being_created_message,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.alternate_contacts import (
    CONTACT_TYPES,
    desired_contacts,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.common import (
    InvalidInput,
    MspAwsError,
    concurrent_modification_retry,
    quiet_access_key,
    standard_retry_config,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizational_units import (
    OrganizationTree,
    parse_parent,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizations import (
    account_summary,
    describe_account,
    find_account,
    in_flight_create_requests,
    list_accounts,
    list_tags,
    management_account_id,
    parent_of,
    translated_errors,
    update_tags,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.sts import partition_of, role_arn
from ansible_collections.msp.aws_accounts.plugins.module_utils.validation import (
    require_account_id,
    require_account_name,
    require_email,
    require_role_name,
)

CONTACT_OPTIONS = {field: {"type": "str"} for field in ("name", "title", "email", "phone")}

argument_spec = {
    "email": {"type": "str", "required": True},
    "name": {"type": "str", "aliases": ["account_name"]},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "account_id": {"type": "str"},
    "parent": {"type": "str"},
    "role_name": {"type": "str", "default": "OrganizationAccountAccessRole"},
    "iam_user_access_to_billing": {"type": "str", "choices": ["ALLOW", "DENY"]},
    "alternate_contacts": {
        "type": "dict",
        "options": {
            contact_type.lower(): {"type": "dict", "options": CONTACT_OPTIONS} for contact_type in CONTACT_TYPES
        },
    },
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 900},
    "wait_delay": {"type": "float", "default": 2.0},
}


def validate(params):
    """Every rule AWS would enforce, before any call: InvalidInput names the option."""
    require_email(params["email"])
    if params["name"] is not None:
        require_account_name(params["name"])
    if params["account_id"] is not None:
        require_account_id(params["account_id"])
    if params["parent"] is not None:
        parse_parent(params["parent"])
    require_role_name(params["role_name"])
    if params["wait_timeout"] < 0:
        raise InvalidInput("wait_timeout", "must be 0 or more seconds")
    if params["wait_delay"] <= 0:
        raise InvalidInput("wait_delay", "must be more than 0 seconds")
    return desired_contacts(params["alternate_contacts"]) if params["alternate_contacts"] is not None else None


class MemberAccount:
    """One run of the module: the clients, the desired state, and the organization as read once."""

    def __init__(self, module):
        self.params = module.params
        self.check_mode = module.check_mode
        retrying = {"retry_decorator": concurrent_modification_retry, "config": standard_retry_config()}
        self.org = module.client("organizations", **retrying)
        self.submit_client = module.client(
            "organizations", aws_config=create_account_client_config(self.params.get("aws_config"))
        )
        self.account_api = module.client("account", **retrying)
        self.sts = module.client("sts", **retrying)
        self.tree = OrganizationTree(self.org)
        self.contacts = validate(self.params)
        self._accounts = None
        self._management_id = None

    def organization_accounts(self):
        """Every account of the organization, listed once and only when an email must be looked up: in an
        organization of 1,000 accounts ListAccounts is 50 calls, where O(account_id) needs one DescribeAccount."""
        if self._accounts is None:
            self._accounts = list_accounts(self.org)
        return self._accounts

    @property
    def management_id(self):
        if self._management_id is None:
            self._management_id = management_account_id(self.organization_accounts())
        return self._management_id

    # --- reading -------------------------------------------------------------------------------------

    def find(self, member_required=True):
        """The account with O(account_id) (which must be a member, unless ``member_required`` is false) or
        with O(email); None when there is none."""
        email, account_id = self.params["email"], self.params["account_id"]
        if account_id:
            account = describe_account(self.org, account_id)
            if account is not None:
                # Every account's ARN names the management account: no listing needed for its id.
                self._management_id = management_account_id([account])
        else:
            account = find_account(self.organization_accounts(), email=email)
        if account_id and account is None and member_required:
            raise MspAwsError(
                message=(
                    f"account_id: {account_id} is not a member of this organization; invite it first with "
                    "msp.aws_accounts.aws_billing_link"
                )
            )
        if account is not None and account.get("Email", "").lower() != email.lower():
            raise MspAwsError(
                message=f"account_id: account {account_id} has the root email {account.get('Email')}, not {email}"
            )
        return account

    def desired(self):
        parent = self.params["parent"]
        return {
            "name": self.params["name"],
            "parent": self.tree.parent(parent) if parent is not None else None,
            "tags": self.params["tags"],
            "purge_tags": self.params["purge_tags"],
            "alternate_contacts": self.contacts,
        }

    def actual(self, account):
        parent_id = parent_of(self.org, account["Id"])["Id"]
        contacts = None
        if self.contacts is not None:
            contacts = get_contacts(self.account_api, account["Id"], self.management_id)
        return {
            "name": account.get("Name"),
            "parent": {"id": parent_id, "path": self.tree.path_of(parent_id)},
            "tags": list_tags(self.org, account["Id"]),
            "alternate_contacts": contacts,
        }

    # --- applying ------------------------------------------------------------------------------------

    def ensure_changes(self, account_id, actual, changes):
        """Apply account_changes; in check mode only predict. Returns (changed, new state)."""
        if not changes:
            return False, actual
        if "name" in changes:
            # Fails (without trusted access) in check mode exactly as PutAccountName fails in a run.
            require_account_management_access(self.account_api, account_id, self.management_id)
        if not self.check_mode:
            if "name" in changes:
                put_account_name(self.account_api, account_id, self.management_id, changes["name"])
            if "parent" in changes:
                self.move(account_id, actual["parent"]["id"], changes["parent"]["id"])
            if "tags" in changes:
                update_tags(self.org, account_id, *changes["tags"])
            if "alternate_contacts" in changes:
                apply_contact_changes(self.account_api, account_id, self.management_id, changes["alternate_contacts"])
        return True, changed_state(actual, changes)

    def move(self, account_id, source_id, destination_id):
        with translated_errors(f"Failed to move account {account_id} from {source_id} to {destination_id}"):
            try:
                self.org.move_account(
                    AccountId=account_id, SourceParentId=source_id, DestinationParentId=destination_id, aws_retry=True
                )
            except is_boto3_error_code("DuplicateAccountException"):
                pass  # another run moved it there first

    def predicted(self, desired):
        return result_summary(*predicted_new_account(desired, self.params["email"], self.params["wait"], self.root_id))

    @property
    def root_id(self):
        return self.tree.root["Id"]

    def ensure_created(self, creation, plan, desired):
        """Carry out a plan to create or resume: ``(account or None, extra results, made_by_this_run)``.
        No account means there is nothing more to do this run (check mode, or not waiting); the flag is
        then the run's ``changed``. With an account, it says whether this run made it (submitted or resumed
        its request) rather than finding it made by another."""
        if desired["name"] is None:
            raise InvalidInput("name", "is required to create the account (no account has this email)")
        wait = self.params["wait"]
        if self.check_mode:
            extra = {}
            if plan.kind == RESUME:
                extra["create_account_status"] = status_summary(plan.found, resumed=True)
            return None, extra, creation_changes(plan.kind, wait)
        params = creation_params(
            self.params["email"], desired, self.params["role_name"], self.params["iam_user_access_to_billing"]
        )
        outcome = creation.run(plan, params, wait)
        extra = {"wait_progress": dict(creation.progress)}
        if outcome.status is not None:
            extra["create_account_status"] = status_summary(outcome.status, resumed=outcome.resumed)
        if outcome.account is None:  # not waiting: the request is on its way
            return None, extra, creation_changes(plan.kind, wait)
        return outcome.account, extra, outcome.made_by_this_run

    def ensure_present(self):
        desired = self.desired()
        account = self.find()
        creation = Creation(
            self.org,
            self.submit_client,
            self.params["email"],
            desired["name"],
            self.params["wait_timeout"],
            self.params["wait_delay"],
        )
        plan = creation.plan(account)
        extra = {}
        made_by_this_run = False
        if plan.kind != EXISTING:
            account, extra, made_by_this_run = self.ensure_created(creation, plan, desired)
            if account is None:
                return made_by_this_run, None, self.predicted(desired), extra
        waiting = self.params["wait"] and not self.check_mode
        if waiting:
            account = creation.wait_until_active(account)
        state = account_summary(account)["state"]
        if state not in ("ACTIVE", "PENDING_ACTIVATION"):
            raise MspAwsError(
                message=(
                    f"Account {account['Id']} ({account.get('Email')}) is {state}. AWS lets a closed account be "
                    "reopened through AWS Support within 90 days; this module does not reopen accounts"
                )
            )
        if waiting and made_by_this_run:
            # Only a new account needs its access role proven, and before anything else is written to it.
            arn = role_arn(partition_of(account.get("Arn")), account["Id"], self.params["role_name"])
            creation.wait_for_access(self.sts, arn)
            extra["wait_progress"] = dict(creation.progress)
        before = self.actual(account)
        changed, after = self.ensure_changes(account["Id"], before, account_changes(desired, before))
        before_summary = None if made_by_this_run else result_summary(account, before)
        return changed or made_by_this_run, before_summary, result_summary(account, after), extra

    def ensure_absent(self):
        account = self.find(member_required=False)
        in_flight = []
        if account is None and self.params["name"] is not None:
            in_flight = same_name_requests(in_flight_create_requests(self.org), self.params["name"])
        decision = close_decision(account, self.management_id, in_flight)
        if decision == STILL_BEING_CREATED:
            raise MspAwsError(message=still_being_created_message(self.params["name"], in_flight))
        if decision == REFUSE_CLOSE:
            raise MspAwsError(
                message=f"Account {account['Id']} is the organization's management account, which cannot be closed"
            )
        if decision in (NOTHING_TO_CLOSE, ALREADY_CLOSING):
            summary = account_summary(account) if account else None
            return False, summary, summary, {}
        before = account_summary(account)
        if self.check_mode:
            return True, before, dict(before, state="PENDING_CLOSURE"), {}
        with translated_errors(f"Failed to close account {account['Id']}"):
            try:
                self.org.close_account(AccountId=account["Id"], aws_retry=True)
            except is_boto3_error_code("AccountAlreadyClosedException"):
                pass  # closed by another run since ListAccounts
        closed = describe_account(self.org, account["Id"]) or account
        return True, before, account_summary(closed), {}


def main():
    module = AnsibleAWSModule(argument_spec=quiet_access_key(argument_spec), supports_check_mode=True)
    try:
        run = MemberAccount(module)
        if module.params["state"] == "present":
            changed, before, after, extra = run.ensure_present()
        else:
            changed, before, after, extra = run.ensure_absent()
    except WaitTimedOut as e:
        module.fail_json(msg=e.message, **e.result)
    except MspAwsError as e:
        module.fail_json_aws_error(e)
    module.exit_json(
        changed=changed, account=after, diff={"before": diff_view(before), "after": diff_view(after)}, **extra
    )


if __name__ == "__main__":
    main()
