# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The organization as an inventory: the pure part of the ``aws_organizations`` inventory plugin.

The plugin reads AWS; everything else is here, without boto3:

- :func:`inventory_settings` checks the plugin's options (naming the option) and normalises them;
- :func:`walk_organization` walks the OU tree from the root (or only the included subtrees) through two
  functions that list a parent's OUs and accounts, so every parent is listed once and every account's
  parent and OU path come from the walk, never from ListParents;
- :func:`account_host_vars` turns an Organizations Account into the host's ``aws_account_*`` variables;
- :func:`keep_before_tags` and :func:`matches_tags` are the filters, before and after the tag reads;
- :func:`host_names` names the hosts by ``hostnames``, skipping values that cannot be host names and
  settling duplicate names;
- :func:`build_inventory` turns the listing into hosts and groups (OU groups nested like the OUs).

The listing (what the plugin caches) is JSON: ``{"ou_paths": [...], "accounts": [host vars, ...]}``, with
the :func:`listing_fingerprint` it was read with. Every value in it comes from AWS, much of it (names, emails,
tags) set by the member accounts: it is data, never templated.
"""

import hashlib
import json
import re

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput, MspAwsError, error_code
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizational_units import (
    format_path,
    parse_path,
    resolve_path,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizations import (
    account_summary,
    management_account_id,
)

ORGANIZATION_GROUP = "aws_organization"
MANAGEMENT_GROUP = "management_account"
STATE_GROUP_PREFIX = "state_"
JOINED_GROUP_PREFIX = "joined_"
DEFAULT_OU_GROUP_PREFIX = "ou_"
HOSTNAME_FIELDS = {"account_id": "aws_account_id", "name": "aws_account_name", "email": "aws_account_email"}
TAG_HOSTNAME_PREFIX = "tag:"
# Account.State values in the Organizations API reference.
ACCOUNT_STATES = ("PENDING_ACTIVATION", "ACTIVE", "SUSPENDED", "PENDING_CLOSURE", "CLOSED")
GROUP_NAME_UNSAFE = re.compile(r"[^a-z0-9_]")
GROUP_PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9_]+$")
# The options that change what is read from AWS: a cached listing read with other values is read again.
LISTING_OPTIONS = ("include_ous", "exclude_ous", "states", "include_management_account", "read_tags")
# Where and as whom the listing is read (the plugin's options, which fall back to AWS_URL, AWS_REGION,
# AWS_PROFILE and AWS_ACCESS_KEY_ID): another organization or other credentials read again. Never the secret.
SOURCE_OPTIONS = ("endpoint_url", "region", "profile", "assume_role_arn", "access_key")
# Host names Ansible gives another meaning: the controller itself (constants.LOCALHOST) and the implicit groups.
RESERVED_HOST_NAMES = ("localhost", "127.0.0.1", "::1", "all", "ungrouped")
# Characters host patterns (--limit, hosts:) read as separators, globs, ranges, regexes, intersections or
# exclusions (inventory/manager.py split_host_pattern, _match_one_pattern, PATTERN_WITH_SUBSCRIPT).
HOST_PATTERN_CHARACTERS = ",:[]!&*?~"
# --limit @file reads the host names from a file.
HOST_PATTERN_PREFIXES = ("@",)
WHITESPACE = re.compile(r"\s")
ACTIVE_STATE = "ACTIVE"
ACCESS_DENIED_CODES = ("AccessDenied", "AccessDeniedException")
READ_PERMISSIONS = (
    "organizations:ListRoots, organizations:ListOrganizationalUnitsForParent, "
    "organizations:ListAccountsForParent and organizations:ListTagsForResource"
)


# --- options ----------------------------------------------------------------------------------------------


def inventory_settings(
    hostnames=None,
    ou_group_prefix=DEFAULT_OU_GROUP_PREFIX,
    include_ous=None,
    exclude_ous=None,
    states=None,
    include_tags=None,
    exclude_tags=None,
    include_management_account=False,
    read_tags=True,
):
    """The plugin's options checked and normalised. OU paths become tuples of names (``()`` is the root);
    include_ous drops paths below another included path; tag filters become ``{key: [values]}``."""
    read_tags = bool(read_tags)
    settings = {
        "hostnames": _hostnames(hostnames, read_tags),
        "ou_group_prefix": _group_prefix(ou_group_prefix),
        "include_ous": _outermost(_paths(include_ous, "include_ous")),
        "exclude_ous": _outermost(_paths(exclude_ous, "exclude_ous")),
        "states": _states(states),
        "include_tags": _tag_filter(include_tags, "include_tags", read_tags),
        "exclude_tags": _tag_filter(exclude_tags, "exclude_tags", read_tags),
        "include_management_account": bool(include_management_account),
        "read_tags": read_tags,
    }
    if () in settings["include_ous"]:
        settings["include_ous"] = []  # the root includes everything
    if () in settings["exclude_ous"]:
        raise InvalidInput("exclude_ous", "/ (the root) would leave out the whole organization: name OUs below it")
    _check_excludes_meet_includes(settings["include_ous"], settings["exclude_ous"])
    return settings


def _check_excludes_meet_includes(include_ous, exclude_ous):
    """With include_ous, an excluded OU that is neither inside an included OU nor above one leaves nothing out:
    a mistake, an error naming exclude_ous (its parent is never listed, so the walk could not check it)."""
    if not include_ous:
        return
    for excluded in exclude_ous:
        if not any(_below(excluded, included) or _below(included, excluded) for included in include_ous):
            raise InvalidInput(
                "exclude_ous",
                f"{format_path(excluded)} is outside include_ous "
                f"({', '.join(format_path(names) for names in include_ous)}), so it leaves nothing out: "
                "remove it, or correct the path",
            )


def listing_fingerprint(settings, source=None):
    """What a cached listing must have been read with to be used (JSON-safe: lists, not tuples).

    ``source`` holds the values of SOURCE_OPTIONS (endpoint, region, profile, role and access key id) the
    listing is read with; the fingerprint keeps only their SHA-256, so the cache file does not spell out the
    key id or the role, and a listing read with other credentials or from another endpoint is never used.
    """
    fingerprint = {option: settings[option] for option in LISTING_OPTIONS}
    for option in ("include_ous", "exclude_ous"):
        fingerprint[option] = [format_path(names) for names in fingerprint[option]]
    source = {option: (source or {}).get(option) or None for option in SOURCE_OPTIONS}
    fingerprint["source"] = hashlib.sha256(json.dumps(source, sort_keys=True).encode()).hexdigest()
    return fingerprint


def _hostnames(hostnames, read_tags):
    if hostnames is None:
        return ["account_id"]
    if not isinstance(hostnames, list) or not hostnames:
        raise InvalidInput("hostnames", "must be a non-empty list of account_id, name, email or tag:<key>")
    for entry in hostnames:
        if not isinstance(entry, str):
            raise InvalidInput("hostnames", f"{entry!r} is not a string: use account_id, name, email or tag:<key>")
        if entry.startswith(TAG_HOSTNAME_PREFIX):
            if not entry[len(TAG_HOSTNAME_PREFIX) :]:
                raise InvalidInput("hostnames", f"{entry!r} names no tag key: write tag:<key>, such as tag:client")
            if not read_tags:
                raise InvalidInput("hostnames", f"{entry} needs the accounts' tags, but read_tags is false")
        elif entry not in HOSTNAME_FIELDS:
            raise InvalidInput("hostnames", f"{entry!r} is not one of account_id, name, email or tag:<key>")
    return list(hostnames)


def _group_prefix(prefix):
    if prefix is None:
        return DEFAULT_OU_GROUP_PREFIX
    if prefix == "":
        raise InvalidInput(
            "ou_group_prefix",
            "may not be empty: the OU /Clients would make the group clients and merge with another inventory "
            "source's group of that name (the static client inventory's clients); use a prefix such as ou_",
        )
    if not isinstance(prefix, str) or not GROUP_PREFIX_PATTERN.match(prefix):
        raise InvalidInput("ou_group_prefix", f"{prefix!r} may hold only letters, digits and _")
    return prefix


def _paths(paths, option):
    if paths is None:
        return []
    if not isinstance(paths, list):
        raise InvalidInput(option, "must be a list of OU paths such as /Clients/Production")
    return [parse_path(path, option) for path in paths]


def _outermost(paths):
    """The paths no other path in the list contains, sorted, without repeats."""
    unique = sorted(set(paths))
    return [path for path in unique if not any(_below(path, other) for other in unique if other != path)]


def _below(names, ancestor):
    """True when ``names`` is ``ancestor`` or lies under it."""
    return names[: len(ancestor)] == ancestor


def _states(states):
    if states is None:
        return []
    if not isinstance(states, list):
        raise InvalidInput("states", f"must be a list of account states: {', '.join(ACCOUNT_STATES)}")
    for state in states:
        if state not in ACCOUNT_STATES:
            raise InvalidInput("states", f"{state!r} is not an account state: use {', '.join(ACCOUNT_STATES)}")
    return sorted(set(states))


def _tag_filter(tags, option, read_tags):
    if not tags:
        return {}
    if not isinstance(tags, dict):
        raise InvalidInput(option, "must be a dictionary of tag key to a value or a list of values")
    if not read_tags:
        raise InvalidInput(option, "filters by the accounts' tags, but read_tags is false")
    normalised = {}
    for key, values in tags.items():
        listed = values if isinstance(values, list) else [values]
        if not listed or not all(isinstance(value, (str, int)) and not isinstance(value, bool) for value in listed):
            raise InvalidInput(option, f"{key}: give a tag value (a string) or a list of them, not {values!r}")
        normalised[str(key)] = sorted({str(value) for value in listed})
    return normalised


# --- the walk -------------------------------------------------------------------------------------------------


def walk_organization(root, ous_of, accounts_of, include_ous=(), exclude_ous=()):
    """The OUs and accounts below the root, or below the included OUs only, minus the excluded subtrees.

    ``ous_of(parent_id)`` and ``accounts_of(parent_id)`` list a root's or OU's children (all pages); each is
    called at most once per parent, and never for an excluded OU. Returns ``(ou_paths, accounts)``: the path of
    every OU seen (the ancestors of included OUs too, so their groups nest), and
    ``[(account, parent_id, names), ...]``. An included or excluded path that does not exist is an error naming
    include_ous or exclude_ous; an included OU inside an excluded one is left out without listing anything in it.
    """
    listed = {}

    def children(parent_id):
        if parent_id not in listed:
            listed[parent_id] = ous_of(parent_id)
        return listed[parent_id]

    def resolve(names, option):
        found, missing = resolve_path(names, root["Id"], children)
        if missing:
            raise InvalidInput(option, f"organizational unit {format_path(names)} does not exist ({'/'.join(missing)})")
        return found

    seen = set()
    starts = []
    if include_ous:
        for names in include_ous:
            excluded = next((path for path in exclude_ous if _below(names, path)), None)
            if excluded is not None:
                resolve(excluded, "exclude_ous")  # lists the excluded OU's parents, never the OU itself
                continue
            found = resolve(names, "include_ous")
            seen.update(tuple(parse_path(path)) for path, _ou in found[:-1])
            starts.append((names, found[-1][1]["Id"]))
    else:
        starts.append(((), root["Id"]))

    accounts = []
    pending = list(starts)
    while pending:
        names, parent_id = pending.pop()
        if any(_below(names, excluded) for excluded in exclude_ous):
            continue
        if names:
            seen.add(names)
        accounts.extend((account, parent_id, names) for account in accounts_of(parent_id))
        pending.extend(((*names, ou["Name"]), ou["Id"]) for ou in children(parent_id))
    # Every excluded OU's parent has been listed by now (inventory_settings refuses an exclude outside
    # include_ous), so checking that it exists costs no call.
    for names in exclude_ous:
        resolve(names, "exclude_ous")
    ou_paths = sorted(format_path(names) for names in seen if not any(_below(names, x) for x in exclude_ous))
    return ou_paths, sorted(accounts, key=lambda entry: entry[0]["Id"])


def organization_management_account_id(root, accounts=()):
    """The management account's id from the root's ARN (``arn:…:organizations::<id>:root/o-…/r-…``), or from
    an account ARN; no extra call."""
    parsed = parse_aws_arn(root.get("Arn") or "")
    if parsed and parsed.get("account_id"):
        return parsed["account_id"]
    return management_account_id(accounts)


def account_host_vars(account, parent_id, names, management_id):
    """The host variables of an account (tags empty until read)."""
    summary = account_summary(account)
    return {
        "aws_account_id": str(summary["id"]),
        "aws_account_arn": summary["arn"],
        "aws_account_name": summary["name"],
        "aws_account_email": summary["email"],
        "aws_account_state": summary["state"],
        "aws_account_joined_method": summary["joined_method"],
        "aws_account_joined_timestamp": summary["joined_timestamp"],
        "aws_account_parent_id": parent_id,
        "aws_account_ou_path": format_path(names),
        "aws_account_tags": {},
        "aws_account_is_management": str(summary["id"]) == management_id,
    }


# --- filters --------------------------------------------------------------------------------------------------


def keep_before_tags(host_vars, settings):
    """The filters that need no tags: states and the management account."""
    if settings["states"] and host_vars["aws_account_state"] not in settings["states"]:
        return False
    return settings["include_management_account"] or not host_vars["aws_account_is_management"]


def matches_tags(tags, include_tags, exclude_tags):
    """Every include_tags key present with one of its values, and no exclude_tags key with one of its values."""
    for key, values in include_tags.items():
        if tags.get(key) not in values:
            return False
    return not any(tags.get(key) in values for key, values in exclude_tags.items())


# --- hosts and groups -----------------------------------------------------------------------------------------


def host_name_problem(value, group_names=()):
    """Why ``value`` cannot name a host, or None. Account names, root emails and tags are set in the member
    account, so they may claim the controller (``localhost``), an implicit or plugin group, or hold what host
    patterns read as syntax (``web,db`` could never be picked with --limit)."""
    if value.lower() in RESERVED_HOST_NAMES:
        return "Ansible reserves that name"
    if value in group_names:
        return "a group of this inventory has that name"
    if WHITESPACE.search(value):
        return "it contains whitespace"
    special = sorted({character for character in value if character in HOST_PATTERN_CHARACTERS})
    if special:
        return f"host patterns read {' '.join(special)} as syntax"
    if value.startswith(HOST_PATTERN_PREFIXES):
        return f"--limit reads a leading {value[0]} as a file name"
    return None


def host_name_candidate(host_vars, hostnames, group_names=()):
    """``(name, refused)``: the first ``hostnames`` entry that gives a non-empty, usable value, or the account
    id; ``refused`` lists ``(entry, value, reason)`` for the values skipped as unusable."""
    refused = []
    for entry in hostnames:
        if entry.startswith(TAG_HOSTNAME_PREFIX):
            value = host_vars["aws_account_tags"].get(entry[len(TAG_HOSTNAME_PREFIX) :])
        else:
            value = host_vars[HOSTNAME_FIELDS[entry]]
        if not isinstance(value, str) or not value.strip():
            continue
        problem = host_name_problem(value, group_names)
        if problem is None:
            return value, refused
        refused.append((entry, value, problem))
    return host_vars["aws_account_id"], refused


def _keeps_name_first(host_vars):
    """Of accounts that would share a name: ACTIVE ones first (a client's old, suspended account still tagged
    like the live one must not take its name), then the lower account id."""
    return (host_vars["aws_account_state"] != ACTIVE_STATE, host_vars["aws_account_id"])


def host_names(accounts, hostnames, group_names=()):
    """``({account id: host name}, warnings)``. Values that cannot be host names are skipped (with a warning
    naming the account). Of accounts that would share a name, an ACTIVE account keeps it before one in
    another state, then the lower account id; the others are named by their account ids. A name still shared
    then is an error."""
    wanted, warnings = {}, []
    for host_vars in sorted(accounts, key=lambda item: item["aws_account_id"]):
        name, refused = host_name_candidate(host_vars, hostnames, group_names)
        wanted.setdefault(name, []).append(host_vars)
        warnings.extend(
            f"aws_organizations: account {host_vars['aws_account_id']}: {entry} gives {value!r}, which cannot "
            f"name a host ({reason}); the next hostnames entry or the account id names it"
            for entry, value, reason in refused
        )
    names = {}
    for name, sharing in sorted(wanted.items()):
        keeper, *others = (host_vars["aws_account_id"] for host_vars in sorted(sharing, key=_keeps_name_first))
        names[keeper] = name
        for account_id in others:
            names[account_id] = account_id
        if others:
            warnings.append(
                f"aws_organizations: accounts {', '.join(sorted([keeper, *others]))} are all named {name!r} by "
                f"hostnames; {keeper} keeps the name (ACTIVE first, then the lower account id), "
                f"{', '.join(others)} {'is' if len(others) == 1 else 'are'} named by account id"
            )
    holders = {}
    for account_id, name in sorted(names.items()):
        if name in holders:
            raise MspAwsError(
                message=(
                    f"aws_organizations: accounts {holders[name]} and {account_id} both end up named {name!r} "
                    "(one account's hostnames value is the other's account id): change the tag or the hostnames order"
                )
            )
        holders[name] = account_id
    return names, warnings


def group_name_part(name):
    return GROUP_NAME_UNSAFE.sub("_", name.lower())


def ou_group_name(path, prefix=DEFAULT_OU_GROUP_PREFIX):
    """``/Clients/Production`` -> ``ou_clients_production``; the root has no group (None)."""
    names = parse_path(path)
    if not names:
        return None
    return prefix + "_".join(group_name_part(name) for name in names)


def ou_groups(ou_paths, prefix=DEFAULT_OU_GROUP_PREFIX):
    """``{path: group}`` for every OU path; two paths that make one group name, or an OU group named like one
    of the plugin's other groups, is an error naming both."""
    groups, owners = {}, {}
    for path in sorted(ou_paths):
        group = ou_group_name(path, prefix)
        if group is None:
            continue
        if group in owners:
            raise MspAwsError(
                message=(
                    f"aws_organizations: the organizational units {owners[group]} and {path} both make the group "
                    f"{group}: rename one of them, or leave one out with exclude_ous"
                )
            )
        if group in (ORGANIZATION_GROUP, MANAGEMENT_GROUP) or group.startswith(
            (STATE_GROUP_PREFIX, JOINED_GROUP_PREFIX)
        ):
            raise MspAwsError(
                message=(
                    f"aws_organizations: the organizational unit {path} makes the group {group}, which the plugin "
                    "uses for something else: set ou_group_prefix (default ou_)"
                )
            )
        owners[group] = path
        groups[path] = group
    return groups


