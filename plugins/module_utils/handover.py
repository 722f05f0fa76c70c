# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A client's handover (playbooks/handover.yml): its input rules, where the account stands, the steps and their
statuses, the report's data and the client's next steps. Pure: the AWS calls are the modules' and roles'.

The steps, in order, are :data:`STEPS`. Their names are stable: the report (``handover.json``) lists them, and a
re-run after a failure continues from what the report and AWS say.
"""

import json

from ansible_collections.msp.aws_accounts.plugins.module_utils.alternate_contacts import (
    CONTACT_TYPES,
    desired_contacts,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput
from ansible_collections.msp.aws_accounts.plugins.module_utils.validation import (
    account_id_problem,
    email_problem,
)

# (name, what it does, the AWS actions it writes with). Steps after root_email wait for the client's code.
STEPS = (
    ("preflight", "check that the account is a member, not one of the MSP's own, and list what will change", ()),
    (
        "root_email",
        "hand the root email to the client (a one-time code to the new address, then given back)",
        ("account:StartPrimaryEmailUpdate", "account:AcceptPrimaryEmailUpdate"),
    ),
    (
        "alternate_contacts",
        "replace the alternate contacts by the client's, remove the others",
        ("account:PutAlternateContact", "account:DeleteAlternateContact"),
    ),
    (
        "cross_account_roles",
        "delete every role that lets an MSP account in, except the access role",
        ("sts:AssumeRole", "iam:DetachRolePolicy", "iam:DeleteRolePolicy", "iam:DeleteRole"),
    ),
    (
        "engineer_access",
        "take the account out of the engineers' group policies in the identity account",
        (
            "iam:CreatePolicyVersion",
            "iam:DeletePolicyVersion",
            "iam:AttachGroupPolicy",
            "iam:DetachGroupPolicy",
            "iam:DeletePolicy",
        ),
    ),
    ("switch_role_links", "remove the client from the published switch-role links (files only)", ()),
    (
        "root_recovery",
        'let the root password be recovered through "Forgot password?"',
        ("sts:AssumeRoot", "iam:CreateLoginProfile"),
    ),
    (
        "leave_organization",
        "remove the account from the organization",
        ("organizations:RemoveAccountFromOrganization",),
    ),
    (
        "access_role",
        "make the organization's access role trust only the client's account, then delete it, through the session "
        "opened before leaving",
        ("iam:UpdateAssumeRolePolicy", "iam:DetachRolePolicy", "iam:DeleteRolePolicy", "iam:DeleteRole"),
    ),
    ("verify", "prove that no role of the account trusts an MSP account", ()),
)
STEP_NAMES = tuple(step[0] for step in STEPS)
# The steps that wait until AWS took the client's one-time code: they cut the MSP off.
AFTER_ROOT_EMAIL = STEP_NAMES[STEP_NAMES.index("cross_account_roles") :]
STATUSES = ("done", "already", "pending", "skipped", "failed")
FINISHED = ("done", "already", "skipped")
OTP_LENGTH = 6
# AWS's refusal of a call for want of permission (IAM answers the first, most other services the second).
ACCESS_DENIED = ("AccessDenied", "AccessDeniedException")
# What became of the access role (the report's ``removed.access_role.state``).
ACCESS_ROLE_DELETED = "deleted"
ACCESS_ROLE_LEFT = "left_without_msp_trust"
ACCESS_ROLE_LEFT_BARE = "left_without_msp_trust_and_policies"


def input_problems(new_root_email, confirm, otp, contacts, msp_root_emails=()):
    """Every problem of the handover's extra variables, each naming the variable; [] when all are fine."""
    problems = []
    if new_root_email in (None, ""):
        problems.append("new_root_email: give the client's own address for the account's root user")
    else:
        problem = email_problem(new_root_email)
        if problem:
            problems.append(f"new_root_email: {new_root_email!r} {problem}")
        elif new_root_email.lower() in {email.lower() for email in msp_root_emails if email}:
            problems.append(
                f"new_root_email: {new_root_email} is the MSP's root email for the account, not the client's"
            )
    if confirm not in (None, ""):
        problem = account_id_problem(str(confirm))
        if problem:
            problems.append(f"handover_confirm: must be the account id (12 digits) to hand over, not {confirm!r}")
    if otp not in (None, ""):
        code = str(otp).strip()
        if len(code) != OTP_LENGTH or not code.isalnum() or not code.isascii():
            problems.append(f"root_email_otp: must be the {OTP_LENGTH}-character code AWS mailed to new_root_email")
        if confirm in (None, ""):
            problems.append("root_email_otp: only used with handover_confirm (the account id)")
    if contacts is not None:
        if not isinstance(contacts, dict):
            problems.append(
                "handover_alternate_contacts: must be a dict with billing, operations and/or security (on the "
                'command line as JSON: -e \'{"handover_alternate_contacts": {"billing": {...}}}\')'
            )
        else:
            unknown = sorted(set(contacts) - {kind.lower() for kind in CONTACT_TYPES})
            if unknown:
                problems.append(
                    f"handover_alternate_contacts: unknown contact type(s) {', '.join(unknown)}; "
                    "use billing, operations, security"
                )
            try:
                desired_contacts(contacts, "handover_alternate_contacts")
            except InvalidInput as e:
                problems.append(f"{e.option}: {e.rule}")
    return problems


