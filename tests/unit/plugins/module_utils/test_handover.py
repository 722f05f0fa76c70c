"""A handover's pure logic: its input rules, where the account stands, the steps' statuses and the report
(handover.py)."""

import pytest

from ansible_collections.msp.aws_accounts.plugins.module_utils import handover

ACME = "210987654321"
MANAGEMENT = "123456789012"
MSP_EMAIL = "awsaccounts+acme@msp.example"
SEC = {"name": "Sec Desk", "title": "Security", "email": "sec@acme.example", "phone": "+1 555 0102"}
MEMBER = {"id": ACME, "email": MSP_EMAIL, "state": "ACTIVE", "joined_method": "CREATED"}


def steps(**statuses):
    return [{"name": name, "status": status, "detail": name} for name, status in statuses.items()]


PROBLEMS = {
    "all-fine": (("it@acme.example", ACME, "123456", {"security": SEC}), []),
    "plan-only": (("it@acme.example", None, None, None), []),
    "no-email": ((None, ACME, None, None), ["new_root_email: give the client's own address"]),
    "bad-email": (("it@acme", None, None, None), ["new_root_email: 'it@acme' must have a dotted domain"]),
    "msp-email": ((MSP_EMAIL.upper(), None, None, None), ["new_root_email: AWSACCOUNTS+ACME@MSP.EXAMPLE is the MSP's"]),
    "bad-confirm": (("it@acme.example", "acme", None, None), ["handover_confirm: must be the account id"]),
    "short-code": (("it@acme.example", ACME, "12", None), ["root_email_otp: must be the 6-character code"]),
    "code-without-confirm": (("it@acme.example", None, "123456", None), ["root_email_otp: only used with"]),
    "contacts-not-dict": (("it@acme.example", None, None, ["x"]), ["handover_alternate_contacts: must be a dict"]),
    "contact-type-unknown": (
        ("it@acme.example", None, None, {"legal": SEC}),
        ["handover_alternate_contacts: unknown contact type(s) legal"],
    ),
    "contact-incomplete": (
        ("it@acme.example", None, None, {"billing": {"name": "B"}}),
        ["handover_alternate_contacts.billing: give name, title, email and phone"],
    ),
}


@pytest.mark.parametrize(("args", "expected"), PROBLEMS.values(), ids=PROBLEMS.keys())
def test_input_problems_name_the_variable(args, expected):
    problems = handover.input_problems(*args, msp_root_emails=[MSP_EMAIL])
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start), problem


def test_the_contacts_given_are_set_and_the_others_removed():
    assert handover.desired_alternate_contacts({"security": SEC}) == {"billing": {}, "operations": {}, "security": SEC}
    assert handover.desired_alternate_contacts(None) == {"billing": {}, "operations": {}, "security": {}}


LOCATE = {
    "member-by-email": (([MEMBER], {}, None), {"state": "member", "account_id": ACME, "problem": None}),
    "member-confirmed": (([MEMBER], {}, ACME), {"state": "member", "account_id": ACME, "problem": None}),
    "wrong-confirm": (
        ([MEMBER], {}, "111122223333"),
        {"state": "member", "problem": "handover_confirm is 111122223333"},
    ),
    "management": (
        ([dict(MEMBER, id=MANAGEMENT)], {}, None),
        {"state": "member", "problem": f"account {MANAGEMENT} is one of the MSP's own accounts"},
    ),
    "suspended": (([dict(MEMBER, state="SUSPENDED")], {}, None), {"problem": f"account {ACME} is SUSPENDED"}),
    "two-accounts": (
        ([MEMBER, dict(MEMBER, id="333344445555", email="it@acme.example")], {}, None),
        {"state": None, "problem": "more than one account"},
    ),
    "completed": (
        ([], {"account_id": ACME, "status": "completed"}, ACME),
        {"state": "completed", "account_id": ACME, "problem": None},
    ),
    "left-earlier": (
        ([], {"account_id": ACME, "status": "failed", "steps": steps(leave_organization="done")}, None),
        {"state": "left", "account_id": ACME, "problem": None},
    ),
    "left-wrong-confirm": (
        ([], {"account_id": ACME, "status": "failed", "steps": steps(leave_organization="done")}, "111122223333"),
        {"state": "left", "problem": "handover_confirm is 111122223333"},
    ),
    # The answer to RemoveAccountFromOrganization was lost (or the run killed) before the report said it left.
    "left-unrecorded-failed-leave": (
        ([], {"account_id": ACME, "status": "failed", "steps": steps(leave_organization="failed")}, ACME),
        {"state": "left", "account_id": ACME, "problem": None},
    ),
    "left-unrecorded-killed": (
        ([], {"account_id": ACME, "status": "waiting_for_root_email_code", "steps": steps()}, ACME),
        {"state": "left", "account_id": ACME, "problem": None},
    ),
    "gone-without-report": (([], {}, ACME), {"state": None, "problem": "the client's account is not a member"}),
    "gone-plan-report": (
        ([], {"account_id": ACME, "status": "plan"}, ACME),
        {"problem": "the client's account is not"},
    ),
    "other-accounts-ignored": (
        ([dict(MEMBER, id="999988887777", email="other@msp.example")], {}, None),
        {"problem": "the client's account is not a member"},
    ),
}


