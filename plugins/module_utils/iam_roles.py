# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""IAM roles: one read of a role, the pure reconciliation desired-vs-actual, and applying its changes.

The order is the order of a run: read the role (one GetRole, which carries tags, boundary and session
duration, one ListAttachedRolePolicies and one ListRolePolicies; inline policy documents only for the
names the caller manages); turn the options into the desired role, every input rule checked
(:func:`desired_role`), then the rules that need the role as it is (:func:`check_against_actual`) and
that the policies to attach exist (:func:`require_policies_exist`), all before any write; plan (pure:
:func:`plan_present` and :func:`plan_absent` turn (desired, actual) into the IAM calls that converge
them, named and parameterised as the API names them, plus the state that follows, and never raise);
apply (:func:`ensure_present`, :func:`ensure_absent`). The module applies the plan, check mode reports
it, and the audit and planner can read it, so all of them agree on what a change is.

Desired values of ``None`` mean "don't touch".
"""

import copy
import json
import re

try:
    from botocore.exceptions import BotoCoreError, ClientError

    BOTO_ERRORS = (ClientError, BotoCoreError)
except ImportError:
    BOTO_ERRORS = ()  # The modules report a missing botocore through AnsibleAWSModule.

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.iam import validate_iam_identifiers
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput, MspAwsError, tags_after
from ansible_collections.msp.aws_accounts.plugins.module_utils.policies import (
    build_trust_policy,
    grant_is_unguarded,
    managed_policy_arn,
    parse_policy,
    policies_differ,
    principal_account,
    requires_external_id,
    statements,
    trust_grants,
    trust_input_problems,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.switch_role import (
    color_problem,
    display_name_problem,
    link_role_name_problem,
)

DEFAULT_PATH = "/"
DEFAULT_MAX_SESSION_DURATION = 3600
MAX_SESSION_DURATION_RANGE = (3600, 43200)
DESCRIPTION_MAX_LENGTH = 1000
# IAM's character set for a role's description.
DESCRIPTION_CHARACTERS = re.compile(r"^[\t\n\r\u0020-\u007e\u00a1-\u00ff]*$")
TAGS_MAX = 50
TAG_KEY_MAX_LENGTH = 128
TAG_VALUE_MAX_LENGTH = 256
# IAM quotas, in characters not counting white space: all of a role's inline policies together, and its
# trust policy (2048 by default, a quota an account can raise to 4096; the default is left to IAM, whose
# refusal then comes at the first write of the plan, before anything else is written).
ROLE_INLINE_POLICIES_MAX_SIZE = 10240
TRUST_POLICY_MAX_SIZE = 4096
INLINE_POLICY_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")
# The trust options that only mean something when the trust policy is built.
BUILT_TRUST_OPTIONS = ("require_mfa", "mfa_max_age", "external_id")


# --- reads ----------------------------------------------------------------------------------------------


def _all_pages(call, result_key, **params):
    """Every item of a Marker-paginated IAM list, each page through the client's retry wrapper."""
    items = []
    while True:
        page = call(aws_retry=True, **params)
        items += page.get(result_key, [])
        if not page.get("IsTruncated"):
            return items
        params["Marker"] = page["Marker"]


def get_role(client, name):
    """GetRole's Role, or None when there is no such role."""
    try:
        return client.get_role(RoleName=name, aws_retry=True)["Role"]
    except is_boto3_error_code("NoSuchEntity"):
        return None
    except BOTO_ERRORS as e:  # pylint: disable=duplicate-except
        raise MspAwsError(message=f"Failed to read role {name}", exception=e) from e


def read_role(client, name, inline_policy_names=()):
    """The role's state (see :func:`role_state`), or None; documents only of ``inline_policy_names``."""
    role = get_role(client, name)
    if role is None:
        return None
    try:
        attached = _all_pages(client.list_attached_role_policies, "AttachedPolicies", RoleName=name)
        inline_names = _all_pages(client.list_role_policies, "PolicyNames", RoleName=name)
        documents = {
            policy: client.get_role_policy(RoleName=name, PolicyName=policy, aws_retry=True)["PolicyDocument"]
            for policy in inline_policy_names
            if policy in inline_names
        }
    except BOTO_ERRORS as e:
        raise MspAwsError(message=f"Failed to read the policies of role {name}", exception=e) from e
    return role_state(role, [p["PolicyArn"] for p in attached], inline_names, documents)