def desired_alternate_contacts(contacts):
    """The aws_member_account ``alternate_contacts`` of a handover: each type given set, every other removed."""
    given = contacts or {}
    return {kind.lower(): given.get(kind.lower()) or {} for kind in CONTACT_TYPES}


def locate(accounts, previous, confirm, management_account_id, msp_account_ids, emails=(), account_ids=()):
    """Where the client's account stands, from the organization's accounts (aws_member_account_info's, those
    with one of ``emails`` - its MSP root email, the new root email - or ``account_ids`` are the client's) and the
    previous report (``{}`` when none).

    Returns ``{"account": the member or None, "account_id", "state", "problem"}``; ``state`` is ``member``,
    ``completed`` (the handover is done: not a member and the previous report says completed) or ``left`` (not
    a member, the previous report says it left the organization: a run continues after it).
    """
    wanted_emails = {email.lower() for email in emails if email}
    wanted_ids = {str(account_id) for account_id in account_ids if account_id not in (None, "")}
    previous_id = (previous or {}).get("account_id")
    if previous_id and (previous or {}).get("status") != "plan":
        wanted_ids.add(str(previous_id))
    accounts = [
        account
        for account in accounts or []
        if (account.get("email") or "").lower() in wanted_emails or account["id"] in wanted_ids
    ]
    found = {account["id"]: account for account in accounts or []}
    previous = previous or {}
    confirm = str(confirm) if confirm not in (None, "") else None
    result = {"account": None, "account_id": None, "state": None, "problem": None}
    if len(found) > 1:
        result["problem"] = (
            f"more than one account of the organization matches the client ({', '.join(sorted(found))}): "
            "check its root email and account id in the inventory"
        )
        return result
    if found:
        account = next(iter(found.values()))
        result.update(account=account, account_id=account["id"], state="member")
        msp_ids = {str(i) for i in msp_account_ids or []} | {str(management_account_id)}
        if account["id"] in msp_ids:
            result["problem"] = f"account {account['id']} is one of the MSP's own accounts and cannot be handed over"
        elif account.get("state") not in (None, "ACTIVE"):
            result["problem"] = f"account {account['id']} is {account['state']}, not ACTIVE: it cannot be handed over"
        elif confirm and confirm != account["id"]:
            result["problem"] = (
                f"handover_confirm is {confirm}, but the client's account is {account['id']}: "
                "give the account id of the client to hand over"
            )
        return result
    steps = {step.get("name"): step.get("status") for step in previous.get("steps") or []}
    if previous_id and previous.get("status") == "completed":
        result.update(account_id=previous_id, state="completed")
    elif previous_id and (steps.get("leave_organization") in FINISHED or previous.get("status") != "plan"):
        # A confirmed handover of this account ran before and the account is no longer a member: it left, even if
        # that run did not live to record it (a lost answer to RemoveAccountFromOrganization, a killed run). The
        # run continues, so the access role, which still trusts the management account, is not forgotten.
        result.update(account_id=previous_id, state="left")
        if confirm and confirm != previous_id:
            result["problem"] = f"handover_confirm is {confirm}, but the account being handed over is {previous_id}"
    else:
        result["problem"] = (
            "the client's account is not a member of the organization (no account has its root email or id), and "
            "no report of a handover of it exists in the output directory: nothing to hand over"
        )
    return result


def root_email_status(result, left=False):
    """The root_email step's status from aws_account_primary_email's ``primary_email`` (None: not run)."""
    if result is None:
        return "already" if left else "pending"
    if result.get("state") == "pending":
        return "pending"
    return "done" if result.get("changed") else "already"