@pytest.mark.parametrize(("args", "expected"), LOCATE.values(), ids=LOCATE.keys())
def test_locate(args, expected):
    accounts, previous, confirm = args
    found = handover.locate(
        accounts, previous, confirm, MANAGEMENT, [MANAGEMENT], [MSP_EMAIL, "it@acme.example"], [confirm]
    )
    for key, value in expected.items():
        if key == "problem" and value is not None:
            assert found["problem"] and found["problem"].startswith(value), found
        else:
            assert found[key] == value, found


ROOT_EMAIL = {
    "not-run": ((None, False), "pending"),
    "left": ((None, True), "already"),
    "code-sent": (({"state": "pending", "changed": True}, False), "pending"),
    "accepted": (({"state": "accepted", "changed": True}, False), "done"),
    "updated-before": (({"state": "updated", "changed": False}, False), "already"),
}


@pytest.mark.parametrize(("args", "expected"), ROOT_EMAIL.values(), ids=ROOT_EMAIL.keys())
def test_root_email_status(args, expected):
    assert handover.root_email_status(*args) == expected


def test_roles_to_remove_keep_the_access_role_for_last():
    roles = [
        {"name": "OrganizationAccountAccessRole", "path": "/", "arn": "arn:r/OrganizationAccountAccessRole"},
        {"name": "MspEngineer", "path": "/msp/", "arn": "arn:r/msp/MspEngineer"},
        {"name": "MspAdmin", "path": "/msp/", "arn": "arn:r/msp/MspAdmin"},
    ]
    assert [role["name"] for role in handover.roles_to_remove(roles, "OrganizationAccountAccessRole")] == [
        "MspAdmin",
        "MspEngineer",
    ]


def test_policies_naming_the_account():
    documents = {"b": {"Resource": f"arn:aws:iam::{ACME}:role/x"}, "a": {"Resource": "arn:aws:iam::1:role/x"}}
    assert handover.policies_naming(documents, ACME) == ["b"]
    assert handover.policies_naming(None, ACME) == []


def run(mode="run", previous=None, **statuses):
    return handover.report(
        {
            "client": "acme",
            "key": "acme",
            "account_id": ACME,
            "mode": mode,
            "previous": previous or {},
            "steps": {name: {"status": status, "detail": "now"} for name, status in statuses.items()},
            "root_email": {"current": MSP_EMAIL, "requested": "it@acme.example", "state": "pending"},
            "removed": {"roles": ["/msp/MspAdmin"]},
        }
    )


ALL_DONE = dict.fromkeys(handover.STEP_NAMES, "done")
REPORTS = {
    "plan": ({"mode": "plan"}, "plan", None),
    "waiting": (
        {"preflight": "done", "root_email": "pending", "alternate_contacts": "done"},
        "waiting_for_root_email_code",
        None,
    ),
    "completed": (ALL_DONE, "completed", None),
    "failed-step": (dict(ALL_DONE, leave_organization="failed", access_role="pending"), "failed", "leave_organization"),
    "stopped-without-failure": (dict(ALL_DONE, verify="pending"), "failed", "verify"),
}


@pytest.mark.parametrize(("statuses", "status", "failed_step"), REPORTS.values(), ids=REPORTS.keys())
def test_report_status(statuses, status, failed_step):
    data = run(**statuses)
    assert data["status"] == status
    assert data["failed_step"] == failed_step
    assert [step["name"] for step in data["steps"]] == list(handover.STEP_NAMES)
    assert data["next_steps"]


