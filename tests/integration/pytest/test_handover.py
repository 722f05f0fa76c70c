"""playbooks/handover.yml against the sandbox: acme, onboarded by playbooks/onboard.yml, handed over.

One module-scoped organization (onboarding takes a minute); the tests run in file order: bad input and the plan
first (nothing written), then the whole handover - run 1 mails the code and stops, run 2 with the code completes,
run 3 changes nothing. Each run's AWS calls come from the sandbox's call log.

Run 2 meets the access role as real AWS answers it: once the role's policies are detached, its own session may no
longer delete it (the sandbox evaluates no identity policies, so DeleteRole's AccessDenied is injected). The
handover completes with the role left trusting only acme's own account (MFA), without policies, and says so. The
role deleted outright is the molecule scenario's and test_handover_faults.py's path.
"""

import json
import re

import pytest
from botocore.exceptions import ClientError
from conftest import run_playbook

from ansible_collections.msp.aws_accounts.plugins.module_utils.handover import STEP_NAMES
from msp_sandbox.pytest_fixtures import Aws

ACCESS_ROLE = "OrganizationAccountAccessRole"
LEFT_BARE = "left_without_msp_trust_and_policies"
NEW_ROOT_EMAIL = "it@acme.example"
MSP_ROOT_EMAIL = "awsaccounts+acme@msp.example"
MANAGEMENT = "123456789012"


@pytest.fixture(scope="module")
def acme(sandbox_client, sandbox_endpoint, tmp_path_factory):
    """acme onboarded: ``{"id", "world", "dir"}``; the handover runs share ``dir`` (links and reports)."""
    sandbox_client.reset()
    world = sandbox_client.world()
    shared = tmp_path_factory.mktemp("handover")
    rc, output = run_playbook("onboard.yml", shared, sandbox_endpoint, "-e", "client=acme")
    assert rc == 0, output[-4000:]
    org = Aws(sandbox_endpoint, world).management("organizations")
    accounts = {account["Email"]: account["Id"] for account in org.list_accounts()["Accounts"]}
    return {"id": accounts[MSP_ROOT_EMAIL], "world": world, "dir": shared}


def handover(sandbox_client, endpoint, acme, *args):
    """Run the handover for acme; ``(rc, output, handover.json or {}, the run's call-log summary)``."""
    mark = sandbox_client.mark()
    rc, output = run_playbook(
        "handover.yml",
        acme["dir"],
        endpoint,
        "-e",
        "client=acme",
        *args,
        env={"MSP_HANDOVER_DIR": str(acme["dir"] / "reports")},
    )
    report = acme["dir"] / "reports" / "acme" / "handover.json"
    data = json.loads(report.read_text()) if report.exists() else {}
    return rc, output, data, sandbox_client.call_summary(since=mark)


def delete_role_fault(account_id, code):
    return {
        "service": "iam",
        "action": "DeleteRole",
        "account": account_id,
        "params": {"RoleName": ACCESS_ROLE},
        "error_code": code,
        "status": 403 if code == "AccessDenied" else 400,
        "message": "injected by test_handover",
    }


def access_role(sandbox_client, endpoint, world, account_id):
    """The access role as it is: AssumeRole from the management account must be refused (it trusts no MSP
    account); it is then read without trust enforcement. ``{"trust", "managed", "inline"}``."""
    aws = Aws(endpoint, world)
    arn = f"arn:aws:iam::{account_id}:role/{ACCESS_ROLE}"
    with pytest.raises(ClientError, match="AccessDenied"):
        aws.management("sts").assume_role(RoleArn=arn, RoleSessionName="test-handover-access-role")
    sandbox_client.configure(trust_enforcement=False)
    try:
        session = aws.management("sts").assume_role(RoleArn=arn, RoleSessionName="test-handover-access-role")
        iam = aws.client("iam", Aws.assumed(session))
        role = iam.get_role(RoleName=ACCESS_ROLE)["Role"]
        return {
            "trust": role["AssumeRolePolicyDocument"],
            "managed": iam.list_attached_role_policies(RoleName=ACCESS_ROLE)["AttachedPolicies"],
            "inline": iam.list_role_policies(RoleName=ACCESS_ROLE)["PolicyNames"],
        }
    finally:
        sandbox_client.configure(trust_enforcement=True)


