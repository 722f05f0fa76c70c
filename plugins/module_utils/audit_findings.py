# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The audit's per-client and engineers' findings, from what the onboarding's modules said in check mode.

Pure functions, no AWS: playbooks/audit.yml runs the onboarding's roles in check mode with diff (the modules'
check mode is the comparison with the inventory); these functions only turn the modules' results into a
readable section and one sentence per finding. Nothing here decides what differs - a module said so.
"""

import json

# The ways a root user can sign in or call AWS, as aws_root_credentials returns them, in report order.
ROOT_CREDENTIAL_KINDS = (
    ("login_profile", "a password"),
    ("access_keys", "access key(s)"),
    ("signing_certificates", "signing certificate(s)"),
    ("mfa_devices", "MFA device(s)"),
)


def _text(value):
    """A value as one compact line: strings as they are, anything else as JSON with sorted keys."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ": "), default=str)


def diff_lines(before, after, path=""):
    """What differs between a module's ``diff.before`` and ``diff.after``, one readable line per change.

    Dicts are followed key by key (``tags.client``); lists of plain values say what is added (``+``) and
    removed (``-``); anything else reads ``path: before -> after``. A value missing on one side is ``(none)``.
    """
    if isinstance(before, dict) and isinstance(after, dict):
        lines = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in before:
                lines.append(f"{sub}: (none) -> {_text(after[key])}")
            elif key not in after:
                lines.append(f"{sub}: {_text(before[key])} -> (none)")
            else:
                lines += diff_lines(before[key], after[key], sub)
        return lines
    if before == after:
        return []
    if isinstance(before, list) and isinstance(after, list):
        if len(before) == len(after) and not (_plain_list(before) and _plain_list(after)):
            lines = []
            for index, old in enumerate(before):
                lines += diff_lines(old, after[index], f"{path}[{index}]")
            return lines
        added = [item for item in after if item not in before]
        removed = [item for item in before if item not in after]
        if added or removed:
            changes = [f"+{_text(item)}" for item in added] + [f"-{_text(item)}" for item in removed]
            return [f"{path or '(value)'}: {', '.join(changes)}"]
        return [f"{path or '(value)'}: order {_text(before)} -> {_text(after)}"]
    shown = [_text(value) if value not in (None, {}, []) else "(none)" for value in (before, after)]
    return [f"{path or '(value)'}: {shown[0]} -> {shown[1]}"]


def _plain_list(value):
    return isinstance(value, list) and all(not isinstance(item, (dict, list)) for item in value)


def drift_entry(subject, result):
    """The drift one module result shows (``{subject, actions, changes}``), or None when it would change nothing.

    ``result`` is a registered result of the onboarding's module in check mode: ``changed``, its ``diff``
    (``before``/``after``) and, when the module lists them, the calls a run would make (``changes``).
    """
    if not result or not result.get("changed"):
        return None
    diff = result.get("diff") or {}
    if isinstance(diff, list):  # a loop's or a role's several diffs
        diff = diff[0] if diff else {}
    actions = [change.get("action") for change in result.get("changes") or [] if isinstance(change, dict)]
    before, after = diff.get("before") or {}, diff.get("after") or {}
    if not before and after:
        changes = ["missing: a run would create it"]
    elif before and not after:
        changes = ["not in the inventory: a run would remove it"]
    else:
        changes = diff_lines(before, after)
    return {"subject": subject, "actions": [action for action in actions if action], "changes": changes}


def _grant_accounts(role, keep):
    """The principals of the role's open (not blocked) grants for which ``keep(grant)`` holds, sorted."""
    return sorted(
        {
            grant.get("principal") or "*"
            for grant in role.get("grants") or []
            if not grant.get("blocked") and keep(grant)
        }
    )


def foreign_trust(roles, msp_account_ids):
    """The roles that let in any account (or anyone) besides the MSP's: ``[{name, arn, principals}]``."""
    msp = {str(account) for account in msp_account_ids}
    found = []
    for role in roles or []:
        principals = _grant_accounts(role, lambda grant: grant.get("account_id") not in msp)
        if principals:
            found.append({"name": role.get("name"), "arn": role.get("arn"), "principals": principals})
    return found


def roles_without_mfa(roles, msp_account_ids, access_role_name):
    """The MSP's roles (those letting an MSP account in, but the organization's access role, which AWS makes
    without MFA) with a way in from an MSP account that demands no MFA: ``[{name, arn, principals}]``."""
    msp = {str(account) for account in msp_account_ids}
    found = []
    for role in roles or []:
        if role.get("name") == access_role_name:
            continue
        principals = _grant_accounts(
            role, lambda grant: grant.get("account_id") in msp and not grant.get("require_mfa")
        )
        if principals:
            found.append({"name": role.get("name"), "arn": role.get("arn"), "principals": principals})
    return found