def _parent_path(path):
    names = parse_path(path)
    return format_path(names[:-1])


def _account_groups(host_vars, by_path):
    """The plugin's groups an account is in."""
    member_of = [ORGANIZATION_GROUP, by_path.get(host_vars["aws_account_ou_path"])]
    if host_vars["aws_account_state"]:
        member_of.append(STATE_GROUP_PREFIX + group_name_part(host_vars["aws_account_state"]))
    if host_vars["aws_account_joined_method"]:
        member_of.append(JOINED_GROUP_PREFIX + group_name_part(host_vars["aws_account_joined_method"]))
    if host_vars["aws_account_is_management"]:
        member_of.append(MANAGEMENT_GROUP)
    return [group for group in member_of if group]


def build_inventory(listing, settings):
    """Hosts and groups from a listing (``{"ou_paths", "accounts"}``) under the settings' tag filters and names.

    Returns ``{"hosts": {name: host vars}, "groups": {group: {"hosts": [...], "children": [...]}},
    "warnings": [...]}``, everything sorted. Every host is in aws_organization; an account in an OU is also in
    that OU's group, whose parent group is the parent OU's (the top OUs' is aws_organization).
    """
    accounts = [
        host_vars
        for host_vars in listing["accounts"]
        if matches_tags(host_vars["aws_account_tags"], settings["include_tags"], settings["exclude_tags"])
    ]
    by_path = ou_groups(listing["ou_paths"], settings["ou_group_prefix"])
    groups = {ORGANIZATION_GROUP: {"hosts": [], "children": []}}
    for group in by_path.values():
        groups[group] = {"hosts": [], "children": []}
    for path, group in by_path.items():
        parent = by_path.get(_parent_path(path), ORGANIZATION_GROUP)
        groups[parent]["children"].append(group)
    member_of = {host_vars["aws_account_id"]: _account_groups(host_vars, by_path) for host_vars in accounts}
    group_names = set(groups).union(*member_of.values())
    names, warnings = host_names(accounts, settings["hostnames"], group_names)

    hosts = {}
    for host_vars in accounts:
        name = names[host_vars["aws_account_id"]]
        hosts[name] = host_vars
        for group in member_of[host_vars["aws_account_id"]]:
            groups.setdefault(group, {"hosts": [], "children": []})["hosts"].append(name)
    for group in groups.values():
        group["hosts"].sort()
        group["children"].sort()
    return {"hosts": dict(sorted(hosts.items())), "groups": dict(sorted(groups.items())), "warnings": warnings}


# --- errors ---------------------------------------------------------------------------------------------------


def explain_error(error):
    """An AWS failure as the inventory reports it: what happened, what to fix, and AWS's own words."""
    code = error_code(error.exception)
    if code == "AWSOrganizationsNotInUseException":
        fix = (
            "the credentials' account is in no AWS Organization: use the management account's credentials "
            "(or a delegated administrator's for AWS Organizations)"
        )
    elif code in ACCESS_DENIED_CODES:
        fix = (
            "the credentials may not read the organization: use the management account or a delegated "
            f"administrator for AWS Organizations, allowed {READ_PERMISSIONS}"
        )
    else:
        return f"aws_organizations: {error}"
    return f"aws_organizations: {error.message}: {fix} ({error.exception})"


def explain_assume_role_error(role_arn, reason):
    """A failed AssumeRole of assume_role_arn as the inventory reports it; ``reason`` is botocore's error, or the
    reason a later amazon.aws reported itself."""
    return (
        f"aws_organizations: could not assume the role {role_arn} of assume_role_arn ({reason}): check the ARN, "
        "that the role's trust policy trusts the credentials' principal and that they may call sts:AssumeRole on it"
    )
