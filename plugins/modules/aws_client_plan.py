#!/usr/bin/python
# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: aws_client_plan
short_description: Read many clients' accounts at once and say which differ from the onboarding
version_added: 0.2.0
description:
  - The planner of C(playbooks/onboard.yml) and C(playbooks/audit.yml). Run once per play, on the controller, it
    reads the live state of every client given, in one process, and compares it with the desired state by the same
    functions the modules use in check mode. Clients in sync can then skip their per-client tasks.
  - "Organization-wide, once: ListAccounts, the OU paths of O(organizational_units) and of the clients, the accounts
    under each of those OUs, and, with O(service_principals), the organization's trusted access."
  - "Per account, in a pool of O(workers) threads: its tags, its alternate contacts (only for clients that set
    them), one session through its access role for GetAccountAuthorizationDetails (Filter=Role) and ListRoles,
    and, as O(read_root_credentials) says, the root user's credentials through a root session
    (IAMAuditRootUserCredentials)."
  - Organizations' per-account reads go two at a time and the Account API's four at a time, all with botocore's
    standard retry mode, so throttling is retried without exceeding Organizations' low rate limits.
  - Any doubt counts as drift - an account not found or not ACTIVE, a read that fails, an entry the planner
    cannot judge, O(clients[].force) -, so the planner can make a run faster but never less correct.
  - Reads only; runs with the organization's management account credentials.
author:
  - msp.aws_accounts developers (!UNKNOWN)