def policies_naming(documents, account_id):
    """The names of the policies (``{name: document}``) whose document names ``account_id``, sorted."""
    return sorted(name for name, document in (documents or {}).items() if str(account_id) in json.dumps(document))


def roles_to_remove(roles, access_role_name):
    """The roles (aws_xacct_role_info's) that let an MSP account in, except the access role, as
    ``[{"name", "path", "arn"}]`` sorted by name."""
    return sorted(
        (
            {"name": role["name"], "path": role.get("path", "/"), "arn": role.get("arn")}
            for role in roles or []
            if role["name"] != access_role_name
        ),
        key=lambda role: role["name"],
    )


def access_denied(result):
    """Whether a module's registered result is AWS's AccessDenied (its ``error.code``, else its message): the
    result of a failure, also when ``failed_when`` let it pass."""
    if not result:
        return False
    code = (result.get("error") or {}).get("code")
    if code:
        return code in ACCESS_DENIED
    return bool(result.get("failed")) and any(f"({denied})" in (result.get("msg") or "") for denied in ACCESS_DENIED)


def _failed(result):
    return bool(result) and (bool(result.get("failed")) or access_denied(result))


def _ran(result):
    return bool(result) and not result.get("skipped")


def _access_role_record(name, state, trusts):
    if state == ACCESS_ROLE_DELETED:
        detail = f"{name} deleted"
    elif state == ACCESS_ROLE_LEFT_BARE:
        detail = f"{name} left without MSP trust and without policies: it trusts only {trusts} (with MFA)"
    else:
        detail = (
            f"{name} left without MSP trust: it trusts only {trusts} (with MFA), but keeps some or all of its policies"
        )
    record = {"name": name, "state": state, "detail": detail}
    if state != ACCESS_ROLE_DELETED:
        record["trusts"] = trusts
    return record


def access_role_outcome(name, trusts, trust=None, policies=None, delete=None, connected=True, previous=None):
    """What the access_role step did, from the registered results of its three aws_xacct_role calls, in order:
    ``trust`` (the role made to trust only ``trusts``, the client's own account), ``policies`` (its policies
    removed) and ``delete`` (the role deleted). A call not run is None or skipped. ``connected``: the session
    through the role was opened; ``previous``: the previous report's ``removed.access_role`` (``{}`` when none).

    Once the role trusts no MSP account, AWS refusing the rest (AccessDenied: in AWS, the session loses its
    rights with the role's policies) is the expected end: the role is left to the client. Any other failure is
    a problem. Returns ``{"status", "detail", "record" (the report's removed.access_role, or None),
    "deleted" (this run deleted the role), "problem" (the failure's message, or None)}``.
    """
    outcome = {"status": "already", "detail": "", "record": None, "deleted": False, "problem": None}
    if not _ran(trust):
        record = previous or None
        outcome["record"] = record
        if record:
            outcome["detail"] = record.get("detail") or name
        elif connected:
            outcome["detail"] = f"{name} trusts no MSP account any more, or is gone"
        else:
            outcome["detail"] = (
                f"AWS refuses the management account {name}: it was deleted, or trusts no MSP account any more"
            )
        return outcome
    if _failed(trust):
        outcome.update(status="failed", problem=f"{name} still trusts the MSP: {trust.get('msg') or 'unknown error'}")
        outcome["detail"] = outcome["problem"]
        return outcome
    if not _ran(policies) or _failed(policies):
        state, failure = ACCESS_ROLE_LEFT, policies
    elif not _ran(delete) or _failed(delete):
        state, failure = ACCESS_ROLE_LEFT_BARE, delete
    else:
        state, failure = ACCESS_ROLE_DELETED, None
    record = _access_role_record(name, state, trusts)
    outcome.update(status="done", record=record, deleted=state == ACCESS_ROLE_DELETED, detail=record["detail"])
    if state != ACCESS_ROLE_DELETED:
        action = "its deletion" if state == ACCESS_ROLE_LEFT_BARE else "the removal of its policies"
        message = (failure or {}).get("msg") or "not run"
        if access_denied(failure):
            outcome["detail"] += (
                f"; AWS refused {action} ({message}): the client deletes it after signing in as the root user"
            )
        else:
            outcome.update(status="failed", problem=f"{record['detail']}; {action} failed: {message}")
            outcome["detail"] = outcome["problem"]
    return outcome