def assert_left_to_the_client(role, account_id):
    statements = role["trust"]["Statement"]
    principals = [statement["Principal"]["AWS"] for statement in statements]
    assert principals in ([f"arn:aws:iam::{account_id}:root"], [account_id]), role["trust"]
    assert all(str(s["Condition"]["Bool"]["aws:MultiFactorAuthPresent"]).lower() == "true" for s in statements), role[
        "trust"
    ]
    assert role["managed"] == [] and role["inline"] == [], role


def recap_changed(output):
    return sum(int(n) for n in re.findall(r"changed=(\d+)", output.split("PLAY RECAP")[-1]))


def test_bad_input_fails_before_any_aws_call(acme, sandbox_client, sandbox_endpoint):
    rc, output, _report, calls = handover(
        sandbox_client,
        sandbox_endpoint,
        acme,
        "-e",
        "new_root_email=it@acme",
        "-e",
        "root_email_otp=12",
        "-e",
        '{"handover_alternate_contacts": {"billing": {"name": "Billing"}}}',
    )
    assert rc != 0, output
    assert "new_root_email: 'it@acme' must have a dotted domain" in output, output
    assert "root_email_otp: must be the 6-character code" in output, output
    assert "handover_alternate_contacts.billing: give name, title, email and phone" in output, output
    assert calls["total"] == 0, calls


def test_a_wrong_confirmation_fails_before_any_write(acme, sandbox_client, sandbox_endpoint):
    rc, output, _report, calls = handover(
        sandbox_client,
        sandbox_endpoint,
        acme,
        "-e",
        f"new_root_email={NEW_ROOT_EMAIL}",
        "-e",
        "handover_confirm=111122223333",
    )
    assert rc != 0, output
    assert f"handover_confirm is 111122223333, but the client's account is {acme['id']}" in output, output
    assert calls["writes"] == 0, calls


def test_without_confirmation_only_the_plan_is_shown_and_written(acme, sandbox_client, sandbox_endpoint):
    rc, output, data, calls = handover(sandbox_client, sandbox_endpoint, acme, "-e", f"new_root_email={NEW_ROOT_EMAIL}")
    assert rc == 0, output[-4000:]
    assert calls["writes"] == 0, calls
    assert f"Run again with -e handover_confirm={acme['id']}" in output, output
    assert data["status"] == "plan", data
    assert [step["name"] for step in data["steps"]] == list(STEP_NAMES)
    assert {step["status"] for step in data["steps"]} == {"pending"}
    assert data["root_email"]["current"] == MSP_ROOT_EMAIL and data["root_email"]["requested"] == NEW_ROOT_EMAIL, data