def role_state(role, managed_policy_arns, inline_policy_names, inline_policy_documents=None):
    """A role as the collection describes it, from GetRole's Role and the policy lists."""
    boundary = role.get("PermissionsBoundary") or {}
    return {
        "name": role["RoleName"],
        "arn": role["Arn"],
        "path": role.get("Path", DEFAULT_PATH),
        "description": role.get("Description") or None,
        "trust_policy": parse_policy(role.get("AssumeRolePolicyDocument") or {}, "AssumeRolePolicyDocument"),
        "max_session_duration": role.get("MaxSessionDuration", DEFAULT_MAX_SESSION_DURATION),
        "permissions_boundary": boundary.get("PermissionsBoundaryArn"),
        "tags": boto3_tag_list_to_ansible_dict(role.get("Tags") or []),
        "managed_policies": sorted(managed_policy_arns),
        "inline_policies": sorted(inline_policy_names),
        "inline_policy_documents": {
            policy: parse_policy(document, f"inline policy {policy}")
            for policy, document in (inline_policy_documents or {}).items()
        },
    }


def public_role(state):
    """The role as modules return it: inline policy names, without their documents."""
    if state is None:
        return None
    return {key: value for key, value in state.items() if key != "inline_policy_documents"}


def list_roles(client):
    """Every role of the account, as ListRoles returns them (trust policies included)."""
    try:
        return _all_pages(client.list_roles, "Roles")
    except BOTO_ERRORS as e:
        raise MspAwsError(message="Failed to list the account's roles", exception=e) from e


def roles_letting_in(roles, account_ids=None, principals=None):
    """The roles (ListRoles entries) whose trust lets the accounts or principals in, with their guards."""
    found = []
    for role in sorted(roles, key=lambda r: r["RoleName"]):
        trust = parse_policy(role.get("AssumeRolePolicyDocument") or {}, "AssumeRolePolicyDocument")
        grants = trust_grants(trust, principal_account(role["Arn"]), account_ids, principals)
        if grants:
            found.append(
                {
                    "name": role["RoleName"],
                    "arn": role["Arn"],
                    "path": role.get("Path", "/"),
                    "max_session_duration": role.get("MaxSessionDuration"),
                    "trust_policy": trust,
                    "unguarded": any(grant_is_unguarded(g) for g in grants),
                    "grants": grants,
                }
            )
    return found


def missing_managed_policies(client, arns):
    """The managed policies among ``arns`` that do not exist: checked before anything is attached."""
    missing = []
    for arn in arns:
        try:
            client.get_policy(PolicyArn=arn, aws_retry=True)
        except is_boto3_error_code("NoSuchEntity"):
            missing.append(arn)
        except BOTO_ERRORS as e:  # pylint: disable=duplicate-except
            raise MspAwsError(message=f"Failed to look up managed policy {arn}", exception=e) from e
    return missing


def instance_profile_names(client, name):
    try:
        profiles = _all_pages(client.list_instance_profiles_for_role, "InstanceProfiles", RoleName=name)
    except BOTO_ERRORS as e:
        raise MspAwsError(message=f"Failed to list the instance profiles of role {name}", exception=e) from e
    return sorted(profile["InstanceProfileName"] for profile in profiles)


# --- input rules ----------------------------------------------------------------------------------------


def max_session_duration_problem(seconds):
    low, high = MAX_SESSION_DURATION_RANGE
    if seconds is not None and not low <= seconds <= high:
        return f"must be {low} to {high} seconds (1 to 12 hours), not {seconds}"
    return None


def description_problem(description):
    if description is None:
        return None
    if len(description) > DESCRIPTION_MAX_LENGTH:
        return f"must be at most {DESCRIPTION_MAX_LENGTH} characters, not {len(description)}"
    if not DESCRIPTION_CHARACTERS.match(description):
        return "may hold only tab, line feed, carriage return and the characters U+0020-U+007E and U+00A1-U+00FF"
    return None


