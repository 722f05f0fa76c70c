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