def test_a_resumed_run_keeps_what_earlier_runs_did():
    previous = {
        "account_id": ACME,
        "status": "failed",
        "steps": steps(preflight="done", root_email="done", cross_account_roles="done", leave_organization="done"),
        "removed": {"roles": ["/msp/MspEngineer"], "links": ["clients/acme"]},
    }
    data = run(previous=previous, preflight="already", cross_account_roles="already", access_role="done")
    by_name = {step["name"]: step for step in data["steps"]}
    # An earlier 'done' stands over this run's 'already', and steps this run could not look at keep theirs.
    assert by_name["cross_account_roles"] == dict(
        by_name["cross_account_roles"], status="done", detail="cross_account_roles"
    )
    assert by_name["root_email"]["status"] == "done"
    assert by_name["leave_organization"]["status"] == "done"
    assert by_name["access_role"]["detail"] == "now"
    assert data["removed"] == {
        "roles": ["/msp/MspAdmin", "/msp/MspEngineer"],
        "links": ["clients/acme"],
        "engineer_policies": [],
        "access_role": None,
    }


def test_a_plan_ignores_the_previous_report():
    previous = {
        "account_id": ACME,
        "status": "waiting_for_root_email_code",
        "steps": steps(root_email="pending", preflight="done"),
    }
    data = run(mode="plan", previous=previous)
    assert {step["status"] for step in data["steps"]} == {"pending"}


@pytest.mark.parametrize("status", ["plan", "waiting_for_root_email_code", "failed", "completed"])
def test_next_steps(status):
    lines = handover.next_steps(status, "it@acme.example", ACME, "verify")
    assert lines
    if status == "completed":
        assert "Forgot password?" in lines[0] and any("MFA" in line for line in lines)
    if status in ("plan", "waiting_for_root_email_code"):
        assert f"-e handover_confirm={ACME}" in " ".join(lines)


# --- the access role: deleted, or left to the client without MSP trust ------------------------------------

ROLE = "OrganizationAccountAccessRole"
CLIENT_ROOT = f"arn:aws:iam::{ACME}:root"
OK = {"changed": True, "failed": False}
SKIPPED = {"changed": False, "skipped": True}


def denied(code="AccessDenied", failed=False):
    """A refusal as registered: ``failed_when`` lets AccessDenied pass (failed False), the error stays."""
    return {
        "changed": False,
        "failed": failed,
        "error": {"code": code},
        "msg": f"Failed to DeleteRole for role {ROLE}: An error occurred ({code}) when calling DeleteRole",
    }


OTHER = {"changed": False, "failed": True, "error": {"code": "ServiceFailure"}, "msg": "Failed to DeleteRole: boom"}

ACCESS_DENIED = {
    "nothing": (None, False),
    "ok": (OK, False),
    "denied": (denied(), True),
    "denied-failed": (denied(failed=True), True),
    "denied-exception": (denied("AccessDeniedException"), True),
    "other": (OTHER, False),
    "message-only": ({"failed": True, "msg": "An error occurred (AccessDenied) when calling GetRole"}, True),
    "message-not-failed": ({"failed": False, "msg": "An error occurred (AccessDenied)"}, False),
}


@pytest.mark.parametrize(("result", "expected"), ACCESS_DENIED.values(), ids=ACCESS_DENIED.keys())
def test_access_denied(result, expected):
    assert handover.access_denied(result) is expected


# (trust, policies, delete) -> (status, state of removed.access_role or None, deleted, problem starts with)
ACCESS_ROLE_OUTCOMES = {
    "deleted": ((OK, OK, OK), ("done", "deleted", True, None)),
    "delete-refused": ((OK, OK, denied()), ("done", "left_without_msp_trust_and_policies", False, None)),
    "delete-refused-exception": (
        (OK, OK, denied("AccessDeniedException")),
        ("done", "left_without_msp_trust_and_policies", False, None),
    ),
    "detach-refused": ((OK, denied(), SKIPPED), ("done", "left_without_msp_trust", False, None)),
    "delete-failed": ((OK, OK, OTHER), ("failed", "left_without_msp_trust_and_policies", False, ROLE)),
    "detach-failed": ((OK, OTHER, None), ("failed", "left_without_msp_trust", False, ROLE)),
    "trust-refused": ((denied(failed=True), None, None), ("failed", None, False, f"{ROLE} still trusts the MSP")),
    "trust-failed": ((OTHER, None, None), ("failed", None, False, f"{ROLE} still trusts the MSP")),
}