def tags_problem(tags):
    """IAM's tag rules: at most 50 tags, keys 1-128 characters not beginning with aws:, values up to 256."""
    if tags is None:
        return None
    if len(tags) > TAGS_MAX:
        return f"a role holds at most {TAGS_MAX} tags, not {len(tags)}"
    for key, value in tags.items():
        if not 0 < len(str(key)) <= TAG_KEY_MAX_LENGTH:
            return f"key {key!r} must be 1 to {TAG_KEY_MAX_LENGTH} characters long"
        if str(key).lower().startswith("aws:"):
            return f"key {key!r} begins with aws:, which AWS keeps for itself"
        if value is not None and len(str(value)) > TAG_VALUE_MAX_LENGTH:
            return f"the value of {key!r} must be at most {TAG_VALUE_MAX_LENGTH} characters long"
    return None


def policy_size(document):
    """A policy's size as IAM counts it: characters of its JSON text, white space not counted."""
    return len(re.sub(r"\s", "", _document(document)))


def inline_policies_size_problem(documents):
    size = sum(policy_size(document) for document in (documents or {}).values())
    if size > ROLE_INLINE_POLICIES_MAX_SIZE:
        return (
            f"together are {size} characters (white space not counted); IAM allows a role at most "
            f"{ROLE_INLINE_POLICIES_MAX_SIZE}: move some into managed policies"
        )
    return None


def trust_policy_size_problem(document):
    size = policy_size(document)
    if size > TRUST_POLICY_MAX_SIZE:
        return f"is {size} characters (white space not counted); IAM allows at most {TRUST_POLICY_MAX_SIZE}"
    return None


# --- the desired role, from a module's options ----------------------------------------------------------


def _require(option, problem):
    if problem:
        raise InvalidInput(option, problem)


def _desired_trust(options, partition):
    problems = trust_input_problems(
        options.get("trusted_account_ids"),
        options.get("trusted_principals"),
        options.get("require_mfa"),
        options.get("mfa_max_age"),
        options.get("external_id"),
    )
    if problems:
        raise InvalidInput(*problems[0])
    given = [option for option in BUILT_TRUST_OPTIONS if options.get(option) is not None]
    if options.get("trust_policy") is not None:
        _require(given[0] if given else None, "cannot be combined with trust_policy" if given else None)
        document = parse_policy(options["trust_policy"], "trust_policy")
        _require("trust_policy", None if statements(document) else "has no Statement")
        _require("trust_policy", trust_policy_size_problem(document))
        return document
    if not (options.get("trusted_account_ids") or options.get("trusted_principals")):
        # Without principals no trust is built, so the option would be silently ignored on an existing role.
        _require(given[0] if given else None, "needs trusted_account_ids or trusted_principals" if given else None)
        return None
    document = build_trust_policy(
        partition,
        options.get("trusted_account_ids"),
        options.get("trusted_principals"),
        options.get("require_mfa") is not False,
        options.get("mfa_max_age"),
        options.get("external_id"),
    )
    option = "trusted_principals" if options.get("trusted_principals") else "trusted_account_ids"
    _require(option, trust_policy_size_problem(document))
    return document


def _desired_inline_policies(inline):
    if inline is None:
        return None
    documents = {}
    for policy, document in inline.items():
        _require("inline_policies", None if INLINE_POLICY_NAME.match(policy) else f"{policy!r} is not a policy name")
        documents[policy] = parse_policy(document, f"inline_policies.{policy}")
    _require("inline_policies", inline_policies_size_problem(documents))
    return documents


