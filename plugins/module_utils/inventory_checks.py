# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The onboarding input, checked before anything is written to AWS: the MSP-wide settings and every client.

The roles' argument_specs check types, choices and required fields; these checks add what a schema cannot
say: AWS's rules (the same functions the modules use: validation, iam_roles, policies, switch_role,
organizational_units, alternate_contacts), references between settings (catalogue keys, engineers'
groups, OU paths) and the rules across clients (keys, root emails and account ids used twice).

Each check returns every problem it finds, one string each, naming the inventory host (for a client), the
variable and what to write instead::

    acme: client_roles: 'admn' is not in msp_role_catalogue (known: admin, engineer, oncall)

Inputs may be the host variables of the inventory (``hostvars``): the roles' defaults are not in them, so
the same defaults are applied here (MSP_DEFAULTS, CLIENT_DEFAULTS; a unit test holds them to the roles'
defaults/main.yml). Everything is pure.
"""

import re

from ansible.module_utils.common.validation import check_type_bool, check_type_dict, check_type_int, check_type_list
from ansible_collections.amazon.aws.plugins.module_utils.iam import validate_iam_identifiers

from ansible_collections.msp.aws_accounts.plugins.module_utils.alternate_contacts import desired_contacts
from ansible_collections.msp.aws_accounts.plugins.module_utils.catalogue import (
    CREATE,
    INVITE,
    catalogue_keys,
    entry_fields,
    selected_roles,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput
from ansible_collections.msp.aws_accounts.plugins.module_utils.iam_roles import (
    INLINE_POLICY_NAME,
    TAGS_MAX,
    description_problem,
    inline_policies_size_problem,
    max_session_duration_problem,
    tags_problem,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.link_publishing import KEY_PATTERN, profile_name
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizational_units import parse_parent, parse_path
from ansible_collections.msp.aws_accounts.plugins.module_utils.policies import (
    managed_policy_arn,
    parse_policy,
    statements,
    trust_input_problems,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.switch_role import (
    LINK_ROLE_NAME_MAX_LENGTH,
    color_problem,
    link_role_name,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.validation import (
    account_id_problem,
    account_name_problem,
    client_key,
    email_problem,
    plus_address,
    role_name_problem,
)

# roles/msp/defaults/main.yml and roles/client/defaults/main.yml (client_key defaults to the inventory name).
MSP_DEFAULTS = {
    "msp_identity_access_role_name": "OrganizationAccountAccessRole",
    "msp_own_account_ids": [],
    "msp_inventory_slice": False,
    "msp_planner": True,
    "msp_alternate_contacts": {},
    "msp_organizational_units": [],
    "msp_default_ou": "",
    "msp_default_tags": {},
    "msp_role_path": "/msp/",
    "msp_default_roles": [],
    "msp_engineer_groups": [],
    "msp_engineers": [],
    "msp_cli_source_profile": "msp-main",
    "msp_created_access_role_name": "OrganizationAccountAccessRole",
    "msp_invited_access_role_name": "MspOrganizationAccess",
    "msp_wait_timeout": 900,
    "msp_root_access": True,
}
# client_root_credentials has no default here: it depends on client_join (delete for a created account, keep for
# an invited one, which keeps its root unless the client agrees; roles/client/tasks/main.yml completes it).
CLIENT_DEFAULTS = {
    "client_join": CREATE,
    "client_tags": {},
    "client_alternate_contacts": {},
    "client_handover_alternate_contacts": {},
    "client_custom_roles": [],
}
# What onboarding does with the root user's credentials: delete them (no root password exists), or keep them.
ROOT_CREDENTIALS = ("delete", "keep")
ACCESS_ROLE_SETTINGS = ("msp_identity_access_role_name", "msp_created_access_role_name", "msp_invited_access_role_name")
# Matched whole (fullmatch): a pattern's "$" would also accept a trailing newline.
REGION_PATTERN = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
# A role's key names CLI profiles (acme-admin), link labels and password-manager entries.
ROLE_KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
# Managed policy names are checked for form only; the partition is the one the links and trusts use.
PARTITION = "aws"


class Problems(list):
    """Problem strings, each prefixed with the inventory host it belongs to (if any) and the variable."""

    def __init__(self, host=None):
        super().__init__()
        self.host = host

    def add(self, variable, rule):
        self.append(f"{self.host}: {variable}: {rule}" if self.host else f"{variable}: {rule}")


def _known(names):
    return ", ".join(names) if names else "none"


def _setting(values, name, defaults):
    value = values.get(name)
    return defaults.get(name) if value is None else value


def _as(convert, value, default):
    """``value`` converted as argument_specs converts it, or ``default`` when it cannot be (argument_specs
    reports that)."""
    try:
        return convert(value)
    except TypeError:
        return default


def _is_text(value):
    return isinstance(value, str) and value.strip() != ""


def _duplicates(names):
    seen, repeated = set(), []
    for name in names:
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    return repeated


def _entry_label(variable, index, entry, field="key"):
    key = entry.get(field) if isinstance(entry, dict) else None
    return f"{variable}[{index}] ({key})" if key is not None else f"{variable}[{index}]"


def _contacts_problems(report, contacts, variable):
    """Alternate contacts by AWS's rules (the first problem: the module's own check)."""
    try:
        desired_contacts(contacts, variable)
    except InvalidInput as e:
        report.add(e.option, e.rule)
    except AttributeError:
        report.add(variable, "must map billing, operations and security to a contact")


def _account_tags_problem(tags, own=None):
    """AWS Organizations' rules for an account's tags (IAM's rules, but an account's count): ``tags`` are all
    the account gets; the per-tag rules are checked on ``own`` (its own variable's tags; None: all)."""
    if len(tags) > TAGS_MAX:
        together = " with msp_default_tags" if own is not None else ""
        return f"an AWS account holds at most {TAGS_MAX} tags; these give it {len(tags)}{together}"
    return tags_problem(tags if own is None else own)


def _ou_layout(paths):
    """The OU paths (as name tuples) of msp_organizational_units that parse."""
    layout = []
    for path in paths:
        try:
            layout.append(parse_path(path))
        except InvalidInput:
            continue
    return layout


def _ou_problem(value, variable, layout, layout_text):
    """The rule an OU setting (path, OU id or root id) breaks: its form, or a path outside the OU layout."""
    try:
        kind, names = parse_parent(value, variable)
    except InvalidInput as e:
        return e.rule
    if kind == "path" and layout and names and not any(known[: len(names)] == names for known in layout):
        return (
            f"{value!r} is not in msp_organizational_units ({layout_text}): use one of them (or a level above one), "
            "or add it there"
        )
    return None


def _role_entry_problems(report, entry, where, group_names, path):
    """Report the problems of one catalogue entry or custom role; return its converted fields (None for those
    that could not be converted)."""
    fields, type_problems = entry_fields(entry)
    for field, rule in type_problems:
        report.add(f"{where}.{field}" if field else where, rule)
    if not fields:
        return fields
    broken = {field for field, _rule in type_problems}
    # A field that could not be converted is reported once, above, and checked no further.
    values = {field: None if field in broken else value for field, value in fields.items()}

    def check(field, rule):
        if rule and field not in broken:
            report.add(f"{where}.{field}", rule)

    key, role_name = values["key"], values["role_name"]
    check(
        "key",
        None
        if ROLE_KEY_PATTERN.fullmatch(key or "")
        else f"{key!r} must be 1 to 32 letters, digits, '-' and '_' (it names CLI profiles and links), like oncall",
    )
    problem = role_name_problem(role_name)
    if problem:
        check("role_name", f"{role_name!r} {problem}")
    elif isinstance(path, str) and len(link_role_name(path, role_name)) > LINK_ROLE_NAME_MAX_LENGTH:
        room = LINK_ROLE_NAME_MAX_LENGTH - len(link_role_name(path, ""))
        check(
            "role_name",
            f"msp_role_path {path} and {role_name!r} together are {len(link_role_name(path, role_name))} characters; "
            f"the console's Switch Role accepts at most {LINK_ROLE_NAME_MAX_LENGTH}: shorten the name to at most "
            f"{room} characters",
        )
    check("description", description_problem(values["description"]))
    for policy in values["managed_policies"] or []:
        try:
            managed_policy_arn(policy, PARTITION)
        except InvalidInput as e:
            check("managed_policies", f"{e.rule}; give an AWS-managed name or a policy ARN")
    documents = {}
    for name, document in (values["inline_policies"] or {}).items():
        if not INLINE_POLICY_NAME.fullmatch(str(name)):
            check("inline_policies", f"{name!r} is not a policy name (1 to 128 letters, digits and + = , . @ _ -)")
            continue
        try:
            documents[name] = parse_policy(document, f"inline_policies.{name}")
        except InvalidInput as e:
            report.add(
                f"{where}.{e.option}",
                f"{e.rule}. Write the policy as a YAML mapping (Version, Statement) or as JSON text",
            )
            continue
        if not statements(documents[name]):
            report.add(f"{where}.inline_policies.{name}", "has no Statement: a policy needs at least one")
    check("inline_policies", inline_policies_size_problem(documents))
    if not {"require_mfa", "mfa_max_age"} & broken:
        for field, rule in trust_input_problems(None, None, values["require_mfa"], values["mfa_max_age"], None):
            report.add(f"{where}.{field}", rule)
    check("max_session_duration", max_session_duration_problem(values["max_session_duration"]))
    check("color", color_problem(values["color"]))
    for group in values["engineer_groups"] or []:
        if group not in group_names:
            check(
                "engineer_groups",
                f"{group!r} is not in msp_engineer_groups (known: {_known(group_names)}): add the group there "
                "or name one of those",
            )
    return values


def _role_entries_problems(report, entries, variable, group_names, path, keys, role_names):
    """Report the problems of a list of catalogue entries or custom roles, and each key or role name already
    taken: ``keys`` and ``role_names`` map those taken to what holds them, and get this list's."""
    for index, entry in enumerate(entries):
        where = _entry_label(variable, index, entry)
        fields = _role_entry_problems(report, entry, where, group_names, path)
        key, role_name = fields.get("key"), fields.get("role_name")
        if key is not None and key in keys:
            report.add(f"{where}.key", f"{key!r} is also the key of {keys[key]}: give this entry another key")
        if role_name is not None and role_name in role_names:
            report.add(
                f"{where}.role_name",
                f"{role_name!r} is also the role_name of {role_names[role_name]}: IAM role names are unique in an "
                "account, whatever their path; choose another name",
            )
        keys.setdefault(key, where)
        role_names.setdefault(role_name, where)


def _access_role_names(settings):
    """The roles the playbooks go in through, which no catalogue or custom role may be named."""
    return {
        _setting(settings, name, MSP_DEFAULTS): f"the playbooks' access role ({name})" for name in ACCESS_ROLE_SETTINGS
    }


# --- the MSP-wide settings ------------------------------------------------------------------------------


def _account_problems(report, settings):
    for name in ("msp_management_account_id", "msp_identity_account_id"):
        value = settings.get(name)
        problem = account_id_problem(value)
        if problem:
            report.add(name, f"{value!r} {problem}")
    own_ids = _as(check_type_list, _setting(settings, "msp_own_account_ids", MSP_DEFAULTS), [])
    for index, value in enumerate(own_ids):
        problem = account_id_problem(value)
        if problem:
            report.add(f"msp_own_account_ids[{index}]", f"{value!r} {problem}")
    for value in _duplicates(value for value in own_ids if isinstance(value, str)):
        report.add("msp_own_account_ids", f"{value!r} is listed more than once")
    mailbox = settings.get("msp_mailbox")
    problem = email_problem(mailbox)
    if problem:
        report.add("msp_mailbox", f"{mailbox!r} {problem}")
    region = settings.get("msp_region")
    if not REGION_PATTERN.fullmatch(region if isinstance(region, str) else ""):
        report.add("msp_region", f"{region!r} must be an AWS region like us-east-1")
    if not _is_text(settings.get("msp_name")):
        report.add("msp_name", "is required: the MSP's name, shown in the switch-role pages")
    for name in ACCESS_ROLE_SETTINGS:
        value = _setting(settings, name, MSP_DEFAULTS)
        problem = role_name_problem(value)
        if problem:
            report.add(name, f"{value!r} {problem}")
    timeout = _as(check_type_int, _setting(settings, "msp_wait_timeout", MSP_DEFAULTS), None)
    if timeout is not None and timeout <= 0:
        report.add("msp_wait_timeout", f"must be a positive number of seconds, not {timeout}")
    root_access = _setting(settings, "msp_root_access", MSP_DEFAULTS)
    if _as(check_type_bool, root_access, None) is None:
        report.add(
            "msp_root_access",
            f"must be true (onboarding enables centralised root access and deletes or keeps each client's root "
            f"credentials) or false (nothing root-related is touched), not {root_access!r}",
        )
    inventory_slice = _setting(settings, "msp_inventory_slice", MSP_DEFAULTS)
    if _as(check_type_bool, inventory_slice, None) is None:
        report.add(
            "msp_inventory_slice",
            f"must be true (this run's inventory is one slice of the clients: the engineers' policies keep the "
            f"other slices' clients) or false (the inventory holds every client), not {inventory_slice!r}",
        )
    planner = _setting(settings, "msp_planner", MSP_DEFAULTS)
    if _as(check_type_bool, planner, None) is None:
        report.add(
            "msp_planner",
            f"must be true (read every client at once and run only the clients that drifted) or false (every "
            f"client runs its tasks), not {planner!r}",
        )
    source_profile = _setting(settings, "msp_cli_source_profile", MSP_DEFAULTS)
    # The switch_role_links role's rule for profile names (link_publishing), checked before any write.
    if not (isinstance(source_profile, str) and KEY_PATTERN.fullmatch(source_profile)):
        report.add(
            "msp_cli_source_profile",
            f"{source_profile!r} must name the ~/.aws/config profile of the engineers' own keys: letters, digits, "
            "'_', '.' and '-', starting with a letter or digit (no spaces; it goes into every generated profile), "
            "like msp-main",
        )


def _account_defaults_problems(report, settings):
    _contacts_problems(report, _setting(settings, "msp_alternate_contacts", MSP_DEFAULTS), "msp_alternate_contacts")
    paths = _as(check_type_list, _setting(settings, "msp_organizational_units", MSP_DEFAULTS), [])
    for index, path in enumerate(paths):
        try:
            parse_path(path, f"msp_organizational_units[{index}]")
        except InvalidInput as e:
            report.add(e.option, e.rule)
    default_ou = _setting(settings, "msp_default_ou", MSP_DEFAULTS)
    problem = _ou_problem(default_ou, "msp_default_ou", _ou_layout(paths), _known(paths))
    if problem:
        report.add("msp_default_ou", problem)
    tags = _as(check_type_dict, _setting(settings, "msp_default_tags", MSP_DEFAULTS), {})
    problem = _account_tags_problem(tags)
    if problem:
        report.add("msp_default_tags", problem)


def _catalogue_problems(report, settings, group_names):
    path = _setting(settings, "msp_role_path", MSP_DEFAULTS)
    problem = validate_iam_identifiers("role", path=path) if isinstance(path, str) else "must be a string"
    if problem:
        report.add("msp_role_path", f"{path!r}: {problem}, like /msp/")
    elif path == "/":
        report.add(
            "msp_role_path",
            "must be a path of the MSP's own, like /msp/: roles on it that no client lists are removed, and / holds "
            "the account's other roles (OrganizationAccountAccessRole among them)",
        )
    catalogue = _as(check_type_list, settings.get("msp_role_catalogue"), None)
    if not catalogue:
        report.add("msp_role_catalogue", "must list at least one role (key, role_name, policies)")
        catalogue = []
    _role_entries_problems(report, catalogue, "msp_role_catalogue", group_names, path, {}, _access_role_names(settings))
    known = catalogue_keys(catalogue)
    defaults = _as(check_type_list, _setting(settings, "msp_default_roles", MSP_DEFAULTS), [])
    for key in defaults:
        if str(key) not in known:
            report.add("msp_default_roles", f"{key!r} is not in msp_role_catalogue (known: {_known(known)})")
    for key in _duplicates(str(key) for key in defaults):
        report.add("msp_default_roles", f"{key!r} is listed twice")


def _named_entries(report, settings, variable, what):
    """``(where, entry)`` of each entry with a name in a list of named mappings; entries without one, and names
    given twice, are reported."""
    found = []
    for index, entry in enumerate(_as(check_type_list, _setting(settings, variable, MSP_DEFAULTS), [])):
        where = _entry_label(variable, index, entry, "name")
        if isinstance(entry, dict) and _is_text(entry.get("name")):
            found.append((where, entry))
        else:
            report.add(where, f"must be a mapping with at least a name ({what})")
    for name in _duplicates(entry["name"] for _where, entry in found):
        report.add(variable, f"{name!r} is listed twice: give each its own name")
    return found


def _engineer_problems(report, settings, clients):
    groups = _named_entries(report, settings, "msp_engineer_groups", "the IAM group's")
    names = [group["name"] for _where, group in groups]
    for where, group in groups:
        problem = validate_iam_identifiers("group", name=group["name"], path=group.get("path"))
        if problem:
            report.add(where, problem)
        for client in _as(check_type_list, group.get("clients") or [], []) if clients is not None else []:
            if client not in clients:
                report.add(
                    f"{where}.clients",
                    f"{client!r} is not a client of the inventory (the clients group: {_known(list(clients))})",
                )
    for where, engineer in _named_entries(report, settings, "msp_engineers", "the engineer's IAM user"):
        problem = validate_iam_identifiers("user", name=engineer["name"])
        if problem:
            report.add(f"{where}.name", problem)
        if engineer.get("mfa_device") is not None:
            problem = validate_iam_identifiers("mfa device", name=str(engineer["mfa_device"]))
            if problem:
                report.add(f"{where}.mfa_device", problem)
        for group in _as(check_type_list, engineer.get("groups") or [], []):
            if group not in names:
                report.add(f"{where}.groups", f"{group!r} is not in msp_engineer_groups (known: {_known(names)})")
    return names


def msp_problems(settings, clients=None):
    """Every problem of the MSP-wide settings (the ``msp_*`` variables, a mapping; missing optional ones
    take the msp role's defaults). ``clients``: the inventory's clients, to check the engineers' groups'
    ``clients`` (None: not checked)."""
    report = Problems()
    _account_problems(report, settings)
    _account_defaults_problems(report, settings)
    group_names = _engineer_problems(report, settings, clients)
    _catalogue_problems(report, settings, group_names)
    return list(report)


# --- the clients ----------------------------------------------------------------------------------------


def _key_problem(client, host):
    """``(key, variable, rule)``: the client's key, the variable it comes from, and why it cannot be used."""
    given = client.get("client_key")
    key = str(given) if given is not None else str(host)
    variable = "client_key" if given is not None else "client_key (not set, so the inventory name)"
    normalised = client_key(key)
    if normalised == key:
        return key, variable, None
    hint = f"set client_key: {normalised}" if normalised else "set client_key to lower-case letters and digits"
    return (
        key,
        variable,
        f"{key!r} cannot be the client's key (it is in the root email's plus-address, profile names and link "
        f"files): use lower-case letters, digits and single hyphens; {hint}",
    )


def _identity_problems(report, client, settings):
    """The client's key, name, join, account id and root email; returns ``(key, email, account_id)``, each
    None when unusable."""
    host = report.host
    key, key_variable, problem = _key_problem(client, host)
    if problem:
        report.add(key_variable, problem)
        key = None
    name = client.get("client_name")
    problem = account_name_problem(name)
    if problem:
        report.add("client_name", f"{name!r} {problem}" if name is not None else "is required: the client's name")
    join = _setting(client, "client_join", CLIENT_DEFAULTS)
    account_id = client.get("client_account_id")
    if join not in (CREATE, INVITE):
        report.add("client_join", f"must be create (a new account) or invite (the client's existing one), not {join!r}")
    elif join == INVITE and account_id is None:
        report.add(
            "client_account_id",
            "is required when client_join is invite: give the client's existing account id, quoted "
            '(client_account_id: "210987654321"), or set client_join: create for a new account',
        )
    if account_id is not None:
        problem = account_id_problem(account_id)
        if problem:
            report.add("client_account_id", f"{account_id!r} {problem}")
            account_id = None
        elif account_id == settings.get("msp_management_account_id"):
            report.add("client_account_id", f"{account_id} is the organization's management account, not a client's")
            account_id = None
        elif account_id == settings.get("msp_identity_account_id"):
            report.add(
                "client_account_id",
                f"{account_id} is the MSP's identity account (msp_identity_account_id), where the engineers sign in; "
                "not a client's",
            )
            account_id = None
        elif account_id in _as(check_type_list, settings.get("msp_own_account_ids"), []):
            report.add(
                "client_account_id",
                f"{account_id} is one of the MSP's own accounts (msp_own_account_ids), not a client's",
            )
            account_id = None
    email = client.get("client_email")
    if email is not None:
        problem = email_problem(email)
        if problem:
            report.add("client_email", f"{email!r} {problem}")
            email = None
    elif join == INVITE:
        # A plus-address of msp_mailbox is a created account's; an invited account keeps the root email it has.
        report.add(
            "client_email",
            "is required when client_join is invite: the invited account's current root email (the playbooks find "
            "the account with it and never change it)",
        )
    elif key is not None and not email_problem(settings.get("msp_mailbox")):
        try:
            email = plus_address(settings["msp_mailbox"], key)
        except InvalidInput as e:
            report.add(key_variable, f"{e.rule}; or give the account's root email in client_email")
    return key, email, account_id


def _placement_problems(report, client, settings):
    paths = _as(check_type_list, settings.get("msp_organizational_units"), [])
    if client.get("client_ou") is not None:
        problem = _ou_problem(client["client_ou"], "client_ou", _ou_layout(paths), _known(paths))
        if problem:
            report.add("client_ou", problem)
    tags = _as(check_type_dict, _setting(client, "client_tags", CLIENT_DEFAULTS), {})
    default_tags = _as(check_type_dict, _setting(settings, "msp_default_tags", MSP_DEFAULTS), {})
    problem = _account_tags_problem({**default_tags, **tags}, tags)
    if problem:
        report.add("client_tags", problem)
    for variable in ("client_alternate_contacts", "client_handover_alternate_contacts"):
        _contacts_problems(report, _setting(client, variable, CLIENT_DEFAULTS), variable)


def _root_problems(report, client):
    given = client.get("client_root_credentials")
    if given is not None and given not in ROOT_CREDENTIALS:
        report.add(
            "client_root_credentials",
            f"must be delete (onboarding deletes the root user's password, keys, MFA devices and certificates) or "
            f"keep (they stay), not {given!r}; unset: delete for a created account, keep for an invited one",
        )


def _role_problems(report, client, settings, catalogue, group_names):
    """Report the problems of the client's roles; return ``[(role key, variable)]`` of those with a usable key,
    the variable naming where the role comes from."""
    by_key = {}
    for entry in catalogue:
        fields, _problems = entry_fields(entry)
        if fields.get("key") is not None:
            by_key.setdefault(fields["key"], fields)
    known = _known(sorted(by_key))
    given = client.get("client_roles")
    chosen = selected_roles(_as(check_type_list, given, []) if given is not None else None, [])
    chosen_variable = "client_roles"
    if given is None:
        # msp_default_roles: unknown keys there are the MSP settings' problem, reported by msp_problems.
        chosen = [key for key in _as(check_type_list, settings.get("msp_default_roles"), []) if key in by_key]
        chosen_variable = "client_roles (not set, so msp_default_roles)"
    for key in chosen:
        if key not in by_key:
            report.add("client_roles", f"{key!r} is not in msp_role_catalogue (known: {known})")
    for key in _duplicates(chosen):
        report.add("client_roles", f"{key!r} is listed twice")
    keys = {key: f"the catalogue role it gets ({key})" for key in chosen if key in by_key}
    role_names = {by_key[key]["role_name"]: f"its catalogue role {key}" for key in chosen if key in by_key}
    role_names.update(_access_role_names(settings))
    path = _setting(settings, "msp_role_path", MSP_DEFAULTS)
    custom_roles = _as(check_type_list, _setting(client, "client_custom_roles", CLIENT_DEFAULTS), [])
    roles = [(key, chosen_variable) for key in keys]
    _role_entries_problems(report, custom_roles, "client_custom_roles", group_names, path, keys, role_names)
    for index, entry in enumerate(custom_roles):
        key = entry_fields(entry)[0].get("key")
        # A key its catalogue roles already have is reported above.
        if isinstance(key, str) and key not in dict(roles):
            roles.append((key, f"{_entry_label('client_custom_roles', index, entry)}.key"))
    return [(key, variable) for key, variable in roles if ROLE_KEY_PATTERN.fullmatch(key)]


def _client_settings(client):
    """The MSP-wide settings as the client's host variables hold them, with the msp role's defaults."""
    names = (*MSP_DEFAULTS, "msp_mailbox", "msp_management_account_id", "msp_identity_account_id")
    return {name: _setting(client, name, MSP_DEFAULTS) for name in names}


def client_entry_problems(client, catalogue, engineer_groups):
    """``(problems, found)`` of one client's entry (its host variables): ``found`` holds what other clients must
    not share, each None when unusable: ``key``, ``email`` (the root email), ``account_id``, and ``roles``,
    ``[(role key, variable)]``."""
    host = client.get("inventory_hostname")
    report = Problems(host)
    settings = _client_settings(client)
    group_names = [group.get("name") for group in engineer_groups or [] if isinstance(group, dict)]
    key, email, account_id = _identity_problems(report, client, settings)
    _placement_problems(report, client, settings)
    _root_problems(report, client)
    roles = _role_problems(report, client, settings, _as(check_type_list, catalogue, []), group_names)
    return list(report), {"key": key, "email": email, "account_id": account_id, "roles": roles}


# One job onboards the clients of one -e client; an AWX credential that injects client_credentials as an extra
# variable gives them to every host of that job.
ONE_PER_JOB = (
    "client_credentials given as an extra variable (an AWX credential injects one) reach every client of the job: "
    "onboard an invited client with its credentials in a job of its own (-e client={host})"
)


def _credentials_problems(report, client, selected, credentials_owners):
    """``client_credentials`` of a client this run onboards: an invited client's own, for it alone."""
    credentials = client.get("client_credentials")
    if report.host not in selected or credentials is None:
        return
    if _setting(client, "client_join", CLIENT_DEFAULTS) != INVITE:
        report.add(
            "client_credentials",
            "only for client_join invite (the client's own keys accept the invitation); this client's account is "
            f"created by the organization. {ONE_PER_JOB.format(host='<the invited client>')}",
        )
        return
    for other, other_credentials in credentials_owners:
        if other_credentials == credentials:
            report.add(
                "client_credentials",
                f"the same as {other}'s, but an account's credentials belong to that one account. "
                f"{ONE_PER_JOB.format(host=report.host)}",
            )
            return
    credentials_owners.append((report.host, credentials))


def _profile_problems(report, client, found, profiles):
    """The CLI profile of each of the client's roles, ``<client key>-<role key>`` (link_publishing's names): one
    per role of all clients, and none named as the engineers' own (msp_cli_source_profile)."""
    source_profile = _setting(client, "msp_cli_source_profile", MSP_DEFAULTS)
    for role_key, variable in found["roles"]:
        profile = profile_name(found["key"], role_key)
        other = profiles.setdefault(profile, (report.host, role_key))
        if other[0] != report.host:
            report.add(
                variable,
                f"its role {role_key} gets the CLI profile {profile}, which is also the profile of {other[0]}'s role "
                f"{other[1]} (profiles are named <client key>-<role key>): change the role's key or a client_key",
            )
        if profile == source_profile:
            report.add(
                variable,
                f"its role {role_key} gets the CLI profile {profile}, the name of msp_cli_source_profile (the "
                "engineers' own keys, which every generated profile starts from): change the role's key, the "
                "client_key or msp_cli_source_profile",
            )


def client_problems(clients, catalogue, engineer_groups, selected=None):
    """Every problem of the clients' entries (their host variables, each with ``inventory_hostname``), one by
    one and against each other: a key, root email, account id or CLI profile may belong to one client only.

    ``selected``: the inventory names of the clients this run onboards. Their ``client_credentials`` must be an
    invited client's own, for it alone (an extra variable, as AWX injects a credential, reaches every host, so a
    client not onboarded is not judged by it). None: not checked."""
    problems = []
    owners = {"key": {}, "email": {}, "account": {}}
    profiles, credentials_owners = {}, []
    for client in clients or []:
        entry_problems, found = client_entry_problems(client, catalogue, engineer_groups)
        key, email, account_id = found["key"], found["email"], found["account_id"]
        report = Problems(client.get("inventory_hostname"))
        duplicate_key = key is not None and key.lower() in owners["key"]
        if duplicate_key:
            report.add(
                _key_problem(client, report.host)[1],
                f"{key!r} is also {owners['key'][key.lower()]}'s key: every client needs its own (it is in the root "
                "email, profile names and link files); set another client_key on one of them",
            )
        elif key is not None:
            _profile_problems(report, client, found, profiles)
        if email is not None and email.lower() in owners["email"] and not duplicate_key:
            variable = "client_email" if client.get("client_email") is not None else "client_email (not set)"
            report.add(
                variable,
                f"{email} is also {owners['email'][email.lower()]}'s root email: every AWS account needs its own; "
                "give one of them another client_email (or client_key)",
            )
        if account_id is not None and account_id in owners["account"]:
            report.add(
                "client_account_id",
                f"{account_id} is also {owners['account'][account_id]}'s account: an account joins for one client only",
            )
        for kind, value in (("key", key and key.lower()), ("email", email and email.lower()), ("account", account_id)):
            if value is not None:
                owners[kind].setdefault(value, report.host)
        if selected is not None:
            _credentials_problems(report, client, selected, credentials_owners)
        problems.extend(entry_problems + list(report))
    return problems