options:
  clients:
    description:
      - The clients to plan, each the desired state as the onboarding's roles compute it from the inventory.
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description: The client's inventory host; the results name it.
        type: str
        required: true
      email:
        description: The account's root email; finds a created account, and must match an invited one's.
        type: str
        required: true
      account_id:
        description: The account's id, when the inventory gives it (an invited account).
        type: str
      join:
        description: How the account joined; an invited account keeps its own name.
        type: str
        choices: [create, invite]
        default: create
      name:
        description: The account name the onboarding gives a created account.
        type: str
      ou:
        description:
          - The OU path the account belongs in (V("") is the root); unset leaves the OU alone.
        type: str
      tags:
        description: The account's tags, exactly (purged); unset leaves them alone.
        type: dict
      alternate_contacts:
        description:
          - The account's alternate contacts as M(msp.aws_accounts.aws_member_account) takes them; unset or empty
            leaves them alone.
        type: dict
      roles:
        description:
          - The cross-account roles, each the options M(msp.aws_accounts.aws_xacct_role) gets from the
            C(xacct_roles) role (the C(xacct_role_options) filter makes both).
        type: list
        elements: dict
        default: []
      role_path:
        description: The MSP's role path; roles on it that let other accounts in and are not listed are stale.
        type: str
        required: true
      access_role_name:
        description: The role in the account that the management account assumes to read it (never stale).
        type: str
        required: true
      root_credentials:
        description: V(delete) - the root user must have no credentials; V(keep) - they are left alone.
        type: str
        choices: [delete, keep]
      force:
        description:
          - A reason to run the client's full tasks whatever its state (for example, the client's credentials are
            given, which only the tasks can check). The client is still read.
        type: str
  organizational_units:
    description: OU paths that must exist (the MSP's OUs); a missing one makes every client run its tasks.
    type: list
    elements: str
    default: []
  service_principals:
    description: Service principals that must have trusted access; one missing makes every client run its tasks.
    type: list
    elements: str
    default: []
  read_root_credentials:
    description:
      - Whose root user's credentials to read. V(delete) - the clients with O(clients[].root_credentials=delete)
        (what the onboarding converges); V(all) - every client's (what the audit reports); V(none) - nobody's.
    type: str
    choices: [delete, all, none]
    default: delete
  workers:
    description: Threads reading accounts at once (1 to 32).
    type: int
    default: 8
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
    description:
      - The module changes nothing; each difference it finds carries the diff of the module that converges it.
notes:
  - GetAccountAuthorizationDetails' RoleDetail has no Description or MaxSessionDuration; ListRoles gives them, so
    the role work costs three calls per account (AssumeRole, GetAccountAuthorizationDetails, ListRoles) for any
    number of roles.
  - Playbooks switch it off with C(msp_planner=false); every client then runs its tasks.
seealso:
  - module: msp.aws_accounts.aws_member_account
  - module: msp.aws_accounts.aws_xacct_role
  - module: msp.aws_accounts.aws_root_credentials
"""

EXAMPLES = r"""
- name: Plan the run (reads only)
  msp.aws_accounts.aws_client_plan:
    clients:
      - host: acme
        email: awsaccounts+acme@msp.example
        name: ACME Corp
        ou: /clients
        tags: {client: acme}
        role_path: /msp/
        access_role_name: OrganizationAccountAccessRole
        root_credentials: delete
        roles:
          - name: msp-admin
            path: /msp/
            trusted_account_ids: ["123456789012"]
            managed_policies: [AdministratorAccess]
    organizational_units: [/clients]
  register: plan

- name: Onboard only the clients that drifted
  ansible.builtin.debug:
    msg: "Running the tasks of {{ plan.to_run | join(', ') }}; in sync: {{ plan.in_sync | join(', ') }}"
"""

RETURN = r"""
clients:
  description: One verdict per client, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    host:
      description: The client's host.
      type: str
      returned: always
    account_id:
      description: The account's id, None when no account was found.
      type: str
      returned: always
    verdict:
      description: V(in_sync), V(drift) or V(error) (something could not be read or judged).
      type: str
      returned: always
      sample: drift
    differences:
      description:
        - What a run would change, one entry per resource, each C(subject) (the audit's words) and C(result)
          shaped as the converging module's result in check mode (C(changed), C(diff), C(changes)).
      type: list
      elements: dict
      returned: always
    drift:
      description: The differences as the audit words them (C(subject), C(actions), C(changes)).
      type: list
      elements: dict
      returned: always
    error:
      description: Why the client could not be planned, or None.
      type: str
      returned: always
    reason:
      description: Why O(clients[].force) makes the client run its tasks.
      type: str
      returned: when forced
    roles:
      description:
        - The account's roles that let other accounts in, as M(msp.aws_accounts.aws_xacct_role_info) returns them.
      type: list
      elements: dict
      returned: when the roles were read
    root_credentials:
      description: The root user's credentials, as M(msp.aws_accounts.aws_root_credentials) returns them.
      type: dict
      returned: when they were read
organization:
  description: What the organization lacks (an OU, trusted access); any entry makes every client run.
  returned: always
  type: list
  elements: dict
  sample: [{"subject": "the OU /clients", "msg": "..."}]
in_sync:
  description: The hosts whose tasks would change nothing.
  returned: always
  type: list
  elements: str
to_run:
  description: The hosts that must run their tasks (drift, an error, a forced client, or the organization's drift).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.msp.aws_accounts.plugins.module_utils.audit_findings import drift_entry
from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput, MspAwsError, quiet_access_key
from ansible_collections.msp.aws_accounts.plugins.module_utils.planner import (
    IN_SYNC,
    ClientFactory,
    EstateReader,
    plan,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.sts import partition_for_region

CLIENT_OPTIONS = {
    "host": {"type": "str", "required": True},
    "email": {"type": "str", "required": True},
    "account_id": {"type": "str"},
    "join": {"type": "str", "choices": ["create", "invite"], "default": "create"},
    "name": {"type": "str"},
    "ou": {"type": "str"},
    "tags": {"type": "dict"},
    "alternate_contacts": {"type": "dict"},
    "roles": {"type": "list", "elements": "dict", "default": []},
    "role_path": {"type": "str", "required": True},
    "access_role_name": {"type": "str", "required": True},
    "root_credentials": {"type": "str", "choices": ["delete", "keep"]},
    "force": {"type": "str"},
}

ARGUMENT_SPEC = {
    "clients": {"type": "list", "elements": "dict", "required": True, "options": CLIENT_OPTIONS},
    "organizational_units": {"type": "list", "elements": "str", "default": []},
    "service_principals": {"type": "list", "elements": "str", "default": []},
    "read_root_credentials": {"type": "str", "choices": ["delete", "all", "none"], "default": "delete"},
    "workers": {"type": "int", "default": 8},
}
MAX_WORKERS = 32


def summarise(result):
    """The verdicts with the audit's drift words, and who runs: every client when the organization drifted."""
    for verdict in result["clients"]:
        verdict["drift"] = [
            entry for entry in (drift_entry(d["subject"], d["result"]) for d in verdict["differences"]) if entry
        ]
    hosts = [verdict["host"] for verdict in result["clients"]]
    in_sync = [] if result["organization"] else [v["host"] for v in result["clients"] if v["verdict"] == IN_SYNC]
    return dict(result, in_sync=in_sync, to_run=[host for host in hosts if host not in in_sync])


def main():
    module = AnsibleAWSModule(argument_spec=quiet_access_key(ARGUMENT_SPEC), supports_check_mode=True)
    params = module.params
    result = {"clients": [], "organization": []}
    try:
        if not 1 <= params["workers"] <= MAX_WORKERS:
            raise InvalidInput("workers", f"must be 1 to {MAX_WORKERS}, not {params['workers']}")
        hosts = [client["host"] for client in params["clients"]]
        duplicates = sorted({host for host in hosts if hosts.count(host) > 1})
        if duplicates:
            raise InvalidInput("clients", f"each host once, not {', '.join(duplicates)} twice")
        region, endpoint_url, connect_kwargs = get_aws_connection_info(module)
        reader = EstateReader(
            ClientFactory(region, endpoint_url, connect_kwargs), partition_for_region(region), params["workers"]
        )
        result = plan(
            reader,
            params["clients"],
            params["organizational_units"],
            params["service_principals"],
            params["read_root_credentials"],
        )
    except MspAwsError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, **summarise(result))


if __name__ == "__main__":
    main()
