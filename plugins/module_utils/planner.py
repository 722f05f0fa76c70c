# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The planner: every selected client's live state read once, in one process, and compared with what the
onboarding would make of it, so that clients in sync skip their per-client tasks.

Three parts, in the order of a run:

- **desired** (pure): a client entry of ``aws_client_plan`` turned into the desired account and roles, by the
  same functions the modules use on their options (:func:`iam_roles.desired_role`, ``desired_contacts``);
- **reads** (:class:`EstateReader`): the organization once (ListAccounts, the OU paths, the accounts of each
  wanted parent, trusted access), then per account in a bounded thread pool: its tags, its alternate contacts,
  one session through its access role for the bulk IAM read (GetAccountAuthorizationDetails with Filter=Role
  and ListRoles: RoleDetail carries no Description or MaxSessionDuration), and its root user's credentials
  when they matter;
- **verdict** (pure, :func:`client_verdict`): the same reconciliation the modules run in check mode
  (``accounts.account_changes``, ``iam_roles.plan_present`` / ``plan_absent``, ``root_credentials.deletions``),
  each difference shaped as the module's result in check mode (``changed``, ``diff``, ``changes``), so the
  audit words it as it words the modules' own.

Any doubt is drift: a read that fails, an input the planner cannot judge, an account it cannot find. The
planner may make a run faster, never less correct: a client it is unsure of runs its full tasks.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    BOTO_ERRORS = (ClientError, BotoCoreError)
except ImportError:
    BOTO_ERRORS = ()  # The module reports a missing boto3 through AnsibleAWSModule.

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.msp.aws_accounts.plugins.module_utils.account_api import get_contacts
from ansible_collections.msp.aws_accounts.plugins.module_utils.accounts import (
    account_changes,
    changed_state,
    diff_view,
    result_summary,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.alternate_contacts import desired_contacts
from ansible_collections.msp.aws_accounts.plugins.module_utils.catalogue import xacct_role_options
from ansible_collections.msp.aws_accounts.plugins.module_utils.common import (
    InvalidInput,
    MspAwsError,
    concurrent_modification_retry,
    error_code,
    error_message,
    standard_retry_config,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.iam_roles import (
    _all_pages,
    check_against_actual,
    desired_role,
    plan_absent,
    plan_present,
    role_state,
    roles_letting_in,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizational_units import (
    OrganizationTree,
    parse_parent,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizations import (
    account_state,
    child_accounts,
    find_account,
    list_accounts,
    list_tags,
    management_account_id,
    parent_of,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.root_credentials import (
    AUDIT_TASK,
    credentials_after,
    deletions,
    has_credentials,
    open_root_session,
    read_root_credentials,
    summary,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.sts import assume_role, partition_of, role_arn
from ansible_collections.msp.aws_accounts.plugins.module_utils.trusted_access import (
    desired_principals,
    list_enabled_principals,
    service_access_changes,
)

IN_SYNC = "in_sync"
DRIFT = "drift"
ERROR = "error"

# The subjects are the audit's (playbooks/audit.yml): a difference reads the same from the planner and the modules.
ACCOUNT_SUBJECT = "the account (OU, tags, alternate contacts)"
ROOT_SUBJECT = "the root user's credentials"
MEMBERSHIP_SUBJECT = "the membership"

# Organizations allows few requests a second per account (and the sandbox injects its throttling): its per-account
# reads go two at a time, with botocore's standard retry; the Account API's contacts four at a time.
DEFAULT_WORKERS = 8
ORGANIZATIONS_CONCURRENCY = 2
ACCOUNT_API_CONCURRENCY = 4
# One page of GetAccountAuthorizationDetails or ListRoles holds up to 1,000 roles: one call for any account.
IAM_PAGE_SIZE = 1000


def role_subject(path, name):
    return f"the role {path}{name}"


def stale_role_subject(path, name):
    return f"the role {path}{name} (no client role)"


# --- desired: a client entry as the modules would take it (pure) --------------------------------------------


def parent_path(ou):
    """The member_account role's parent for ``client_resolved_ou``: None leaves the OU alone, "" is the root."""
    if ou is None:
        return None
    kind, names = parse_parent("/" + str(ou).strip("/"), "ou")
    return "/" + "/".join(names) if kind == "path" else ou


def desired_client(entry, partition):
    """The desired account and roles of one client entry; InvalidInput names the field the planner cannot use
    (the client then runs its tasks, whose own checks say what is wrong)."""
    contacts = entry.get("alternate_contacts")
    join = entry.get("join") or "create"
    roles = [
        desired_role(dict(options, path=options.get("path") or entry["role_path"]), partition)
        for options in entry.get("roles") or []
    ]
    return {
        "host": entry["host"],
        "account_id": entry.get("account_id"),
        "email": entry["email"],
        "join": join,
        "account": {
            # An invited account keeps its own name (the member_account role passes none).
            "name": entry.get("name") if join == "create" else None,
            "parent_path": parent_path(entry.get("ou")),
            "tags": entry.get("tags"),
            "purge_tags": True,
            # The member_account role leaves the contacts alone when the entry sets none.
            "alternate_contacts": desired_contacts(contacts) if contacts else None,
        },
        "roles": roles,
        "role_path": entry["role_path"],
        "access_role_name": entry["access_role_name"],
        "root_credentials": entry.get("root_credentials"),
        "force": entry.get("force"),
    }


# --- the verdict (pure) -----------------------------------------------------------------------------------


def _difference(subject, before, after, changes=(), extra=None):
    result = {"changed": True, "diff": {"before": before or {}, "after": after or {}}, "changes": list(changes)}
    result.update(extra or {})
    return {"subject": subject, "result": result}


def account_difference(account, desired, actual):
    """The account's difference, in aws_member_account's diff (None when in sync)."""
    changes = account_changes(desired, actual)
    if not changes:
        return None
    before = result_summary(account, actual)
    after = result_summary(account, changed_state(actual, changes))
    # aws_member_account returns no ``changes`` for an existing account: its diff alone says what a run changes.
    return _difference(ACCOUNT_SUBJECT, diff_view(before), diff_view(after))


def role_differences(desired_roles, roles, role_path, access_role_name, letting_in):
    """The roles' differences, as aws_xacct_role would report them in check mode, the stale ones last.

    ``roles``: ``{name: role_state}`` of the account's roles (inline documents of every policy). A rule
    the role as it is breaks (check_against_actual) is a difference too: the module's run says what it is.
    Stale roles are those the xacct_roles role removes: on ``role_path``, letting other accounts in (the names
    ``letting_in``, from aws_xacct_role_info's ``roles_letting_in``), and neither listed nor the access role."""
    differences = []
    for desired in desired_roles:
        actual = roles.get(desired["name"])
        if actual is not None:
            managed = set(desired["inline_policies"] or {})
            actual = dict(
                actual,
                inline_policy_documents={
                    name: doc for name, doc in actual["inline_policy_documents"].items() if name in managed
                },
            )
        path = desired.get("path") or role_path
        try:
            check_against_actual(desired, actual)
        except InvalidInput as e:
            differences.append(_difference(role_subject(path, desired["name"]), actual, actual, extra={"msg": str(e)}))
            continue
        changes, after = plan_present(desired, actual)
        if changes:
            differences.append(_difference(role_subject(path, desired["name"]), actual, after, changes))
    keep = {desired["name"] for desired in desired_roles} | {access_role_name}
    for name in sorted(roles):
        role = roles[name]
        if role["path"] == role_path and name in letting_in and name not in keep:
            changes = plan_absent(role, role.get("instance_profiles") or ())
            differences.append(_difference(stale_role_subject(role["path"], name), role, None, changes))
    return differences


def root_difference(policy, credentials):
    """The root user's credentials against client_root_credentials: only ``delete`` converges them."""
    if policy != "delete" or credentials is None or not has_credentials(credentials):
        return None
    steps = deletions(credentials)
    return _difference(
        ROOT_SUBJECT,
        summary(credentials),
        summary(credentials_after(credentials, steps)),
        [{"action": action} for action, _ident in steps],
    )


def client_verdict(desired, observed):
    """``{host, account_id, verdict, differences, error}`` of one client.

    ``observed``: ``account`` (the Organizations Account, None when not found), ``actual`` (the account as
    account_changes takes it), ``roles`` ({name: role_state}, None when not read), ``root_credentials``, and
    ``error`` (why something could not be read)."""
    verdict = {
        "host": desired["host"],
        "account_id": (observed.get("account") or {}).get("Id"),
        "verdict": IN_SYNC,
        "differences": [],
        "error": observed.get("error"),
    }
    if verdict["error"]:
        verdict["verdict"] = ERROR
        return verdict
    if desired.get("force"):
        verdict.update(verdict=DRIFT, reason=desired["force"])
        return verdict
    account = observed.get("account")
    state = account_state(account) if account else None
    if state != "ACTIVE":
        reason = "not an active member of the organization" + (f" ({state})" if state else "")
        before = {"state": state} if account else {}
        verdict["differences"].append(_difference(MEMBERSHIP_SUBJECT, before, {"state": "ACTIVE"}, [], {"msg": reason}))
        verdict["verdict"] = DRIFT
        return verdict
    differences = [account_difference(account, observed["desired_account"], observed["actual"])]
    letting_in = {role["name"] for role in observed.get("letting_in") or []}
    differences += role_differences(
        desired["roles"], observed["roles"], desired["role_path"], desired["access_role_name"], letting_in
    )
    differences.append(root_difference(desired["root_credentials"], observed.get("root_credentials")))
    verdict["differences"] = [difference for difference in differences if difference]
    if verdict["differences"]:
        verdict["verdict"] = DRIFT
    return verdict


# --- reads ------------------------------------------------------------------------------------------------


def roles_from_details(details, listed):
    """``{name: role_state}`` from GetAccountAuthorizationDetails' RoleDetailList and ListRoles' Roles (the
    description and session duration, which RoleDetail lacks); every inline document is kept."""
    by_name = {role["RoleName"]: role for role in listed}
    roles = {}
    for detail in details:
        name = detail["RoleName"]
        role = dict(by_name.get(name) or {}, **{key: value for key, value in detail.items() if key != "RoleLastUsed"})
        inline = {policy["PolicyName"]: policy["PolicyDocument"] for policy in detail.get("RolePolicyList") or []}
        state = role_state(
            role, [p["PolicyArn"] for p in detail.get("AttachedManagedPolicies") or []], list(inline), inline
        )
        # Sorted, as aws_xacct_role lists them (instance_profile_names): a stale role's removal plans the same calls.
        state["instance_profiles"] = sorted(p["InstanceProfileName"] for p in detail.get("InstanceProfileList") or [])
        roles[name] = state
    return roles


class ClientFactory:
    """boto3 clients for many accounts from one boto3 session (its service models loaded once), created under a
    lock (a session is not thread-safe; its clients are), each with standard retry and amazon.aws's retry
    wrapper (``aws_retry=True``), as AnsibleAWSModule.client makes them."""

    def __init__(self, region, endpoint_url, connect_kwargs):
        params = dict(connect_kwargs)
        self.session = boto3.session.Session(profile_name=params.pop("profile_name", None))
        user_config = params.pop("aws_config", None) or params.pop("config", None)
        config = Config(**user_config) if isinstance(user_config, dict) else (user_config or Config())
        self.config = config.merge(standard_retry_config())
        self.region = region
        self.endpoint_url = endpoint_url
        self.credentials = (
            {key: params.pop(key) for key in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")}
            if params.get("aws_access_key_id")
            else {}
        )
        self.params = {key: value for key, value in params.items() if key in ("verify",)}
        self.lock = threading.Lock()

    def client(self, service, credentials=None):
        with self.lock:
            conn = self.session.client(
                service,
                region_name=self.region,
                endpoint_url=self.endpoint_url,
                config=self.config,
                **self.params,
                **(credentials if credentials is not None else self.credentials),
            )
        return RetryingBotoClientWrapper(conn, concurrent_modification_retry)


class EstateReader:
    """The live state of many clients' accounts: the organization read once, each account in a bounded pool."""

    def __init__(self, clients, partition, workers=DEFAULT_WORKERS, root_task=AUDIT_TASK):
        self.clients = clients
        self.partition = partition
        self.workers = max(1, workers)
        self.root_task = root_task
        self.org = clients.client("organizations")
        self.sts = clients.client("sts")
        self.account_api = clients.client("account")
        self.tree = OrganizationTree(self.org)
        self.org_gate = threading.Semaphore(ORGANIZATIONS_CONCURRENCY)
        self.account_gate = threading.Semaphore(ACCOUNT_API_CONCURRENCY)
        self.accounts = []
        self.management_id = None
        self.children = {}

    # Organization-wide, once, in this thread.

    def read_organization(self, wanted_paths, service_principals):
        """The accounts, the wanted parents (path -> {id, path} or None when missing), the accounts under each,
        and the organization's differences (an OU or trusted access missing)."""
        self.accounts = list_accounts(self.org)
        self.management_id = management_account_id(self.accounts)
        parents, problems = {}, []
        for path in sorted(set(wanted_paths)):
            try:
                parents[path] = self.tree.parent(path)
            except MspAwsError as e:
                parents[path] = None
                problems.append({"subject": f"the OU {path}", "path": path, "msg": e.message})
        for parent in parents.values():
            if parent is not None and parent["id"] not in self.children:
                self.children[parent["id"]] = {account["Id"] for account in child_accounts(self.org, parent["id"])}
        if service_principals:
            # aws_trusted_access's own read and comparison (state present): what a run would enable.
            missing = service_access_changes(
                desired_principals(service_principals), list_enabled_principals(self.org), "present"
            )
            problems += [
                {"subject": f"trusted access for {principal}", "msg": "not enabled: a run enables it"}
                for principal in missing
            ]
        return parents, problems

    def find_account(self, desired):
        """The client's account: by its id when the entry gives one (as aws_member_account reads it with
        DescribeAccount), else by its root email."""
        account_id = desired.get("account_id")
        if account_id:
            return find_account(self.accounts, account_id=str(account_id))
        return find_account(self.accounts, email=desired["email"])

    # Per account, in the pool.

    def observe(self, desired, parents, read_root):
        """What one client's verdict needs; any failure is kept as the client's error, never raised."""
        observed = {"account": self.find_account(desired)}
        account = observed["account"]
        try:
            if account is None or account_state(account) != "ACTIVE":
                return observed
            account_id = account["Id"]
            if account.get("Email", "").lower() != desired["email"].lower():
                raise MspAwsError(
                    message=f"account {account_id} has the root email {account.get('Email')}, not {desired['email']}"
                )
            wanted = desired["account"]
            parent = parents.get(wanted["parent_path"]) if wanted["parent_path"] is not None else None
            if wanted["parent_path"] is not None and parent is None:
                raise MspAwsError(message=f"its OU {wanted['parent_path']} does not exist yet")
            with self.org_gate:
                tags = list_tags(self.org, account_id)
            contacts = None
            if wanted["alternate_contacts"] is not None:
                with self.account_gate:
                    contacts = get_contacts(self.account_api, account_id, self.management_id)
            here = parent if parent is not None and account_id in self.children.get(parent["id"], ()) else None
            observed["actual"] = {
                "name": account.get("Name"),
                # Not under the wanted parent: somewhere else, found after the pool (only for those).
                "parent": here or {"id": None, "path": None},
                "tags": tags,
                "alternate_contacts": contacts,
            }
            observed["desired_account"] = dict(
                {key: value for key, value in wanted.items() if key != "parent_path"}, parent=parent
            )
            observed["roles"], listed = self.read_roles(account, desired["access_role_name"])
            observed["letting_in"] = roles_letting_in(listed)
            if read_root:
                observed["root_credentials"] = self.read_root(account_id)
        except MspAwsError as e:
            observed["error"] = self._reason(e)
        except BOTO_ERRORS as e:
            observed["error"] = f"{error_code(e) or type(e).__name__}: {error_message(e)}"
        return observed

    @staticmethod
    def _reason(error):
        if error.exception is not None:
            return f"{error.message}: {error_code(error.exception) or ''} {error_message(error.exception)}".strip()
        return error.message

    def read_roles(self, account, access_role_name):
        """One session through the access role, then every role of the account in one bulk read (plus ListRoles
        for what RoleDetail lacks): ``({name: role_state}, ListRoles' roles)``."""
        arn = role_arn(partition_of(account.get("Arn")), account["Id"], access_role_name)
        # No wait: a new account whose access role does not work yet is a client for the full tasks.
        credentials, _attempts = assume_role(self.sts, arn, "plan", timeout=0)
        iam = self.clients.client("iam", credentials)
        try:
            details = _all_pages(
                iam.get_account_authorization_details, "RoleDetailList", Filter=["Role"], MaxItems=IAM_PAGE_SIZE
            )
            listed = _all_pages(iam.list_roles, "Roles", MaxItems=IAM_PAGE_SIZE)
        except BOTO_ERRORS as e:
            raise MspAwsError(message=f"Failed to read the roles of account {account['Id']}", exception=e) from e
        return roles_from_details(details, listed), listed

    def read_root(self, account_id):
        credentials = open_root_session(self.sts, account_id, self.root_task, self.partition, dict)
        iam = self.clients.client("iam", credentials)
        return read_root_credentials(iam, account_id)

    def locate(self, observed):
        """Where an account that is not under its wanted parent is (ListParents, and the OU's path)."""
        if observed.get("actual") and observed["actual"]["parent"]["id"] is None and not observed.get("error"):
            try:
                parent_id = parent_of(self.org, observed["account"]["Id"])["Id"]
                observed["actual"]["parent"] = {"id": parent_id, "path": self.tree.path_of(parent_id)}
            except MspAwsError as e:
                observed["error"] = self._reason(e)

    def observe_all(self, desired_clients, parents, read_root_of):
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            futures = [
                pool.submit(self.observe, desired, parents, read_root_of(desired)) for desired in desired_clients
            ]
            observed = [future.result() for future in futures]
        for one in observed:
            self.locate(one)
        return observed


def plan(reader, entries, organizational_units=(), service_principals=(), read_root="delete"):
    """The run's plan: ``{clients: [verdict], organization: [problems]}``.

    ``read_root``: ``delete`` reads the root user's credentials of clients whose policy deletes them (what the
    onboarding converges), ``all`` of every client (what the audit reports), ``none`` of none."""
    verdicts, desired_clients = [], []
    for entry in entries:
        try:
            desired_clients.append(desired_client(entry, reader.partition))
        except InvalidInput as e:
            verdicts.append(
                {"host": entry["host"], "account_id": None, "verdict": ERROR, "differences": [], "error": str(e)}
            )
    wanted = [d["account"]["parent_path"] for d in desired_clients if d["account"]["parent_path"] is not None]
    required = {parent_path(ou) for ou in organizational_units}
    parents, problems = reader.read_organization(wanted + sorted(required), service_principals)
    # A client's own OU that is missing is that client's drift (its member_account role creates it); only the
    # organization's OUs, which the role makes sure of for every client at once, make every client run.
    problems = [problem for problem in problems if "path" not in problem or problem["path"] in required]

    def reads_root(desired):
        return read_root == "all" or (read_root == "delete" and desired["root_credentials"] == "delete")

    observed = reader.observe_all(desired_clients, parents, reads_root)
    for desired, seen in zip(desired_clients, observed, strict=True):
        verdict = client_verdict(desired, seen)
        if "letting_in" in seen and not seen.get("error"):
            # What aws_xacct_role_info returns: the audit's foreign-trust and MFA findings read it.
            verdict["roles"] = seen["letting_in"]
        if "root_credentials" in seen and not seen.get("error"):
            credentials = seen["root_credentials"]
            verdict["root_credentials"] = {
                "account_id": verdict["account_id"],
                "has_credentials": bool(has_credentials(credentials)),
                **credentials,
            }
        verdicts.append(verdict)
    order = {entry["host"]: index for index, entry in enumerate(entries)}
    verdicts.sort(key=lambda verdict: order[verdict["host"]])
    return {"clients": verdicts, "organization": problems}


# --- the planner's input, from the inventory (pure; the client_plan_entries filter) -------------------------


def plan_entry(client, role_path, trusted_account_id, root_access=True):
    """One client's entry for aws_client_plan, from its host variables as the client role completes them: the
    same inputs playbooks/onboard.yml gives the member_account, root_credentials and xacct_roles roles."""
    join = client["client_resolved_join"]
    contacts = client.get("client_resolved_alternate_contacts") or None
    entry = {
        "host": client["inventory_hostname"],
        "email": client["client_root_email"],
        "account_id": client.get("client_account_id"),
        "join": join,
        "name": client.get("client_name"),
        "ou": client.get("client_resolved_ou"),
        "tags": client.get("client_resolved_tags"),
        "alternate_contacts": contacts,
        "roles": [xacct_role_options(spec, role_path, trusted_account_id) for spec in client["client_role_specs"]],
        "role_path": role_path,
        "access_role_name": client["client_access_role_name"],
        "root_credentials": client.get("client_resolved_root_credentials") if root_access else "keep",
    }
    if join == "invite" and client.get("client_credentials"):
        # The access_role role proves them and converges the access role with them: only its tasks can.
        entry["force"] = "the client's credentials are given: the access role is checked with them"
    return entry