def next_steps(status, new_root_email, account_id, waiting_step=None, access_role=None):
    """What the client (or the MSP's engineer) does next."""
    if status == "plan":
        return [
            f"Run again with -e handover_confirm={account_id} -e new_root_email={new_root_email} to hand the account "
            "over; AWS then mails a one-time code to the new root email.",
        ]
    if status == "waiting_for_root_email_code":
        return [
            f"The client reads the one-time code AWS mailed to {new_root_email} (valid for 24 hours).",
            f"Run again with -e handover_confirm={account_id} -e new_root_email={new_root_email} "
            "-e root_email_otp=<the code> to finish the handover.",
        ]
    if status == "failed":
        return [
            f"Fix what stopped step {waiting_step} (see the detail), then run the handover again: it continues "
            "where it stopped.",
        ]
    left = []
    if (access_role or {}).get("state") in (ACCESS_ROLE_LEFT, ACCESS_ROLE_LEFT_BARE):
        left = [
            f"Signed in as the root user, delete the IAM role {access_role['name']}: the MSP could not delete it "
            f"(AWS refused it once the role's permissions were gone). It trusts only your own account "
            f"({access_role.get('trusts')}), not the MSP.",
        ]
    return [
        f'Sign in as the root user with {new_root_email}: choose "Forgot password?" on the root user sign-in page '
        "and set a new password.",
        "Enable MFA for the root user at once.",
        *left,
        "Check billing: add or confirm the payment method, the billing contact and the tax settings; the account "
        "is now billed on its own.",
        "Review the account's IAM users, roles and policies, and remove anything you do not want.",
    ]


def report(data):
    """The handover report (the JSON) from what the run gathered.

    ``data``: ``client``, ``key``, ``name``, ``account_id``, ``mode`` (``plan`` or ``run``), ``steps``
    (``{name: {"status", "detail"}}`` of this run), ``previous`` (the previous report or ``{}``), ``root_email``
    ({current, requested, state}), ``removed`` ({roles, engineer_policies, links}), ``account`` (its state).
    """
    this_run = data.get("steps") or {}
    before = {step["name"]: step for step in (data.get("previous") or {}).get("steps") or [] if "name" in step}
    steps = []
    for name, what, actions in STEPS:
        step = this_run.get(name)
        earlier = before.get(name, {}) if data.get("mode") != "plan" else {}
        # What an earlier run did stands: this run found it done, or could no longer look (the account left).
        if earlier.get("status") in FINISHED and (
            step is None or (step["status"] == "already" and earlier["status"] == "done")
        ):
            step = {"status": earlier["status"], "detail": earlier.get("detail", "")}
        step = step or {"status": "pending", "detail": ""}
        steps.append(
            {
                "name": name,
                "what": what,
                "aws_actions": list(actions),
                "status": step["status"],
                "detail": step.get("detail") or "",
            }
        )
    failed = [step["name"] for step in steps if step["status"] == "failed"]
    if data.get("mode") == "plan":
        status = "plan"
    elif failed:
        status = "failed"
    elif next(step for step in steps if step["name"] == "root_email")["status"] == "pending":
        status = "waiting_for_root_email_code"
    elif all(step["status"] in FINISHED for step in steps):
        status = "completed"
    else:
        status = "failed"
        failed = [next(step["name"] for step in steps if step["status"] not in FINISHED)]
    removed = data.get("removed") or {}
    previous_removed = (data.get("previous") or {}).get("removed") or {}
    merged = {}
    for kind in ("roles", "engineer_policies", "links"):
        merged[kind] = sorted(set(previous_removed.get(kind) or []) | set(removed.get(kind) or []))
    # What became of the access role: this run's word, else the previous run's; None until the step ran.
    merged["access_role"] = removed.get("access_role") or previous_removed.get("access_role") or None
    return {
        "client": data.get("client"),
        "key": data.get("key"),
        "name": data.get("name"),
        "account_id": data.get("account_id"),
        "status": status,
        "failed_step": failed[0] if failed else None,
        "steps": steps,
        "root_email": data.get("root_email") or {},
        "alternate_contacts": data.get("alternate_contacts"),
        "removed": merged,
        "account": data.get("account") or {},
        "next_steps": next_steps(
            status,
            (data.get("root_email") or {}).get("requested"),
            data.get("account_id"),
            failed[0] if failed else None,
            merged["access_role"],
        ),
    }
