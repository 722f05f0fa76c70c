# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A client's cross-account roles, resolved from the MSP's role catalogue, and the clients' accounts.

A catalogue entry (``msp_role_catalogue``) or a client's custom role (``client_custom_roles``) becomes a
*role spec*: every field present, the defaults of the roles' argument_specs applied, values converted the
way argument_specs converts them (``"3600"`` -> 3600, ``"yes"`` -> true, ``"A,B"`` -> ``["A", "B"]``), inline
policies given as JSON text parsed::

    {key, role_name, path, description, managed_policies, inline_policies, require_mfa, mfa_max_age,
     max_session_duration, color, display_name, engineer_groups, custom}

:func:`client_accounts` matches every client (its host variables, completed by the ``client`` role) with
its account in the organization: the ``onboard_clients`` list the engineers' access and the switch-role
links are built from. :func:`client_coverage` uses the same matching for the audit: the organization's
accounts no client declares (those closing apart), and the clients missing from it or not active. Everything
here is pure; the checks that explain bad input are inventory_checks'.
"""

import copy

from ansible.module_utils.common.validation import (
    check_type_bool,
    check_type_dict,
    check_type_int,
    check_type_list,
    check_type_str,
)

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizations import CLOSING_STATES
from ansible_collections.msp.aws_accounts.plugins.module_utils.policies import parse_policy
from ansible_collections.msp.aws_accounts.plugins.module_utils.switch_role import DISPLAY_NAME_MAX_LENGTH

# The defaults of a catalogue entry's and a custom role's fields: the same as roles/msp/meta/argument_specs.yml
# and roles/client/meta/argument_specs.yml (a unit test holds them together).
ROLE_ENTRY_DEFAULTS = {
    "description": None,
    "managed_policies": [],
    "inline_policies": {},
    "require_mfa": True,
    "mfa_max_age": None,
    "max_session_duration": 3600,
    "color": None,
    "engineer_groups": [],
}
REQUIRED_FIELDS = ("key", "role_name")


def _to_str(value):
    return check_type_str(value, allow_conversion=True)


# How argument_specs converts each field's value (type str, list, dict, bool, int).
FIELD_CONVERSIONS = {
    "key": _to_str,
    "role_name": _to_str,
    "description": _to_str,
    "managed_policies": check_type_list,
    "inline_policies": check_type_dict,
    "require_mfa": check_type_bool,
    "mfa_max_age": check_type_int,
    "max_session_duration": check_type_int,
    "color": _to_str,
    "engineer_groups": check_type_list,
}
FIELD_TYPE_NAMES = {
    "managed_policies": "a list of policy names or ARNs",
    "inline_policies": "a mapping of policy name to policy document",
    "require_mfa": "true or false",
    "mfa_max_age": "a whole number of seconds",
    "max_session_duration": "a whole number of seconds",
}
ACTIVE = "ACTIVE"
CREATE = "create"
INVITE = "invite"


def entry_fields(entry):
    """``(fields, problems)``: the entry's fields with the defaults applied and argument_specs' conversions,
    and ``(field, rule)`` for each field that is missing or cannot be converted (that field stays as given)."""
    if not isinstance(entry, dict):
        return {}, [(None, "must be a mapping with at least key and role_name")]
    fields, problems = {}, []
    for field in REQUIRED_FIELDS:
        if entry.get(field) in (None, ""):
            problems.append((field, "is required"))
    for field, convert in FIELD_CONVERSIONS.items():
        value = entry.get(field)
        if value is None:
            fields[field] = copy.deepcopy(ROLE_ENTRY_DEFAULTS.get(field))
            continue
        try:
            fields[field] = convert(value)
        except TypeError:
            fields[field] = value
            problems.append((field, f"must be {FIELD_TYPE_NAMES.get(field, 'a string')}, not {value!r}"))
    if isinstance(fields["engineer_groups"], list):
        fields["engineer_groups"] = [_to_str(group) for group in fields["engineer_groups"]]
    return fields, problems


def catalogue_keys(catalogue):
    """The keys of the catalogue's entries, in its order (entries without a key left out)."""
    return [str(entry["key"]) for entry in catalogue or [] if isinstance(entry, dict) and entry.get("key") is not None]


def selected_roles(client_roles, default_roles):
    """The catalogue keys a client gets: ``client_roles``, or ``msp_default_roles`` when it is not set (None)."""
    chosen = default_roles if client_roles is None else client_roles
    return [str(key) for key in check_type_list(chosen or [])]


def display_name(client_name, key):
    """The switch-role label: ``ACME Corp admin``, within what the console shows. A long client name is cut,
    never the key: a key has no space, so the roles of one client (unique keys) keep labels of their own."""
    label = f"{client_name} {key}"
    if len(label) <= DISPLAY_NAME_MAX_LENGTH:
        return label
    room = DISPLAY_NAME_MAX_LENGTH - len(key) - 1
    if room < 1:
        return key[:DISPLAY_NAME_MAX_LENGTH]
    return f"{client_name[:room].rstrip()} {key}"