def desired_role(options, partition):
    """The role the options ask for, every input rule checked first: InvalidInput names the broken option.

    ``options`` are the module's parameters; unset (None) options stay None, meaning "don't touch".
    Rules that depend on the role as it is come after the read, in :func:`check_against_actual`.
    """
    name, path = options["name"], options.get("path")
    _require("name", validate_iam_identifiers("role", name=name))
    _require("path", validate_iam_identifiers("role", path=path))
    trust = _desired_trust(options, partition)
    _require("color", color_problem(options.get("color")))
    _require("display_name", display_name_problem(options.get("display_name")))
    _require("max_session_duration", max_session_duration_problem(options.get("max_session_duration")))
    _require("description", description_problem(options.get("description")))
    _require("tags", tags_problem(options.get("tags")))
    managed = options.get("managed_policies")
    boundary = options.get("permissions_boundary")
    return {
        "name": name,
        "path": path,
        "description": options.get("description"),
        "trust_policy": trust,
        "max_session_duration": options.get("max_session_duration"),
        "permissions_boundary": managed_policy_arn(boundary, partition, "permissions_boundary")
        if boundary
        else boundary,
        "managed_policies": None if managed is None else sorted({managed_policy_arn(p, partition) for p in managed}),
        "inline_policies": _desired_inline_policies(options.get("inline_policies")),
        "purge_policies": options.get("purge_policies", True),
        "tags": options.get("tags"),
        "purge_tags": options.get("purge_tags", True),
    }


def check_against_actual(desired, actual):
    """InvalidInput for what the role as it is (None: absent) makes impossible; called after the read and
    before any write, so the planner never has to refuse."""
    if actual is None and desired.get("trust_policy") is None:
        raise InvalidInput(
            "trusted_account_ids", "a new role needs trusted_account_ids, trusted_principals or trust_policy"
        )
    if actual is not None and desired.get("path") and desired["path"] != actual["path"]:
        raise InvalidInput(
            "path",
            f"role {actual['name']} exists with path {actual['path']}; IAM cannot move a role to {desired['path']}. "
            "Delete the role (state=absent) and create it again with the new path",
        )
    trust = desired["trust_policy"] if desired.get("trust_policy") is not None else actual["trust_policy"]
    if not requires_external_id(trust):
        # Only a role the console can switch into has a link, and only then does the console's limit bind;
        # it binds the role's real path, whether or not the path option is given.
        path = actual["path"] if actual is not None else desired.get("path")
        _require("name", link_role_name_problem(path, desired["name"]))


def policy_arns_to_verify(changes):
    """(option, ARN) of every managed policy a plan attaches or sets as boundary: they must exist first."""
    found = []
    for change in changes:
        params = change["params"]
        if change["action"] == "AttachRolePolicy":
            found.append(("managed_policies", params["PolicyArn"]))
        elif params.get("PermissionsBoundary") and change["action"] in ("CreateRole", "PutRolePermissionsBoundary"):
            found.append(("permissions_boundary", params["PermissionsBoundary"]))
    return found


def require_policies_exist(client, changes):
    """InvalidInput, before any write, for a managed policy the plan would attach but AWS does not know."""
    for option, arn in policy_arns_to_verify(changes):
        if missing_managed_policies(client, [arn]):
            raise InvalidInput(
                option,
                f"{arn} does not exist. AWS-managed short names resolve to arn:<partition>:iam::aws:policy/<name>; "
                "give the path for policies under one (job-function/ViewOnlyAccess) or the full ARN of your own",
            )


# --- reconciliation (pure) ------------------------------------------------------------------------------


def _document(policy):
    return json.dumps(policy, sort_keys=True)


def _change(action, **params):
    return {"action": action, "params": params}


def _new_state(desired):
    return {
        "name": desired["name"],
        "arn": desired.get("arn"),
        "path": desired.get("path") or DEFAULT_PATH,
        "description": desired.get("description") or None,
        "trust_policy": desired["trust_policy"],
        "max_session_duration": desired.get("max_session_duration") or DEFAULT_MAX_SESSION_DURATION,
        "permissions_boundary": desired.get("permissions_boundary") or None,
        "tags": dict(desired.get("tags") or {}),
        "managed_policies": [],
        "inline_policies": [],
        "inline_policy_documents": {},
    }


