# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The engineers' side in the main (identity) account: which client roles each IAM group may assume.

Pure functions, no AWS. :func:`group_policies` turns the onboarded clients (their role specs and account
ids) and the engineers' groups into, for each group, the customer-managed policies that allow
``sts:AssumeRole`` on exactly the role ARNs of the catalogue and custom roles naming the group, in the
clients the group serves, and only with MFA. A managed policy holds at most 6144 characters (white space
not counted), so a group with many roles gets numbered policies ``<group>-client-roles-01``, ``-02``...
Everything is sorted, so the same input always gives the same documents and a re-run changes nothing.

:func:`access_plan` compares those documents, the engineers and the groups' memberships with what the
identity account holds (as ``aws_iam_group_info`` reads it) and says what to write: users to create,
policies to write, groups to create, attach or adjust, and our policies no longer needed.
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput
from ansible_collections.msp.aws_accounts.plugins.module_utils.iam_roles import policy_size
from ansible_collections.msp.aws_accounts.plugins.module_utils.policies import (
    ASSUME_ROLE,
    MFA_AGE,
    MFA_PRESENT,
    POLICY_VERSION,
    policies_differ,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.sts import role_arn

# IAM's quotas: characters of a managed policy (white space not counted), the length of a policy's
# name, and managed policies attached to a group (10 by default; an account may raise it to 20).
MANAGED_POLICY_MAX_SIZE = 6144
POLICY_NAME_MAX_LENGTH = 128
DEFAULT_MAX_POLICIES_PER_GROUP = 10
POLICY_NAME_INFIX = "-client-roles-"
SID_PREFIX = "AssumeClientRolesWithMfa"


def policy_name(group, number):
    """The name of a group's ``number``-th policy: ``msp-oncall-client-roles-01``."""
    return f"{group}{POLICY_NAME_INFIX}{number:02d}"


def is_policy_of(group, name):
    """Whether a policy name is one of the numbered policies this collection writes for ``group``."""
    return re.fullmatch(re.escape(group + POLICY_NAME_INFIX) + r"\d{2,}", name or "") is not None


def managed_policy_arn_in(partition, account_id, name, path="/"):
    return f"arn:{partition}:iam::{account_id}:policy{path}{name}"


def policy_description(group, name):
    """A description that never changes for a name (IAM cannot update a managed policy's description)."""
    return f"msp.aws_accounts: the client roles the engineers' group {group} may assume, only with MFA ({name})"


# --- which roles a group may assume ---------------------------------------------------------------------


def _served(group, clients):
    """The clients a group serves: those it lists by inventory name, or all when it lists none."""
    listed = group.get("clients")
    if listed is None:
        return clients
    listed = set(listed)
    return [client for client in clients if client["host"] in listed or client.get("key") in listed]


def group_grants(group, clients, partition):
    """``{role ARN: mfa_max_age or None}`` of every role naming ``group`` in the clients it serves."""
    grants = {}
    for client in _served(group, clients):
        for spec in client.get("roles") or []:
            if group["name"] not in (spec.get("engineer_groups") or []):
                continue
            arn = role_arn(partition, client["account_id"], spec["role_name"], spec.get("path") or "/")
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
    """(variable, rule) pairs for engineers' groups that cannot work: names missing, repeated or too long."""
    problems, seen = [], set()
    longest = POLICY_NAME_MAX_LENGTH - len(policy_name("", 1))
    for index, group in enumerate(groups or []):
        name = group.get("name") if isinstance(group, dict) else None
        if not isinstance(name, str) or not re.fullmatch(r"[\w+=,.@-]{1,128}", name):
            problems.append((f"msp_engineer_groups[{index}].name", f"{name!r} is not an IAM group name"))
            continue
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
    """(variable, rule) pairs for role specs naming engineers' groups that do not exist."""
    known = {group.get("name") for group in groups or [] if isinstance(group, dict)} - {None}
    problems = []
    for client in clients or []:
        for spec in client.get("roles") or []:
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
    """(variable, rule) pairs for engineers that are repeated or name groups that do not exist."""
    known = {group.get("name") for group in groups or [] if isinstance(group, dict)} - {None}
    problems, seen = [], set()
    for index, engineer in enumerate(engineers or []):
        name = engineer.get("name")
        if name in seen:
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


def group_policies(
    clients,
    groups,
    partition="aws",
    max_size=MANAGED_POLICY_MAX_SIZE,
    max_policies=DEFAULT_MAX_POLICIES_PER_GROUP,
):
    """For each group (in the order given): ``{name, path, role_arns, policies: [{name, description, document}]}``.

    A group that may assume no role gets no policy. More policies than ``max_policies`` (IAM's quota of
    managed policies per group) raise InvalidInput naming the group.
    """
    _require_none(group_problems(groups) + role_group_problems(clients, groups))
    result = []
    for group in groups or []:
        grants = group_grants(group, clients or [], partition)
        pieces = split_grants(grants.items(), max_size)
        if len(pieces) > max_policies:
            raise InvalidInput(
                f"msp_engineer_groups {group['name']}",
                f"its {len(grants)} roles need {len(pieces)} managed policies of {max_size} characters, more than "
                f"the {max_policies} a group may have attached; raise IAM's quota (up to 20) and the role's "
                "engineer_access_max_policies, or split the group",
            )
        policies = []
        for number, piece in enumerate(pieces, start=1):
            name = policy_name(group["name"], number)
            policies.append(
                {
                    "name": name,
                    "description": policy_description(group["name"], name),
                    "document": policy_document(piece),
                }
            )
        result.append(
            {
                "name": group["name"],
                "path": group.get("path") or "/",
                "role_arns": sorted(grants),
                "policies": policies,
            }
        )
    return result


# --- what to change in the identity account --------------------------------------------------------------


def _account_of(arn):
    parsed = parse_aws_arn(arn or "")
    return parsed["account_id"] if parsed else None


def _by_name(entries):
    return {entry["name"]: entry for entry in entries or []}


def _group_changes(desired, actual, members, listed, documents, account_id, partition):
    """The converge step of one group (or None), the policies it needs written, and our policies to delete."""
    exists = bool(actual and actual.get("exists"))
    current_members = set(actual.get("users") or []) if exists else set()
    attached = {p["name"]: p["arn"] for p in (actual.get("attached_policies") or [])} if exists else {}
    wanted = {p["name"]: p for p in desired["policies"]}
    arns = [managed_policy_arn_in(partition, account_id, name) for name in wanted]

    to_write = [
        dict(policy, group=desired["name"])
        for name, policy in wanted.items()
        if name not in documents or policies_differ(documents[name], policy["document"])
    ]
    to_delete = [
        {"group": desired["name"], "name": name, "arn": arn}
        for name, arn in sorted(attached.items())
        if is_policy_of(desired["name"], name) and name not in wanted and _account_of(arn) == account_id
    ]
    removed = sorted((current_members & listed) - members)
    added = sorted(members - current_members)
    unattached = [arn for name, arn in zip(wanted, arns, strict=True) if name not in attached]
    path_differs = exists and (actual.get("path") or "/") != desired["path"]
    if exists and not (removed or added or unattached or path_differs):
        return None, to_write, to_delete
    step = {
        "name": desired["name"],
        "path": desired["path"],
        "create": not exists,
        "managed_policies": arns,
        "users": sorted((current_members - set(removed)) | members),
        "purge_users": bool(removed),
        "users_added": added,
        "users_removed": removed,
        "policies_attached": unattached,
    }
    return step, to_write, to_delete


def access_plan(desired_groups, engineers, actual, account_id, partition="aws"):
    """What to write in the identity account so it holds ``desired_groups`` (:func:`group_policies`) and
    the engineers' memberships, given ``actual`` as ``aws_iam_group_info`` returns it.

    Returns ``{users_to_create, policies_to_write, groups_to_converge, policies_to_delete, changed}``.
    Only the listed engineers' memberships of the listed groups are managed: other members stay.
    """
    actual_groups = _by_name(actual.get("groups"))
    actual_users = _by_name(actual.get("users"))
    documents = actual.get("policy_documents") or {}
    listed = {engineer["name"] for engineer in engineers or []}
    plan = {"users_to_create": [], "policies_to_write": [], "groups_to_converge": [], "policies_to_delete": []}
    plan["users_to_create"] = sorted(name for name in listed if not (actual_users.get(name) or {}).get("exists"))
    for desired in desired_groups:
        members = {e["name"] for e in engineers or [] if desired["name"] in (e.get("groups") or [])}
        step, to_write, to_delete = _group_changes(
            desired, actual_groups.get(desired["name"]), members, listed, documents, account_id, partition
        )
        plan["policies_to_write"] += to_write
        plan["policies_to_delete"] += to_delete
        if step:
            plan["groups_to_converge"].append(step)
    plan["changed"] = any(plan[key] for key in list(plan))
    return plan