def role_spec(entry, client_name, path, custom=False, where="msp_role_catalogue"):
    """One entry as a role spec; InvalidInput naming ``where`` and the field for what cannot be used."""
    fields, problems = entry_fields(entry)
    if problems:
        field, rule = problems[0]
        raise InvalidInput(f"{where}.{field}" if field else where, rule)
    spec = dict(fields, path=path, custom=custom, display_name=display_name(client_name, fields["key"]))
    spec["inline_policies"] = {
        str(name): parse_policy(document, f"{where}.inline_policies.{name}")
        for name, document in fields["inline_policies"].items()
    }
    return spec


def client_role_specs(catalogue, client_name, client_roles=None, custom_roles=None, path="/msp/", default_roles=None):
    """The role specs of one client: the catalogue entries it gets (``client_roles``, or ``default_roles``
    when that is None), in that order, then its custom roles. InvalidInput for an unknown catalogue key or a
    key given twice."""
    by_key = {}
    for entry in catalogue or []:
        if isinstance(entry, dict) and entry.get("key") is not None:
            by_key.setdefault(str(entry["key"]), entry)
    specs = []
    for key in selected_roles(client_roles, default_roles):
        if key not in by_key:
            known = ", ".join(sorted(by_key)) or "none"
            raise InvalidInput("client_roles", f"{key!r} is not in msp_role_catalogue (known: {known})")
        specs.append(role_spec(by_key[key], client_name, path, where=f"msp_role_catalogue ({key})"))
    for index, entry in enumerate(check_type_list(custom_roles or [])):
        specs.append(role_spec(entry, client_name, path, custom=True, where=f"client_custom_roles[{index}]"))
    seen = set()
    for spec in specs:
        if spec["key"] in seen:
            raise InvalidInput("client_custom_roles", f"the key {spec['key']!r} is given twice")
        seen.add(spec["key"])
    return specs


def _client_value(client, name, default=None):
    value = client.get(name)
    return default if value is None else value


# The facts the client role sets that each matcher needs (hostvars never hold a role's defaults).
MATCH_FACTS = ("client_resolved_key",)
ACCOUNTS_FACTS = (*MATCH_FACTS, "client_role_specs")


def _client_matches(clients, accounts, facts=MATCH_FACTS):
    """``(client, join, expected, account)`` for every client, in the given order: how the account joins
    (``create`` or ``invite``), what identifies it (the root email of a created account, the id of an invited
    one) and the organization's account that has it (None when none has). A created account is found by its root
    email without regard to case, an invited one by its id. InvalidInput for a client without ``facts``."""
    by_email = {str(account["email"]).lower(): account for account in accounts or [] if account.get("email")}
    by_id = {str(account["id"]): account for account in accounts or [] if account.get("id")}
    for client in clients or []:
        missing = [fact for fact in facts if client.get(fact) is None]
        if missing:
            raise InvalidInput(
                client.get("inventory_hostname"),
                f"has no {' or '.join(missing)}: run the msp.aws_accounts.client role on every client first "
                "(playbooks/validate_clients.yml, which onboard.yml and audit.yml import; select clients with "
                "-e client, not with a --limit that leaves some out)",
            )
        join = _client_value(client, "client_resolved_join", _client_value(client, "client_join", CREATE))
        if join == INVITE:
            expected = str(_client_value(client, "client_account_id", ""))
            yield client, join, expected, by_id.get(expected)
        else:
            expected = str(_client_value(client, "client_root_email", ""))
            yield client, join, expected, by_email.get(expected.lower())


def client_accounts(clients, accounts):
    """``onboard_clients``: every client whose account is an ACTIVE member of the organization, sorted by key.

    ``clients`` are the clients' host variables after the ``client`` role set its facts; ``accounts`` are
    aws_member_account_info's. Clients whose account is missing or not ACTIVE are left out.
    """
    found = [
        {
            "host": client.get("inventory_hostname"),
            "key": client["client_resolved_key"],
            "name": client.get("client_name"),
            "account_id": account["id"],
            "join": join,
            "email": account.get("email") or client.get("client_root_email"),
            "roles": list(client["client_role_specs"]),
        }
        for client, join, _expected, account in _client_matches(clients, accounts, ACCOUNTS_FACTS)
        if account and account.get("state") == ACTIVE
    ]
    return sorted(found, key=lambda entry: entry["key"])


def _account_label(account):
    details = [account.get("name"), account.get("email"), account.get("state")]
    joined = " ".join(str(part) for part in (account.get("joined_method"), account.get("joined_timestamp")) if part)
    details.append(f"joined {joined}" if joined else None)
    return f"{account.get('id')} ({', '.join(str(detail) for detail in details if detail)})"


