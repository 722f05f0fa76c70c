"""The handover's access_role step as real AWS answers it: once the access role's policies are detached, its own
session may no longer delete it (the sandbox evaluates no identity policies, so the refusal is injected).

acme is onboarded, a week passes on the sandbox's clock (a created account may leave its organization 4 days after
its creation), and it is handed over in the engineer's two runs (the code read from the sandbox's outbox), with
DeleteRole of the access role answering AccessDenied. The handover completes: the role is left trusting only
acme's own account (MFA), without policies; verify passes; the report and the next steps say so; a re-run changes
nothing. (Another failure after the trust change - the run fails at access_role, the re-run is refused the role
and completes with the same word - is covered by the unit tests of plugins/module_utils/handover.py; one
playbook-level proof of it costs two more minutes of CI.)
"""

import json

import pytest
from botocore.exceptions import ClientError
from conftest import run_playbook
from test_handover import recap_changed

from msp_sandbox.pytest_fixtures import Aws

ACCESS_ROLE = "OrganizationAccountAccessRole"
NEW_ROOT_EMAIL = {"acme": "it@acme.example"}
MSP_ROOT_EMAIL = {"acme": "awsaccounts+acme@msp.example"}
LEFT_BARE = "left_without_msp_trust_and_policies"


@pytest.fixture(scope="module")
def organization(sandbox_client, sandbox_endpoint, tmp_path_factory):
    """acme onboarded a week ago (sandbox clock): ``{"world", "ids", "dir"}``."""
    sandbox_client.reset()
    world = sandbox_client.world()
    shared = tmp_path_factory.mktemp("handover-access-role")
    rc, output = run_playbook("onboard.yml", shared, sandbox_endpoint, "-e", "client=acme")
    assert rc == 0, output[-4000:]
    org = Aws(sandbox_endpoint, world).management("organizations")
    by_email = {account["Email"]: account["Id"] for account in org.list_accounts()["Accounts"]}
    sandbox_client.advance_clock(7 * 24 * 3600)
    return {"world": world, "ids": {key: by_email[email] for key, email in MSP_ROOT_EMAIL.items()}, "dir": shared}


def handover(organization, sandbox_client, endpoint, client, otp=False, fault=None):
    """One confirmed handover run of ``client`` (with the mailed code when ``otp``), ``fault`` injected for it;
    ``(rc, output, handover.json, the fault rules that fired)``."""
    args = ["-e", f"client={client}", "-e", f"handover_confirm={organization['ids'][client]}"]
    args += ["-e", f"new_root_email={NEW_ROOT_EMAIL[client]}"]
    if otp:
        messages = sandbox_client.request("GET", "/outbox", query={"to": NEW_ROOT_EMAIL[client]})["messages"]
        args += ["-e", f"root_email_otp={messages[-1]['code']}"]
    if fault:
        sandbox_client.add_fault(**fault)
    try:
        rc, output = run_playbook(
            "handover.yml",
            organization["dir"],
            endpoint,
            *args,
            env={"MSP_HANDOVER_DIR": str(organization["dir"] / "reports")},
        )
        fired = [rule for rule in sandbox_client.faults() if rule["fired"]]
    finally:
        sandbox_client.clear_faults()
    path = organization["dir"] / "reports" / client / "handover.json"
    return rc, output, json.loads(path.read_text()) if path.exists() else {}, fired


def delete_role_fault(account_id, code):
    return {
        "service": "iam",
        "action": "DeleteRole",
        "account": account_id,
        "params": {"RoleName": ACCESS_ROLE},
        "error_code": code,
        "status": 403 if code == "AccessDenied" else 400,
        "message": "injected by test_handover_access_role",
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


def test_access_denied_leaves_the_role_to_the_client(organization, sandbox_client, sandbox_endpoint):
    world, acme = organization["world"], organization["ids"]["acme"]
    rc, output, report, _calls = handover(organization, sandbox_client, sandbox_endpoint, "acme")
    assert rc == 0 and report["status"] == "waiting_for_root_email_code", output[-3000:]

    mark = sandbox_client.mark()
    fault = delete_role_fault(acme, "AccessDenied")
    rc, output, report, fired = handover(organization, sandbox_client, sandbox_endpoint, "acme", True, fault)
    assert fired, f"DeleteRole of the access role was never called\n{output[-3000:]}"
    assert rc == 0, output[-4000:]
    assert report["status"] == "completed", report
    steps = {step["name"]: step for step in report["steps"]}
    assert steps["access_role"]["status"] == "done", steps["access_role"]
    assert "left without MSP trust and without policies" in steps["access_role"]["detail"], steps["access_role"]
    assert "AWS refused its deletion" in steps["access_role"]["detail"], steps["access_role"]
    assert steps["verify"]["status"] == "done", steps["verify"]
    assert report["removed"]["access_role"]["state"] == LEFT_BARE, report["removed"]
    assert report["removed"]["access_role"]["trusts"] == f"arn:aws:iam::{acme}:root", report["removed"]
    assert ACCESS_ROLE not in report["removed"]["roles"], report["removed"]
    assert [line for line in report["next_steps"] if f"delete the IAM role {ACCESS_ROLE}" in line], report
    markdown = (organization["dir"] / "reports" / "acme" / "handover.md").read_text()
    assert f"- Access role: {ACCESS_ROLE} left without MSP trust and without policies" in markdown, markdown
    # The trust changed first, once; the policies went, then DeleteRole was refused.
    calls = [c for c in sandbox_client.calls(since=mark, service="iam", account=acme)["calls"] if c["is_write"]]
    actions = [c["action"] for c in calls]
    assert actions.count("UpdateAssumeRolePolicy") == 1, actions
    # (The MSP's other roles went before, in cross_account_roles.)
    assert actions[actions.index("UpdateAssumeRolePolicy") :] == [
        "UpdateAssumeRolePolicy",
        "DetachRolePolicy",
        "DeleteRole",
    ]
    assert_left_to_the_client(access_role(sandbox_client, sandbox_endpoint, world, acme), acme)

    # The re-run: the report says completed and the account left: nothing to do.
    rc, output, report, _calls = handover(organization, sandbox_client, sandbox_endpoint, "acme", True)
    assert rc == 0, output[-3000:]
    assert recap_changed(output) == 0, output[-3000:]
    assert report["status"] == "completed" and report["removed"]["access_role"]["state"] == LEFT_BARE, report