def _plan_create(desired):
    after = _new_state(desired)
    params = {
        "RoleName": after["name"],
        "Path": after["path"],
        "AssumeRolePolicyDocument": _document(after["trust_policy"]),
        "MaxSessionDuration": after["max_session_duration"],
    }
    if after["description"]:
        params["Description"] = after["description"]
    if after["permissions_boundary"]:
        params["PermissionsBoundary"] = after["permissions_boundary"]
    if after["tags"]:
        params["Tags"] = ansible_dict_to_boto3_tag_list(after["tags"])
    # Policies cannot travel with CreateRole: they are planned against the role as it is just after creation.
    created = copy.deepcopy(after)
    return [_change("CreateRole", **params), *_plan_policies(desired, created, after)], after


def _plan_settings(desired, actual, after):
    name = actual["name"]
    changes = []
    if desired.get("trust_policy") is not None and policies_differ(actual["trust_policy"], desired["trust_policy"]):
        changes.append(
            _change("UpdateAssumeRolePolicy", RoleName=name, PolicyDocument=_document(desired["trust_policy"]))
        )
        after["trust_policy"] = desired["trust_policy"]
    if desired.get("description") is not None:
        after["description"] = desired["description"] or None
    if desired.get("max_session_duration") is not None:
        after["max_session_duration"] = desired["max_session_duration"]
    if (after["description"], after["max_session_duration"]) != (actual["description"], actual["max_session_duration"]):
        # Both are sent: UpdateRole implementations differ on what an omitted field means.
        params = {"RoleName": name, "MaxSessionDuration": after["max_session_duration"]}
        params["Description"] = after["description"] or ""
        changes.append(_change("UpdateRole", **params))
    boundary = desired.get("permissions_boundary")
    if boundary is not None and (boundary or None) != actual["permissions_boundary"]:
        if boundary:
            changes.append(_change("PutRolePermissionsBoundary", RoleName=name, PermissionsBoundary=boundary))
        else:
            changes.append(_change("DeleteRolePermissionsBoundary", RoleName=name))
        after["permissions_boundary"] = boundary or None
    return changes


def _plan_policies(desired, actual, after):
    name = actual["name"]
    purge = desired.get("purge_policies", True)
    changes = []
    managed = desired.get("managed_policies")
    if managed is not None:
        current = set(actual["managed_policies"])
        wanted = set(managed)
        changes += [_change("AttachRolePolicy", RoleName=name, PolicyArn=arn) for arn in sorted(wanted - current)]
        kept = wanted | (set() if purge else current)
        changes += [_change("DetachRolePolicy", RoleName=name, PolicyArn=arn) for arn in sorted(current - kept)]
        after["managed_policies"] = sorted(kept)
    inline = desired.get("inline_policies")
    if inline is not None:
        current_documents = actual["inline_policy_documents"]
        documents = dict(after["inline_policy_documents"])
        for policy, document in sorted(inline.items()):
            if policy not in actual["inline_policies"] or policies_differ(current_documents.get(policy), document):
                changes.append(
                    _change("PutRolePolicy", RoleName=name, PolicyName=policy, PolicyDocument=_document(document))
                )
            documents[policy] = document
        names = set(inline) | (set() if purge else set(actual["inline_policies"]))
        changes += [
            _change("DeleteRolePolicy", RoleName=name, PolicyName=policy)
            for policy in sorted(set(actual["inline_policies"]) - names)
        ]
        after["inline_policies"] = sorted(names)
        after["inline_policy_documents"] = {
            policy: documents[policy] for policy in sorted(names) if policy in documents
        }
    return changes


def _plan_tags(desired, actual, after):
    if desired.get("tags") is None:
        return []
    to_set, to_remove = compare_aws_tags(actual["tags"], desired["tags"], desired.get("purge_tags", True))
    changes = []
    if to_remove:
        changes.append(_change("UntagRole", RoleName=actual["name"], TagKeys=sorted(to_remove)))
    if to_set:
        changes.append(_change("TagRole", RoleName=actual["name"], Tags=ansible_dict_to_boto3_tag_list(to_set)))
    after["tags"] = tags_after(actual["tags"], to_set, to_remove)
    return changes