def root_state(policy, result=None, reason=None):
    """The root user's state: ``{state, policy, credentials, held, reason}``.

    ``state`` is ``none`` (no credential), ``present`` or ``unknown`` (no ``result``: ``reason`` says why);
    ``held`` names the kinds of credential found ("a password", "2 access key(s)").
    """
    if not result or "root_credentials" not in result:
        why = reason or (result or {}).get("msg") or "the root user's credentials were not read"
        return {"state": "unknown", "policy": policy, "credentials": None, "held": [], "reason": why}
    credentials = result["root_credentials"]
    held = []
    for kind, label in ROOT_CREDENTIAL_KINDS:
        value = credentials.get(kind)
        if value is True:
            held.append(label)
        elif isinstance(value, list) and value:
            held.append(f"{len(value)} {label}")
    state = "present" if credentials.get("has_credentials") or held else "none"
    return {"state": state, "policy": policy, "credentials": credentials, "held": held, "reason": None}


def client_section(client, msp_account_ids):
    """One audited client's section of the report, with one sentence per finding.

    ``client``: ``host``, ``key``, ``account_id``, ``join``; ``results`` - ``[{subject, result}]``, the
    onboarding's module results in check mode; ``error`` - why the check mode stopped (or None); ``roles`` - the
    account's roles that let other accounts in (``aws_xacct_role_info``), None when they could not be read;
    ``access_role`` - the organization's access role's name; ``root_policy`` (``delete`` or ``keep``),
    ``root_result`` (``aws_root_credentials`` state=audited) and ``root_reason`` (why it was not read).
    """
    who = f"Client {client['host']} (account {client.get('account_id')})"
    drift = [
        entry
        for entry in (drift_entry(item.get("subject"), item.get("result")) for item in client.get("results") or [])
        if entry
    ]
    roles = client.get("roles")
    foreign = foreign_trust(roles, msp_account_ids)
    no_mfa = roles_without_mfa(roles, msp_account_ids, client.get("access_role"))
    root = root_state(client.get("root_policy"), client.get("root_result"), client.get("root_reason"))
    findings = [
        f"{who}: {entry['subject']} differs from the onboarding (now -> as onboarding sets it: "
        f"{'; '.join(entry['changes'] or entry['actions'])})"
        for entry in drift
    ]
    if client.get("error"):
        findings.append(
            f"{who}: the onboarding's check mode stopped, so drift past that point is unknown: {client['error']}"
        )
    if roles is None and not client.get("error"):
        findings.append(f"{who}: the account's roles could not be read, so their trust is unknown")
    findings += [
        f"{who}: role {role['arn'] or role['name']} trusts accounts other than the MSP's: "
        f"{', '.join(role['principals'])}"
        for role in foreign
    ]
    findings += [
        f"{who}: role {role['arn'] or role['name']} lets the MSP's {', '.join(role['principals'])} in without MFA"
        for role in no_mfa
    ]
    if root["state"] == "present" and root["policy"] == "delete":
        findings.append(
            f"{who}: the root user has {', '.join(root['held']) or 'credentials'} although client_root_credentials is "
            "delete (onboarding deletes them: run playbooks/onboard.yml for the client)"
        )
    return {
        "host": client["host"],
        "key": client.get("key"),
        "account_id": client.get("account_id"),
        "join": client.get("join"),
        "drift": drift,
        "error": client.get("error"),
        "roles_read": roles is not None,
        "foreign_trust": foreign,
        "no_mfa": no_mfa,
        "root": root,
        "findings": findings,
    }


def engineer_section(plan, documents=None, error=None):
    """The engineers' access in the identity account: what the onboarding would write there (the engineer_access
    role's plan in check mode), as drift entries and findings. ``documents`` are the policies' documents as read,
    to show how an edited policy differs; ``error`` why the plan could not be made."""
    documents = documents or {}
    plan = plan or {}
    drift = []
    for user in plan.get("users_to_create") or []:
        drift.append({"subject": f"engineer {user}'s IAM user", "changes": ["missing: a run would create it"]})
    for policy in plan.get("policies_to_create") or []:
        drift.append(
            {
                "subject": f"policy {policy['name']} of group {policy.get('group')}",
                "changes": ["missing or not attached: a run would create and attach it"],
            }
        )
    for group in plan.get("groups_to_converge") or []:
        changes = ["missing: a run would create it"] if group.get("create") else []
        changes += [f"member +{user}" for user in group.get("users_added") or []]
        changes += [f"member -{user}" for user in group.get("users_removed") or []]
        if not group.get("create"):
            changes += [f"policy attached +{arn}" for arn in group.get("policies_attached") or []]
        drift.append({"subject": f"group {group['name']}", "changes": changes or [f"path -> {group.get('path')}"]})
    for policy in plan.get("policies_to_update") or []:
        changes = diff_lines(documents.get(policy["name"]) or {}, policy.get("document") or {}, "document")
        drift.append({"subject": f"policy {policy['name']} of group {policy.get('group')}", "changes": changes})
    for policy in plan.get("policies_to_delete") or []:
        drift.append({"subject": f"policy {policy['name']}", "changes": ["no group needs it: a run would delete it"]})
    findings = [
        f"Engineers' access (identity account): {entry['subject']} differs from the onboarding "
        f"(now -> as onboarding sets it: {'; '.join(entry['changes'])})"
        for entry in drift
    ]
    if error:
        findings.append(f"Engineers' access (identity account): the onboarding's check mode stopped: {error}")
    return {"drift": drift, "error": error, "findings": findings}