@pytest.mark.parametrize(("results", "expected"), ACCESS_ROLE_OUTCOMES.values(), ids=ACCESS_ROLE_OUTCOMES.keys())
def test_access_role_outcome(results, expected):
    outcome = handover.access_role_outcome(ROLE, CLIENT_ROOT, *results)
    status, state, deleted, problem = expected
    assert outcome["status"] == status, outcome
    assert (outcome["record"] or {}).get("state") == state, outcome
    assert outcome["deleted"] is deleted
    if problem:
        assert outcome["problem"].startswith(problem), outcome
        assert outcome["detail"] == outcome["problem"]
    else:
        assert outcome["problem"] is None, outcome
    if state and state != "deleted":
        # Left: the report says whom it trusts, and (when AWS refused) who deletes it.
        assert outcome["record"]["trusts"] == CLIENT_ROOT
        assert CLIENT_ROOT in outcome["detail"]
        if status == "done":
            assert "AWS refused" in outcome["detail"] and "root user" in outcome["detail"], outcome
    if state == "left_without_msp_trust":
        assert "keeps some or all of its policies" in outcome["record"]["detail"]
    if state == "left_without_msp_trust_and_policies":
        assert "without policies" in outcome["record"]["detail"]


LEFT = {"name": ROLE, "state": "left_without_msp_trust_and_policies", "trusts": CLIENT_ROOT, "detail": "left"}
NOT_REACHED = {
    # The session was refused (the account left, the role gone or trusting only the client): the previous word stands.
    "refused-after-left": ((None, False, LEFT), ("already", LEFT, "left")),
    "refused-no-record": ((None, False, None), ("already", None, "AWS refuses the management account")),
    "skipped-no-record": ((SKIPPED, False, None), ("already", None, "AWS refuses the management account")),
    "connected-not-listed": ((SKIPPED, True, None), ("already", None, f"{ROLE} trusts no MSP account any more")),
}


@pytest.mark.parametrize(("args", "expected"), NOT_REACHED.values(), ids=NOT_REACHED.keys())
def test_access_role_outcome_without_the_role(args, expected):
    trust, connected, previous = args
    outcome = handover.access_role_outcome(ROLE, CLIENT_ROOT, trust, connected=connected, previous=previous)
    status, record, detail = expected
    assert outcome["status"] == status and outcome["record"] == record and not outcome["deleted"], outcome
    assert outcome["detail"].startswith(detail), outcome
    assert outcome["problem"] is None


def test_a_left_access_role_is_in_the_report_and_the_next_steps():
    data = handover.report(
        {
            "account_id": ACME,
            "mode": "run",
            "steps": {name: {"status": "done", "detail": "now"} for name in handover.STEP_NAMES},
            "root_email": {"requested": "it@acme.example"},
            "removed": {"roles": ["/msp/MspAdmin"], "access_role": LEFT},
        }
    )
    assert data["status"] == "completed"
    assert data["removed"]["access_role"] == LEFT and ROLE not in data["removed"]["roles"]
    deleting = [line for line in data["next_steps"] if f"delete the IAM role {ROLE}" in line]
    assert len(deleting) == 1 and CLIENT_ROOT in deleting[0], data["next_steps"]
    # After the root user's password is reset.
    assert "Forgot password?" in data["next_steps"][0]


def test_a_re_run_keeps_the_previous_word_on_the_access_role():
    previous = {"account_id": ACME, "status": "failed", "steps": [], "removed": {"access_role": LEFT}}
    data = run(previous=previous, **dict.fromkeys(handover.STEP_NAMES, "already"))
    assert data["removed"]["access_role"] == LEFT
    assert any(ROLE in line for line in data["next_steps"])


def test_a_deleted_access_role_needs_no_next_step():
    deleted = {"name": ROLE, "state": "deleted", "detail": f"{ROLE} deleted"}
    lines = handover.next_steps("completed", "it@acme.example", ACME, access_role=deleted)
    assert not any(ROLE in line for line in lines)
