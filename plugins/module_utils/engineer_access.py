# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The engineers' side in the main (identity) account: which client roles each IAM group may assume.

Pure functions, no AWS. :func:`group_policies` turns the onboarded clients (their role specs and account
ids) and the engineers' groups into, for each group, the customer-managed policies that allow
``sts:AssumeRole`` on exactly the role ARNs of the catalogue and custom roles naming the group, in the
clients the group serves, and only with MFA. A managed policy holds at most 6144 characters (white space
not counted), so a group with many roles gets numbered policies ``<group>-client-roles-01``, ``-02``...
Everything is sorted, so the same input always gives the same documents and a re-run changes nothing.
Every policy is on a path of its own (:data:`POLICY_PATH`), so one ListPolicies finds all of ours, those of
groups no longer listed included.

:func:`access_plan` compares those documents, the engineers and the groups' memberships with what the
identity account holds (as ``aws_iam_group_info`` reads it) and says what to write, in an order that never
takes a role away from a group that keeps it: users to create, policies to create (before any group uses
them), groups to create, attach or adjust, attached policies to rewrite (those gaining roles first), and
our policies no longer needed, to detach and delete.
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn
from ansible_collections.amazon.aws.plugins.module_utils.iam import validate_iam_identifiers

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput
from ansible_collections.msp.aws_accounts.plugins.module_utils.iam_roles import policy_size
from ansible_collections.msp.aws_accounts.plugins.module_utils.policies import (
    ASSUME_ROLE,
    MFA_AGE,
    MFA_PRESENT,
    POLICY_VERSION,
    as_list,
    policies_differ,
    statements,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.sts import role_arn

# IAM's quotas: characters of a managed policy (white space not counted), the length of a policy's
# name, and managed policies attached to a group (10 by default; an account may raise it to 20).
MANAGED_POLICY_MAX_SIZE = 6144
POLICY_NAME_MAX_LENGTH = 128
DEFAULT_MAX_POLICIES_PER_GROUP = 10
POLICY_NAME_INFIX = "-client-roles-"
SID_PREFIX = "AssumeClientRolesWithMfa"
# The IAM path of every policy this collection writes for the engineers' groups: nothing else lives there,
# so ListPolicies(Scope=Local, PathPrefix=POLICY_PATH) finds all of ours, of groups listed or not.
POLICY_PATH = "/msp-aws-accounts/"
OUR_POLICY_NAME = re.compile(r"(.+)" + re.escape(POLICY_NAME_INFIX) + r"\d{2,}")


def policy_name(group, number):
    """The name of a group's ``number``-th policy: ``msp-oncall-client-roles-01``."""
    return f"{group}{POLICY_NAME_INFIX}{number:02d}"


def is_policy_of(group, name):
    """Whether a policy name is one of the numbered policies this collection writes for ``group``."""
    return re.fullmatch(re.escape(group + POLICY_NAME_INFIX) + r"\d{2,}", name or "") is not None


def policy_group(name):
    """The group a numbered policy of ours was written for (``msp-oncall`` of ``msp-oncall-client-roles-02``),
    or None when the name is not one of ours."""
    match = OUR_POLICY_NAME.fullmatch(name or "")
    return match.group(1) if match else None


def managed_policy_arn_in(partition, account_id, name, path="/"):
    return f"arn:{partition}:iam::{account_id}:policy{path}{name}"


def policy_description(group, name):
    """A description that never changes for a name (IAM cannot update a managed policy's description)."""
    return f"msp.aws_accounts: the client roles the engineers' group {group} may assume, only with MFA ({name})"


# --- which roles a group may assume ---------------------------------------------------------------------


def serves(group, host):
    """Whether the engineers' ``group`` serves the client whose inventory name is ``host``: its ``clients``
    (inventory names, as msp_engineer_groups documents them) list it, or it has no ``clients``.

    Only the inventory name counts: a client key that happens to equal another client's inventory name
    must not give a group that client's roles. The switch-role links use this rule too.
    """
    listed = (group or {}).get("clients")
    return listed is None or host in listed


def group_grants(group, clients, partition):
    """``{role ARN: mfa_max_age or None}`` of every role naming ``group`` in the clients it serves."""
    grants = {}
    for client in clients:
        if not serves(group, client["host"]):
            continue
        for spec in client.get("roles") or []:
            if group["name"] not in (spec.get("engineer_groups") or []):
                continue
            arn = role_arn(partition, client["account_id"], spec["role_name"], spec["path"])
            grants.setdefault(arn, spec.get("mfa_max_age"))
    return grants


def _age_order(item):
    """Sort grants by MFA age class (shortest first, no age last), then by ARN."""
    arn, age = item
    return (age is None, age or 0, arn)


def policy_document(grants):
    """One policy allowing sts:AssumeRole on the ARNs of ``grants`` (ARN, age) only with MFA.

    One statement per MFA age: its roles all demand that age, so the identity side demands it too
    (NumericLessThan aws:MultiFactorAuthAge); roles without an age share a statement with MFA only.
    """
    by_age = {}
    for arn, age in sorted(grants, key=_age_order):
        by_age.setdefault(age, []).append(arn)
    statements = []
    for age, arns in by_age.items():
        condition = {"Bool": {MFA_PRESENT: "true"}}
        if age is not None:
            condition["NumericLessThan"] = {MFA_AGE: str(age)}
        statements.append(
            {
                "Sid": SID_PREFIX if age is None else f"{SID_PREFIX}Age{age}",
                "Effect": "Allow",
                "Action": ASSUME_ROLE,
                "Resource": arns,
                "Condition": condition,
            }
        )
    return {"Version": POLICY_VERSION, "Statement": statements}


def split_grants(grants, max_size=MANAGED_POLICY_MAX_SIZE):
    """``grants`` in sorted order, cut into the fewest consecutive pieces whose documents fit ``max_size``."""
    pieces, current = [], []
    for grant in sorted(grants, key=_age_order):
        candidate = [*current, grant]
        if current and policy_size(policy_document(candidate)) > max_size:
            pieces.append(current)
            candidate = [grant]
        current = candidate
    if current:
        pieces.append(current)
    return pieces


# --- input rules ----------------------------------------------------------------------------------------


def group_problems(groups):
    """(variable, rule) pairs for engineers' groups that cannot work: names or paths IAM refuses, names
    repeated or too long for their policies' names."""
    problems, seen = [], set()
    longest = POLICY_NAME_MAX_LENGTH - len(policy_name("", 1))
    for index, group in enumerate(groups or []):
        name = group.get("name") if isinstance(group, dict) else None
        problem = validate_iam_identifiers("group", name=name) if isinstance(name, str) and name else "is required"
        if problem:
            problems.append((f"msp_engineer_groups[{index}].name", f"{name!r} is not an IAM group name: {problem}"))
            continue
        path = group.get("path")
        problem = validate_iam_identifiers("group", path=path) if isinstance(path, (str, type(None))) else "a string"
        if problem:
            problems.append((f"msp_engineer_groups[{index}].path", f"{path!r} is not an IAM path: {problem}"))
        if name in seen:
            problems.append((f"msp_engineer_groups[{index}].name", f"{name!r} is listed twice"))
        seen.add(name)
        if len(name) > longest:
            problems.append(
                (
                    f"msp_engineer_groups[{index}].name",
                    f"{name!r} is {len(name)} characters; its policies' names ({policy_name(name, 1)}) would pass "
                    f"IAM's {POLICY_NAME_MAX_LENGTH}: keep group names to {longest} characters",
                )
            )
    return problems


def role_group_problems(clients, groups):
    """(variable, rule) pairs for role specs without a path, or naming engineers' groups that do not exist."""
    known = {group.get("name") for group in groups or [] if isinstance(group, dict)} - {None}
    problems = []
    for client in clients or []:
        for spec in client.get("roles") or []:
            if not spec.get("path"):
                problems.append(
                    (
                        f"{client['host']}: role {spec.get('key', spec.get('role_name'))} path",
                        "is required (the role's IAM path, like /msp/): the groups' policies name the role's ARN, "
                        "which holds the path",
                    )
                )
            for name in spec.get("engineer_groups") or []:
                if name not in known:
                    problems.append(
                        (
                            f"{client['host']}: role {spec.get('key', spec.get('role_name'))} engineer_groups",
                            f"{name!r} is not in msp_engineer_groups ({', '.join(sorted(known)) or 'none'})",
                        )
                    )
    return problems


def engineer_problems(engineers, groups):
    """(variable, rule) pairs for engineers whose names IAM refuses, repeated, or naming unknown groups."""
    known = {group.get("name") for group in groups or [] if isinstance(group, dict)} - {None}
    problems, seen = [], set()
    for index, engineer in enumerate(engineers or []):
        name = engineer.get("name")
        problem = validate_iam_identifiers("user", name=name) if isinstance(name, str) and name else "is required"
        if problem:
            problems.append((f"msp_engineers[{index}].name", f"{name!r} is not an IAM user name: {problem}"))
        elif name in seen:
            problems.append((f"msp_engineers[{index}].name", f"{name!r} is listed twice"))
        seen.add(name)
        for group in engineer.get("groups") or []:
            if group not in known:
                problems.append(
                    (f"msp_engineers[{index}].groups", f"{group!r} is not in msp_engineer_groups for {name!r}")
                )
    return problems


def _require_none(problems):
    if problems:
        raise InvalidInput(*problems[0])


# --- the policies of every group ------------------------------------------------------------------------


def policy_path_problem(path):
    """Why ``path`` cannot hold our policies, or None: it must be an IAM path of the collection's own."""
    problem = validate_iam_identifiers("policy", path=path) if isinstance(path, str) else "must be a string"
    if problem:
        return f"{path!r}: {problem}, like {POLICY_PATH}"
    if path == "/":
        return (
            f"must be a path of the collection's own, like {POLICY_PATH}: every policy on it named "
            "<group>-client-roles-NN is taken for ours, and those of groups no longer listed are deleted"
        )
    return None


def group_policies(
    clients,
    groups,
    partition="aws",
    max_size=MANAGED_POLICY_MAX_SIZE,
    max_policies=DEFAULT_MAX_POLICIES_PER_GROUP,
    engineers=None,
    policy_path=POLICY_PATH,
):
    """For each group (in the order given): ``{name, path, role_arns, grants, policies: [{name, path,
    description, document, grants}], policy_names}``, the policies on ``policy_path`` (``grants`` as
    :func:`grant_list` gives them; ``policy_names`` every name its policies may have).

    A group that may assume no role gets no policy. More policies than ``max_policies`` (IAM's quota of
    managed policies per group) raise InvalidInput naming the group, as does any input IAM would refuse:
    group names and paths, and (when given) the engineers' user names and groups.
    """
    problem = policy_path_problem(policy_path)
    problems = [("engineer_access_policy_path", problem)] if problem else []
    problems += group_problems(groups) + role_group_problems(clients, groups)
    if engineers is not None:
        problems += engineer_problems(engineers, groups)
    _require_none(problems)
    result = []
    for group in groups or []:
        grants = group_grants(group, clients or [], partition)
        result.append(
            {
                "name": group["name"],
                "path": group.get("path") or "/",
                "role_arns": sorted(grants),
                "grants": grant_list(grants),
                "policies": policies_of(group["name"], grants, policy_path, max_size, max_policies),
                # Every name the group's policies may have: a slice reads them all (others' clients may fill them).
                "policy_names": [policy_name(group["name"], number) for number in range(1, max_policies + 1)],
            }
        )
    return result


def policies_of(
    group, grants, policy_path, max_size=MANAGED_POLICY_MAX_SIZE, max_policies=DEFAULT_MAX_POLICIES_PER_GROUP
):
    """The numbered policies (``[{name, path, description, document}]``) allowing ``grants`` ({ARN: age}) to
    ``group``; more than ``max_policies`` raise InvalidInput naming the group."""
    pieces = split_grants(grants.items(), max_size)
    if len(pieces) > max_policies:
        raise InvalidInput(
            f"msp_engineer_groups {group}",
            f"its {len(grants)} roles need {len(pieces)} managed policies of {max_size} characters, more than "
            f"the {max_policies} a group may have attached; raise IAM's quota (up to 20) and the role's "
            "engineer_access_max_policies, or split the group",
        )
    policies = []
    for number, piece in enumerate(pieces, start=1):
        name = policy_name(group, number)
        policies.append(
            {
                "name": name,
                "path": policy_path,
                "description": policy_description(group, name),
                "document": policy_document(piece),
                "grants": grant_list(dict(piece)),
            }
        )
    return policies


# --- slices of the inventory: what a run keeps of what other runs wrote ----------------------------------
#
# A run whose inventory holds only some clients (an AWX job slice) knows only their roles. The other
# clients' role ARNs already in a group's policies stay when their account is still an ACTIVE member of
# the organization and is not one this inventory declares (for those, this inventory says which roles
# exist). A full run keeps nothing it does not compute, so it still revokes clients that left.


def grant_list(grants):
    """``{ARN: age}`` as ``[{arn, mfa_max_age}]`` sorted by ARN (module arguments, facts)."""
    return [{"arn": arn, "mfa_max_age": grants[arn]} for arn in sorted(grants)]


def grant_dict(grants):
    """The inverse of :func:`grant_list`; a dict is taken as it is."""
    if isinstance(grants, dict):
        return dict(grants)
    return {entry["arn"]: entry.get("mfa_max_age") for entry in grants or []}


def _age(condition):
    value = ((condition or {}).get("NumericLessThan") or {}).get(MFA_AGE)
    return int(value) if value is not None else None


def document_grants(document):
    """``{role ARN: MFA age or None}`` that a policy document of ours allows (the inverse of
    :func:`policy_document`); where one ARN shows under two ages, the shorter wins."""
    grants = {}
    for statement in statements(document):
        if statement.get("Effect") != "Allow" or ASSUME_ROLE not in as_list(statement.get("Action")):
            continue
        age = _age(statement.get("Condition"))
        for arn in as_list(statement.get("Resource")):
            known = grants.get(arn, age)
            grants[arn] = age if known is None or (age is not None and age < known) else known
    return grants


def keeps(arn, keep_account_ids, own_account_ids):
    """Whether a run keeps ``arn`` although its own clients do not give it: only with ``keep_account_ids``
    (the organization's ACTIVE members; None in a full run, which keeps nothing), for an account among them
    and not among ``own_account_ids`` (this inventory's clients' accounts, whose roles it knows)."""
    if keep_account_ids is None:
        return False
    account = _account_of(arn)
    return account in set(keep_account_ids) and account not in set(own_account_ids or ())


def kept_grants(grants, keep_account_ids, own_account_ids):
    """The part of ``grants`` ({ARN: age}) that :func:`keeps` keeps."""
    return {arn: age for arn, age in grants.items() if keeps(arn, keep_account_ids, own_account_ids)}


def merge_grants(own, others, keep_account_ids, own_account_ids):
    """What a run writes: its ``own`` grants, plus those of ``others`` (what AWS holds, what concurrent
    writers added) that it keeps. ``own`` wins where both name an ARN."""
    merged = kept_grants(others, keep_account_ids, own_account_ids)
    merged.update(own)
    return merged


def merged_groups(
    desired_groups,
    documents,
    keep_account_ids,
    own_account_ids,
    policy_path=POLICY_PATH,
    max_policies=DEFAULT_MAX_POLICIES_PER_GROUP,
):
    """``desired_groups`` (:func:`group_policies`) with, per group, the grants kept from its policies of ours
    in ``documents`` ({policy name: document}, as aws_iam_group_info reads them), cut into policies again.
    Unchanged in a full run (``keep_account_ids`` None)."""
    if keep_account_ids is None:
        return desired_groups
    result = []
    for group in desired_groups:
        current = {}
        for name in sorted(documents or {}):
            if is_policy_of(group["name"], name):
                current.update(document_grants(documents[name]))
        own = grant_dict(group.get("grants"))
        merged = merge_grants(own, current, keep_account_ids, own_account_ids)
        if merged == own:
            result.append(group)
            continue
        result.append(
            dict(
                group,
                role_arns=sorted(merged),
                grants=grant_list(merged),
                policies=policies_of(group["name"], merged, policy_path, max_policies=max_policies),
            )
        )
    return result


# --- one managed policy, written by several runs at once --------------------------------------------------
#
# IAM has no compare-and-set. Every writer creates a new version as the default (so the default is always the
# newest version), then lists the versions: those created between the one it read (its base) and its own are
# concurrent writes, whose additions it merges and writes again, until the default holds its own grants and
# every addition it has seen. A writer deletes only versions whose kept grants the default holds, so nothing a
# concurrent writer added is lost with a version.


def version_number(version_id):
    """``12`` of ``v12`` (IAM's version ids count up per policy); 0 for None."""
    return int(str(version_id).lstrip("v")) if version_id else 0


def added_grants(version, base):
    """The grants ``version`` ({ARN: age}) holds that ``base`` does not: what a concurrent writer added."""
    return {arn: age for arn, age in version.items() if arn not in base}


def rewrite_needed(own, default, added, keep_account_ids, own_account_ids):
    """The grants to write next, or None when the policy's ``default`` version already holds this run's
    ``own`` grants (with their ages), every concurrent addition it keeps (``added``), and nothing this run
    drops (its own accounts' other roles, accounts that left, in a full run anything not its own)."""
    wanted = merge_grants(own, added, keep_account_ids, own_account_ids)
    holds = all(arn in default and default[arn] == age for arn, age in wanted.items())
    extra = any(arn not in own and not keeps(arn, keep_account_ids, own_account_ids) for arn in default)
    if holds and not extra:
        return None
    return merge_grants(own, {**default, **added}, keep_account_ids, own_account_ids)


def deletable_versions(versions, default_id, default, keep_account_ids, own_account_ids):
    """Of ``versions`` ({version id: grants} this run has read), the ids it may delete, oldest first: not the
    default, and every grant of theirs that a run keeps is in the ``default`` version's grants."""
    return sorted(
        (
            version_id
            for version_id, grants in versions.items()
            if version_id != default_id and set(kept_grants(grants, keep_account_ids, own_account_ids)) <= set(default)
        ),
        key=version_number,
    )


# --- what to change in the identity account --------------------------------------------------------------


def _account_of(arn):
    parsed = parse_aws_arn(arn or "")
    return parsed["account_id"] if parsed else None


def _by_name(entries):
    return {entry["name"]: entry for entry in entries or []}


def _arns(document):
    """The resources (role ARNs) a policy document names, in any statement."""
    return {arn for statement in statements(document) for arn in as_list(statement.get("Resource"))}


def update_order(updates, documents):
    """``updates`` (one group's attached policies to rewrite) in an order that never drops a role it keeps.

    A rewrite that takes away an ARN another rewrite adds comes after that one: when a client added early in
    the sorted order pushes a role from ``-01`` to ``-02``, ``-02`` gets it before ``-01`` loses it, and the
    other way round when a client leaves. Sorted pieces cannot make this circular; ties go by name.
    """
    by_name = {policy["name"]: policy for policy in updates}
    old = {name: _arns(documents.get(name)) for name in by_name}
    new = {name: _arns(policy["document"]) for name, policy in by_name.items()}
    needs = {
        name: {other for other in by_name if other != name and (old[name] - new[name]) & (new[other] - old[other])}
        for name in by_name
    }
    ordered, pending = [], sorted(by_name)
    while pending:
        ready = [name for name in pending if needs[name] <= set(ordered)] or pending
        ordered.append(ready[0])
        pending.remove(ready[0])
    return [by_name[name] for name in ordered]


def _group_changes(desired, actual, members, ctx):
    """The converge step of one group (or None), and its policies to create, to rewrite and to delete."""
    group = desired["name"]
    exists = bool(actual and actual.get("exists"))
    current_members = set(actual.get("users") or []) if exists else set()
    attached = {p["name"]: p["arn"] for p in (actual.get("attached_policies") or [])} if exists else {}
    wanted = {p["name"]: dict(p, group=group) for p in desired["policies"]}
    arns = {
        name: managed_policy_arn_in(ctx["partition"], ctx["account_id"], name, policy["path"])
        for name, policy in wanted.items()
    }
    unattached = [name for name in wanted if attached.get(name) != arns[name]]
    docs = ctx["documents"]
    to_create = [wanted[name] for name in unattached]
    to_update = update_order(
        [
            policy
            for name, policy in wanted.items()
            if name not in unattached and (name not in docs or policies_differ(docs[name], policy["document"]))
        ],
        docs,
    )
    to_delete = [
        {"group": group, "name": name, "arn": arn}
        for name, arn in sorted(attached.items())
        if is_policy_of(group, name) and name not in wanted and _account_of(arn) == ctx["account_id"]
    ]
    deleted = {entry["name"] for entry in to_delete} | set(ctx["stale"])
    others = sorted(name for name in attached if name not in wanted and name not in deleted)
    if len(wanted) + len(others) > ctx["max_policies"]:
        raise InvalidInput(
            f"msp_engineer_groups {group}",
            f"its {len(wanted)} policies of ours and the {len(others)} other managed policies attached to it "
            f"({', '.join(others)}) are {len(wanted) + len(others)}, more than the {ctx['max_policies']} a group may "
            "have attached (IAM counts them all); detach some, raise IAM's quota (up to 20) and the role's "
            "engineer_access_max_policies, or split the group",
        )
    listed = ctx["listed"]
    removed = sorted((current_members & listed) - members)
    added = sorted(members - current_members)
    path_differs = exists and (actual.get("path") or "/") != desired["path"]
    if exists and not (removed or added or unattached or path_differs):
        return None, to_create, to_update, to_delete
    step = {
        "name": group,
        "path": desired["path"],
        "create": not exists,
        "managed_policies": list(arns.values()),
        "users": sorted((current_members - set(removed)) | members),
        "purge_users": bool(removed),
        "users_added": added,
        "users_removed": removed,
        "policies_attached": [arns[name] for name in unattached],
    }
    return step, to_create, to_update, to_delete


def access_plan(
    desired_groups,
    engineers,
    actual,
    account_id,
    partition="aws",
    max_policies=DEFAULT_MAX_POLICIES_PER_GROUP,
    policy_path=POLICY_PATH,
    keep_account_ids=None,
    own_account_ids=(),
):
    """What to write in the identity account so it holds ``desired_groups`` (:func:`group_policies`) and
    the engineers' memberships, given ``actual`` as ``aws_iam_group_info`` returns it (``policies``: ours,
    listed on ``policy_path``).

    Returns ``{users_to_create, policies_to_create, groups_to_converge, policies_to_update,
    policies_to_delete, changed}``, in the order a run writes them: a policy is created before a group
    uses it, and attached policies are rewritten (those gaining roles first) only once every new one is
    attached, so a group never loses, even briefly, a role it keeps. Deleted: our policies a listed group
    no longer needs, and every policy of ours on ``policy_path`` no listed group wants (a group taken out
    of the inventory, a piece a failed run created but never attached). Only the listed engineers'
    memberships of the listed groups are managed: other members stay. A group whose policies and the
    others attached to it would pass ``max_policies`` raises InvalidInput naming it.

    With ``keep_account_ids`` (a run over a slice of the inventory), each group's policies also keep the
    grants :func:`merged_groups` keeps; the groups of the plan's steps are then those merged ones.
    """
    desired_groups = merged_groups(
        desired_groups,
        actual.get("policy_documents") or {},
        keep_account_ids,
        own_account_ids,
        policy_path,
        max_policies,
    )
    wanted = {p["name"] for group in desired_groups for p in group["policies"]}
    stale = {
        p["name"]: {"group": policy_group(p["name"]), "name": p["name"], "arn": p["arn"]}
        for p in actual.get("policies") or []
        if p.get("path") == policy_path
        and policy_group(p["name"])
        and p["name"] not in wanted
        and _account_of(p["arn"]) == account_id
    }
    actual_groups = _by_name(actual.get("groups"))
    actual_users = _by_name(actual.get("users"))
    listed = {engineer["name"] for engineer in engineers or []}
    ctx = {
        "account_id": account_id,
        "partition": partition,
        "documents": actual.get("policy_documents") or {},
        "listed": listed,
        "stale": stale,
        "max_policies": max_policies,
    }
    plan = {
        "users_to_create": sorted(name for name in listed if not (actual_users.get(name) or {}).get("exists")),
        "policies_to_create": [],
        "groups_to_converge": [],
        "policies_to_update": [],
        "policies_to_delete": [],
    }
    for desired in desired_groups:
        members = {e["name"] for e in engineers or [] if desired["name"] in (e.get("groups") or [])}
        step, to_create, to_update, to_delete = _group_changes(
            desired, actual_groups.get(desired["name"]), members, ctx
        )
        plan["policies_to_create"] += to_create
        plan["policies_to_update"] += to_update
        for entry in to_delete:
            stale.setdefault(entry["name"], entry)
        if step:
            plan["groups_to_converge"].append(step)
    plan["policies_to_delete"] = [stale[name] for name in sorted(stale)]
    if keep_account_ids is not None:
        # A slice deletes only a policy it has read and that holds no role it would keep: one it has not read
        # (never attached, or of a group no longer listed) may be another slice's piece in the making. A full run
        # deletes them.
        documents = actual.get("policy_documents") or {}
        plan["policies_to_delete"] = [
            entry
            for entry in plan["policies_to_delete"]
            if entry["name"] in documents
            and not kept_grants(document_grants(documents[entry["name"]]), keep_account_ids, own_account_ids)
        ]
    plan["changed"] = any(plan[key] for key in list(plan))
    plan["groups"] = desired_groups
    return plan