def _inactive_advice(client):
    """What the engineer does about a client whose account is not active, by the account's state."""
    if client["state"] in CLOSING_STATES:
        return (
            "the account is being closed or is closed (AWS lists it up to 90 days after): once it is handed over to "
            f"the client or closed, remove the client's entry ({client['host']} from the inventory's clients group "
            "and its host_vars)"
        )
    return (
        "run the audit again once AWS has activated it; if it stays so, see the account in the Organizations "
        "console, then onboard it again (playbooks/onboard.yml) or remove the client's entry"
    )


def coverage_findings(coverage):
    """One sentence per finding of :func:`client_coverage`'s result: undeclared accounts, then missing and
    inactive clients (a matched client and an undeclared account that is closing are no finding)."""
    findings = [
        f"Account {_account_label(account)} is in the organization, but no client declares it and it is not one of "
        "the MSP's own accounts (msp_own_account_ids)"
        for account in coverage["undeclared_accounts"]
    ]
    for client in coverage["missing_clients"]:
        wanted = (
            f"the invited account {client['expected']} is not a member"
            if client["join"] == INVITE
            else f"no account has the root email {client['expected']}"
        )
        findings.append(f"Client {client['host']} ({client['join']}) is missing from the organization: {wanted}")
    findings.extend(
        f"Client {client['host']}: its account {client['account_id']} is {client['state']}, not {ACTIVE}: "
        f"{_inactive_advice(client)}"
        for client in coverage["inactive_clients"]
    )
    return findings


def client_coverage(clients, accounts, msp_accounts=None, selected=None):
    """The organization compared with the clients: what exists that no client declares, and the reverse.

    ``clients`` are every client's host variables (after the ``client`` role), ``accounts`` every account of the
    organization (aws_member_account_info without filters), ``msp_accounts`` the ids of the MSP's own accounts
    (management, identity, msp_own_account_ids), never undeclared. Matching is :func:`client_accounts`'s.
    ``selected`` (inventory names; None: every client) limits the per-client lists; an account is undeclared only
    when no client at all, selected or not, declares it. An undeclared account that is closing or closed
    (PENDING_CLOSURE, SUSPENDED, CLOSED: AWS lists it up to 90 days after CloseAccount) is in ``closing_accounts``,
    no finding. Returns, each list sorted (accounts by id, clients by key)::

        {undeclared_accounts: [account, ...], closing_accounts: [account, ...],
         missing_clients: [{host, key, join, expected}], inactive_clients: [{host, key, account_id, state}],
         matched: [{host, key, account_id}], findings: [one sentence each]}
    """
    msp_ids = {str(account_id) for account_id in msp_accounts or []}
    chosen = None if selected is None else {str(host) for host in selected}
    declared = set()
    missing, inactive, matched = [], [], []
    for client, join, expected, account in _client_matches(clients, accounts):
        if account:
            declared.add(str(account["id"]))
        host = client.get("inventory_hostname")
        if chosen is not None and host not in chosen:
            continue
        entry = {"host": host, "key": client["client_resolved_key"]}
        if not account:
            missing.append(dict(entry, join=join, expected=expected))
        elif account.get("state") != ACTIVE:
            inactive.append(dict(entry, account_id=account["id"], state=account.get("state")))
        else:
            matched.append(dict(entry, account_id=account["id"]))
    nobodys = sorted(
        (
            dict(account)
            for account in accounts or []
            if str(account.get("id")) not in declared and str(account.get("id")) not in msp_ids
        ),
        key=lambda account: str(account.get("id")),
    )
    coverage = {
        "undeclared_accounts": [account for account in nobodys if account.get("state") not in CLOSING_STATES],
        "closing_accounts": [account for account in nobodys if account.get("state") in CLOSING_STATES],
        "missing_clients": sorted(missing, key=lambda entry: entry["key"]),
        "inactive_clients": sorted(inactive, key=lambda entry: entry["key"]),
        "matched": sorted(matched, key=lambda entry: entry["key"]),
    }
    coverage["findings"] = coverage_findings(coverage)
    return coverage


def xacct_role_options(spec, path, trusted_account_id, extra_tags=None):
    """The options of msp.aws_accounts.aws_xacct_role for one role spec (client_role_specs' entry), as the
    xacct_roles role passes them and the planner compares them: one definition for both. Options the spec leaves
    empty are left out (the module's defaults apply)."""
    trusted = str(trusted_account_id)
    options = {
        "name": spec["role_name"],
        "path": path,
        "trusted_account_ids": [trusted],
        "require_mfa": spec.get("require_mfa", True),
        "managed_policies": spec.get("managed_policies") or [],
        "inline_policies": spec.get("inline_policies") or {},
        "purge_policies": True,
        "max_session_duration": spec.get("max_session_duration") or 3600,
        "tags": {
            "managed-by": "msp.aws_accounts",
            **(extra_tags or {}),
            "msp-identity-account": trusted,
            "msp-role-key": spec["key"],
            "msp-role-kind": "custom" if spec.get("custom") else "catalogue",
        },
        "purge_tags": True,
    }
    if spec.get("description") is not None:
        options["description"] = spec["description"]
    for option in ("mfa_max_age", "display_name", "color"):
        if spec.get(option):
            options[option] = spec[option]
    return options