def _plan_update(desired, actual):
    after = copy.deepcopy(actual)
    changes = _plan_settings(desired, actual, after)
    changes += _plan_policies(desired, actual, after)
    changes += _plan_tags(desired, actual, after)
    return changes, after


def plan_present(desired, actual):
    """``(changes, after)``: the IAM calls that make the role ``desired``, and the role that follows.

    ``desired`` has passed :func:`desired_role` and :func:`check_against_actual`: planning never refuses.
    """
    if actual is None:
        return _plan_create(desired)
    return _plan_update(desired, actual)


def plan_absent(actual, instance_profiles=()):
    """The IAM calls that delete the role and everything that holds on to it (DeleteRole refuses otherwise)."""
    if actual is None:
        return []
    name = actual["name"]
    changes = [
        _change("RemoveRoleFromInstanceProfile", InstanceProfileName=profile, RoleName=name)
        for profile in instance_profiles
    ]
    changes += [_change("DetachRolePolicy", RoleName=name, PolicyArn=arn) for arn in actual["managed_policies"]]
    changes += [_change("DeleteRolePolicy", RoleName=name, PolicyName=policy) for policy in actual["inline_policies"]]
    return [*changes, _change("DeleteRole", RoleName=name)]


# --- applying a plan ------------------------------------------------------------------------------------

CLIENT_METHODS = {
    "CreateRole": "create_role",
    "UpdateAssumeRolePolicy": "update_assume_role_policy",
    "UpdateRole": "update_role",
    "PutRolePermissionsBoundary": "put_role_permissions_boundary",
    "DeleteRolePermissionsBoundary": "delete_role_permissions_boundary",
    "AttachRolePolicy": "attach_role_policy",
    "DetachRolePolicy": "detach_role_policy",
    "PutRolePolicy": "put_role_policy",
    "DeleteRolePolicy": "delete_role_policy",
    "TagRole": "tag_role",
    "UntagRole": "untag_role",
    "RemoveRoleFromInstanceProfile": "remove_role_from_instance_profile",
    "DeleteRole": "delete_role",
}


# Removals whose NoSuchEntity means the goal is reached: what they remove is gone. After a lost answer botocore
# retries the call that AWS already carried out, and the retry gets NoSuchEntity; this run did remove it.
REMOVALS = frozenset({"RemoveRoleFromInstanceProfile", "DetachRolePolicy", "DeleteRolePolicy", "DeleteRole"})


def apply_changes(client, changes):
    """Make the planned calls in order; returns the created Role when the plan creates one.

    A removal (``REMOVALS``) that AWS answers with NoSuchEntity counts as done.
    """
    created = None
    for change in changes:
        action = change["action"]
        try:
            response = getattr(client, CLIENT_METHODS[action])(aws_retry=True, **change["params"])
        except BOTO_ERRORS as e:
            if action in REMOVALS and isinstance(e, is_boto3_error_code("NoSuchEntity", e=e)):
                continue
            target = change["params"].get("RoleName", "")
            raise MspAwsError(message=f"Failed to {action} for role {target}", exception=e) from e
        if action == "CreateRole":
            created = response["Role"]
    return created


def ensure_present(client, desired, actual, check_mode):
    """``(changed, new_state, changes)``; in check mode nothing is written and ``new_state`` is the prediction.

    Every rule is checked before the first write: the options against the role as it is, then that the
    managed policies the plan attaches exist.
    """
    check_against_actual(desired, actual)
    changes, after = plan_present(desired, actual)
    require_policies_exist(client, changes)
    if changes and not check_mode:
        created = apply_changes(client, changes)
        if created is not None:
            after["arn"] = created["Arn"]
    return bool(changes), after, changes


def ensure_absent(client, actual, check_mode):
    """``(changed, new_state, changes)``: the role and everything attached to it deleted (or predicted to be);
    ``new_state`` is always None."""
    if actual is None:
        return False, None, []
    changes = plan_absent(actual, instance_profile_names(client, actual["name"]))
    if not check_mode:
        apply_changes(client, changes)
    return True, None, changes