def test_a_delegated_administrator_is_refused_at_preflight_before_any_write(acme, sandbox_client, sandbox_endpoint):
    """AWS would refuse to let a delegated administrator leave, but only at step 5: the preflight refuses it first."""
    org = Aws(sandbox_endpoint, acme["world"]).management("organizations")
    services = ["guardduty.amazonaws.com", "ssm.amazonaws.com"]
    for service in services:
        org.register_delegated_administrator(AccountId=acme["id"], ServicePrincipal=service)
    try:
        rc, output, data, calls = handover(
            sandbox_client,
            sandbox_endpoint,
            acme,
            "-e",
            f"new_root_email={NEW_ROOT_EMAIL}",
            "-e",
            f"handover_confirm={acme['id']}",
        )
    finally:
        for service in services:
            org.deregister_delegated_administrator(AccountId=acme["id"], ServicePrincipal=service)
    assert rc != 0, output[-4000:]
    text = " ".join(output.split())
    assert "the handover stopped at step preflight" in text, output[-4000:]
    assert f"account {acme['id']} (ACME Corp) is a delegated administrator" in text, output[-4000:]
    assert "for guardduty.amazonaws.com, ssm.amazonaws.com" in text, output[-4000:]
    deregister = f"aws organizations deregister-delegated-administrator --account-id {acme['id']} --service-principal"
    for service in services:
        assert f"{deregister} {service}" in text, output[-4000:]
    assert {action.split(":")[0] for action in calls["writes_by_action"]} <= {"sts"}, calls
    assert calls["by_action"]["organizations:ListAccounts"] == 1, calls
    assert data["status"] == "failed" and data["failed_step"] == "preflight", data
    preflight = next(step for step in data["steps"] if step["name"] == "preflight")
    assert preflight["status"] == "failed" and "ssm.amazonaws.com" in preflight["detail"], preflight
    assert sandbox_client.request("GET", "/outbox", query={"to": NEW_ROOT_EMAIL})["messages"] == [], "no code mailed"


def test_the_whole_handover_in_two_runs_then_nothing_to_do(acme, sandbox_client, sandbox_endpoint):
    aws = Aws(sandbox_endpoint, acme["world"])
    org = aws.management("organizations")
    account_id = acme["id"]
    confirm = ["-e", f"new_root_email={NEW_ROOT_EMAIL}", "-e", f"handover_confirm={account_id}"]

    # AWS keeps a created account four days before it may leave (the code, mailed next, is valid for 24 hours).
    sandbox_client.advance_clock(5 * 24 * 3600)

    # Run 1: the code goes to the client's mailbox; the MSP keeps everything until AWS takes it.
    rc, output, data, calls = handover(sandbox_client, sandbox_endpoint, acme, *confirm)
    assert rc == 0, output[-4000:]
    assert data["status"] == "waiting_for_root_email_code", data
    statuses = {step["name"]: step["status"] for step in data["steps"]}
    assert statuses["root_email"] == "pending" and statuses["alternate_contacts"] == "done", statuses
    assert all(statuses[name] == "pending" for name in STEP_NAMES[3:]), statuses
    assert set(calls["writes_by_action"]) <= {
        "account:StartPrimaryEmailUpdate",
        "account:DeleteAlternateContact",
        "account:PutAlternateContact",
    }, calls
    assert account_id in {account["Id"] for account in org.list_accounts()["Accounts"]}
    assert (acme["dir"] / "links" / "clients" / "acme").exists()
    code = sandbox_client.request("GET", "/outbox", query={"to": NEW_ROOT_EMAIL})["messages"][-1]["code"]

    # Run 2: the code given back; everything else follows. AWS refuses the access role's last call, DeleteRole.
    mark_run2 = sandbox_client.mark()
    sandbox_client.add_fault(**delete_role_fault(account_id, "AccessDenied"))
    try:
        rc, output, data, calls = handover(
            sandbox_client, sandbox_endpoint, acme, *confirm, "-e", f"root_email_otp={code}"
        )
        fired = [rule for rule in sandbox_client.faults() if rule["fired"]]
    finally:
        sandbox_client.clear_faults()
    assert fired, f"DeleteRole of the access role was never called\n{output[-3000:]}"
    assert rc == 0, output[-4000:]
    assert code not in output, "the code must not be logged"
    assert data["status"] == "completed", data
    assert [step["name"] for step in data["steps"]] == list(STEP_NAMES)
    assert {step["status"] for step in data["steps"]} <= {"done", "already"}, data["steps"]
    assert data["root_email"]["current"] == NEW_ROOT_EMAIL, data
    assert any(role.startswith("/msp/") for role in data["removed"]["roles"]), data
    assert "Forgot password" in data["next_steps"][0]
    markdown = (acme["dir"] / "reports" / "acme" / "handover.md").read_text()
    assert markdown.startswith("# Handover of ACME Corp"), markdown
    # The access role: its trust changed first, once, then its policies went, then DeleteRole was refused. It is
    # left to the client, trusting only its account, and the report says so.
    steps = {step["name"]: step for step in data["steps"]}
    assert steps["access_role"]["status"] == "done", steps["access_role"]
    assert "left without MSP trust and without policies" in steps["access_role"]["detail"], steps["access_role"]
    assert "AWS refused its deletion" in steps["access_role"]["detail"], steps["access_role"]
    assert steps["verify"]["status"] == "done", steps["verify"]
    assert data["removed"]["access_role"]["state"] == LEFT_BARE, data["removed"]
    assert data["removed"]["access_role"]["trusts"] == f"arn:aws:iam::{account_id}:root", data["removed"]
    assert ACCESS_ROLE not in data["removed"]["roles"], data["removed"]
    assert [line for line in data["next_steps"] if f"delete the IAM role {ACCESS_ROLE}" in line], data
    assert f"- Access role: {ACCESS_ROLE} left without MSP trust and without policies" in markdown, markdown
    iam_writes = [
        c["action"]
        for c in sandbox_client.calls(since=mark_run2, service="iam", account=account_id)["calls"]
        if c["is_write"]
    ]
    assert iam_writes.count("UpdateAssumeRolePolicy") == 1, iam_writes
    # (The MSP's other roles went before, in cross_account_roles.)
    assert iam_writes[iam_writes.index("UpdateAssumeRolePolicy") :] == [
        "UpdateAssumeRolePolicy",
        "DetachRolePolicy",
        "DeleteRole",
    ], iam_writes
    assert_left_to_the_client(access_role(sandbox_client, sandbox_endpoint, acme["world"], account_id), account_id)
    # Not in the organization any more.
    assert account_id not in {account["Id"] for account in org.list_accounts()["Accounts"]}
    # The root email is the client's: AWS took the code (the module read the new address back before leaving).
    assert calls["writes_by_action"]["account:AcceptPrimaryEmailUpdate"] == 1, calls
    accepted = sandbox_client.calls(since=mark_run2, service="account")["calls"]
    assert [call["status"] for call in accepted if call["action"] == "AcceptPrimaryEmailUpdate"] == [200], accepted
    # The root user can recover its password (a login profile nobody knows).
    root = sandbox_client.request("GET", "/root-credentials", query={"account_id": account_id})
    assert root["login_profile"], root
    # The engineers' policies in the identity account (the management account here) no longer name it.
    iam = aws.management("iam")
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        assert account_id not in json.dumps(version["PolicyVersion"]["Document"]), policy["PolicyName"]
    # The client's links are gone.
    links = acme["dir"] / "links"
    assert not (links / "clients" / "acme").exists()
    assert account_id not in (links / "index.md").read_text()
    # No role trusts the MSP: the writes were the handover's, each once.
    writes = calls["writes_by_action"]
    assert writes["organizations:RemoveAccountFromOrganization"] == 1, writes
    assert writes["account:AcceptPrimaryEmailUpdate"] == 1, writes
    assert writes["iam:CreateLoginProfile"] == 1, writes
    assert "account:StartPrimaryEmailUpdate" not in writes, writes

    # Run 3: the report says completed and the organization does not list the account: nothing to do.
    rc, output, data, calls = handover(sandbox_client, sandbox_endpoint, acme, *confirm, "-e", f"root_email_otp={code}")
    assert rc == 0, output[-4000:]
    assert recap_changed(output) == 0, output[-3000:]
    assert "was handed over already" in output
    assert data["status"] == "completed" and data["removed"]["access_role"]["state"] == LEFT_BARE, data
    assert calls["by_action"] == {"organizations:ListAccounts": 1}, calls
