"""playbooks/handover.yml interrupted after each of its steps, then run again: it continues where it stopped,
completes, and does nothing twice.

The organization is set up once for the module (onboarding takes a minute): acme and hooli, both created by the
organization, onboarded by one playbooks/onboard.yml run, then a week on the sandbox's clock (AWS lets a created
account leave its organization only 4 days after its creation).

acme is handed over in a chain of runs, one per case of ``test_a_handover_interrupted_after_each_step``, in order:
each run is stopped by a fault (``POST /_sandbox/faults``) on the AWS action of the step after the one it is to
finish, and is the re-run of the case before it, so every run proves that the handover continues where the
previous one stopped. Steps that resume alike share a case: switch_role_links (files only) and root_recovery are
finished by the run stopped at leave_organization, verify (reads only) by the last run. Run in isolation, each
case would need its own onboarded account and every run before it: about four times the playbook runs for the same
proof (the whole file must stay within CI's budget). ``test_the_rerun_completes_and_did_nothing_twice`` is the
re-run without faults; it completes, and the sandbox's call log over the whole chain has each write of the
handover exactly once (one StartPrimaryEmailUpdate, one AcceptPrimaryEmailUpdate, one RemoveAccountFromOrganization,
one DeleteRole per role, one DetachRolePolicy per attached policy...) and no write that AWS refused. hooli is
handed over once with the answer to RemoveAccountFromOrganization lost (the account left, the run cannot tell), as
after a time-out.
"""

import json
from collections import Counter
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from conftest import run_playbook

from msp_sandbox.pytest_fixtures import Aws

MANAGEMENT = "123456789012"
ACCESS_ROLE = "OrganizationAccountAccessRole"
WEEK = 7 * 24 * 3600
NEW_ROOT_EMAIL = {"acme": "it@acme.example", "hooli": "it@hooli.example"}
MSP_ROOT_EMAIL = {"acme": "awsaccounts+acme@msp.example", "hooli": "awsaccounts+hooli@msp.example"}
FINISHED = ("done", "already", "skipped")
# Calls that open a session (AssumeRole, AssumeRoot) count as writes in the call log but change nothing.
SESSIONS = ("sts",)
FAULT_CODE = "HandoverTestFault"


def account_ids(endpoint: str, world: dict) -> dict:
    org = Aws(endpoint, world).management("organizations")
    by_email = {account["Email"]: account["Id"] for account in org.list_accounts()["Accounts"]}
    return {key: by_email.get(email) for key, email in MSP_ROOT_EMAIL.items()}


def in_account(endpoint: str, world: dict, account_id: str, service: str):
    """A client of ``service`` in the account, through its access role, as the management account."""
    aws = Aws(endpoint, world)
    session = aws.management("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{ACCESS_ROLE}", RoleSessionName="test-handover-faults"
    )
    return aws.client(service, Aws.assumed(session))


def msp_roles(endpoint: str, world: dict, account_id: str) -> dict:
    """The account's roles that trust the MSP (its path /msp/ and the access role): ``{name: (managed, inline)}``."""
    iam = in_account(endpoint, world, account_id, "iam")
    roles = {}
    for role in iam.list_roles()["Roles"]:
        if role["Path"] == "/msp/" or role["RoleName"] == ACCESS_ROLE:
            name = role["RoleName"]
            roles[name] = (
                len(iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]),
                len(iam.list_role_policies(RoleName=name)["PolicyNames"]),
            )
    return roles


def engineer_policies(endpoint: str, world: dict) -> dict:
    """The engineers' groups' attached policies in the main account: ``{policy name: default version document}``."""
    iam = Aws(endpoint, world).management("iam")
    documents = {}
    for group in iam.list_groups()["Groups"]:
        for policy in iam.list_attached_group_policies(GroupName=group["GroupName"])["AttachedPolicies"]:
            version = iam.get_policy(PolicyArn=policy["PolicyArn"])["Policy"]["DefaultVersionId"]
            document = iam.get_policy_version(PolicyArn=policy["PolicyArn"], VersionId=version)["PolicyVersion"]
            documents[policy["PolicyName"]] = json.dumps(document["Document"])
    return documents


def links_naming(links: Path, account_id: str) -> list[str]:
    return sorted(
        str(path.relative_to(links))
        for path in links.rglob("*")
        if path.is_file() and account_id in path.read_text(errors="replace")
    )


@pytest.fixture(scope="module")
def organization(sandbox_client, sandbox_endpoint, tmp_path_factory):
    """acme and hooli onboarded, a week ago on the sandbox's clock; their account ids, the MSP's roles in acme
    and the engineers' policies naming it, and the directories of the links and the handover reports.

    Module-scoped, so the tests here use ``sandbox_client`` (the ``sandbox`` fixture would reset the sandbox)."""
    sandbox_client.reset()
    world = sandbox_client.world()
    shared = tmp_path_factory.mktemp("handover")
    dirs = {"MSP_LINKS_DIR": str(shared / "links"), "MSP_HANDOVER_DIR": str(shared / "reports")}
    rc, output = run_playbook(
        "onboard.yml", tmp_path_factory.mktemp("onboard"), sandbox_endpoint, "-e", "client=acme,hooli", env=dirs
    )
    assert rc == 0, output[-4000:]
    ids = account_ids(sandbox_endpoint, world)
    acme = ids["acme"]
    sandbox_client.advance_clock(WEEK)
    account = Aws(sandbox_endpoint, world).management("account")
    contacts = 0
    for kind in ("BILLING", "OPERATIONS", "SECURITY"):
        try:
            account.get_alternate_contact(AccountId=acme, AlternateContactType=kind)
            contacts += 1
        except ClientError:
            pass
    return {
        "world": world,
        "ids": ids,
        "dirs": dirs,
        "links": shared / "links",
        "reports": shared / "reports",
        "acme_roles": msp_roles(sandbox_endpoint, world, acme),
        "acme_contacts": contacts,
        "acme_policies": sorted(
            name for name, doc in engineer_policies(sandbox_endpoint, world).items() if acme in doc
        ),
        "mark": sandbox_client.mark(),
    }


def handover(organization, sandbox_client, endpoint, tmp_path, client, otp=False, fault=None):
    """One run of the handover of ``client`` (with the code from the client's mailbox when ``otp``), with ``fault``
    injected for it (removed after); ``(rc, output, report)``."""
    args = ["-e", f"client={client}", "-e", f"handover_confirm={organization['ids'][client]}"]
    args += ["-e", f"new_root_email={NEW_ROOT_EMAIL[client]}"]
    if otp:
        messages = sandbox_client.request("GET", "/outbox", query={"to": NEW_ROOT_EMAIL[client]})["messages"]
        assert messages, f"no one-time code was mailed to {NEW_ROOT_EMAIL[client]}"
        args += ["-e", f"root_email_otp={messages[-1]['code']}"]
    if fault:
        sandbox_client.add_fault(**fault)
    try:
        rc, output = run_playbook("handover.yml", tmp_path, endpoint, *args, env=organization["dirs"])
        fired = [rule for rule in sandbox_client.faults() if rule["fired"]]
    finally:
        sandbox_client.clear_faults()
    assert not fault or fired, f"the fault {fault} never fired: the step's AWS action was not called\n{output[-3000:]}"
    path = organization["reports"] / client / "handover.json"
    report = json.loads(path.read_text()) if path.exists() else {}
    return rc, output, report


def steps(report) -> dict:
    return {step["name"]: step["status"] for step in report.get("steps", [])}


# The chain: (the step the run finishes, the step it is stopped at, the fault, whether the client's code is given).
# Steps with no AWS action of their own (switch_role_links writes files, verify only reads) are finished within
# the run stopped at the step after them. The code is given once AWS has mailed it (runs before that have none).
CHAIN = [
    ("preflight", "root_email", {"service": "account", "action": "StartPrimaryEmailUpdate"}, False),
    ("root_email", "alternate_contacts", {"service": "account", "action": "DeleteAlternateContact"}, False),
    # The first run with the code is stopped as it gives the code back, before the contacts of the run before.
    ("preflight", "root_email", {"service": "account", "action": "AcceptPrimaryEmailUpdate"}, True),
    # Stopped inside cross_account_roles, between two roles: MspAdmin deleted, MspEngineer's policies detached.
    (
        "alternate_contacts",
        "cross_account_roles",
        {"service": "iam", "action": "DeleteRole", "account": "acme", "params": {"RoleName": "MspEngineer"}},
        True,
    ),
    ("cross_account_roles", "engineer_access", {"service": "iam", "action": "CreatePolicyVersion"}, True),
    # switch_role_links writes files only, root_recovery's own interruption resumes as engineer_access's does.
    (
        "root_recovery",
        "leave_organization",
        {"service": "organizations", "action": "RemoveAccountFromOrganization"},
        True,
    ),
    # After leaving: the access role's removal, reached again through a new session by the re-run.
    (
        "leave_organization",
        "access_role",
        {"service": "iam", "account": "acme", "params": {"RoleName": ACCESS_ROLE}},
        True,
    ),
]
ORDER = [
    "preflight",
    "root_email",
    "alternate_contacts",
    "cross_account_roles",
    "engineer_access",
    "switch_role_links",
    "root_recovery",
    "leave_organization",
    "access_role",
    "verify",
]
chain_broken = []


def fault_rule(fault: dict, ids: dict) -> dict:
    """The sandbox's fault rule: an error no module retries or handles (AWS's transient errors would be retried, and
    the run would not stop), on the next matching call; ``account`` may name a client (its account id)."""
    rule = dict(fault, error_code=FAULT_CODE, status=400, message="injected by test_handover_faults")
    if rule.get("account") in ids:
        rule["account"] = ids[rule["account"]]
    return rule


@pytest.mark.parametrize(
    ("finished", "stopped_at", "fault", "otp"),
    CHAIN,
    ids=[f"{index}-after-{finished}" for index, (finished, *_rest) in enumerate(CHAIN, 1)],
)
def test_a_handover_interrupted_after_each_step(
    organization, sandbox_client, sandbox_endpoint, tmp_path, finished, stopped_at, fault, otp
):
    if chain_broken:
        pytest.skip(f"the chain of runs broke at {chain_broken[0]}")
    chain_broken.append(f"the run stopped at {stopped_at}")  # removed when this case passes
    acme = organization["ids"]["acme"]
    rule = fault_rule(fault, organization["ids"])
    rc, output, report = handover(organization, sandbox_client, sandbox_endpoint, tmp_path, "acme", otp, rule)
    assert rc != 0, output[-3000:]
    assert f"the handover stopped at step {stopped_at}" in output, output[-3000:]
    assert report["status"] == "failed" and report["failed_step"] == stopped_at, report
    status = steps(report)
    # Every step before the one stopped at is finished: by this run or, as the report keeps, by an earlier one.
    before = ORDER[: ORDER.index(stopped_at)]
    assert all(status[name] in FINISHED for name in before if name != "root_email" or otp), status
    assert status[finished] in FINISHED or (finished == "root_email" and status[finished] == "pending"), status
    assert all(status[name] == "pending" for name in ORDER[ORDER.index(stopped_at) + 1 :]), status
    if stopped_at == "cross_account_roles":
        # Between two roles: the one stopped at is left (Ansible's loop still deleted the one after), and the access
        # role, which goes last.
        assert sorted(msp_roles(sandbox_endpoint, organization["world"], acme)) == ["MspEngineer", ACCESS_ROLE]
    if stopped_at == "access_role":
        assert account_ids(sandbox_endpoint, organization["world"])["acme"] is None
        assert report["account"]["member"] is False, report
    chain_broken.clear()


def test_the_rerun_completes_and_did_nothing_twice(organization, sandbox_client, sandbox_endpoint, tmp_path):
    if chain_broken:
        pytest.skip(f"the chain of runs broke at {chain_broken[0]}")
    world, acme = organization["world"], organization["ids"]["acme"]
    rc, output, report = handover(organization, sandbox_client, sandbox_endpoint, tmp_path, "acme", otp=True)
    assert rc == 0, output[-4000:]
    assert report["status"] == "completed" and report["failed_step"] is None, report
    assert all(status in FINISHED for status in steps(report).values()), report["steps"]
    assert report["root_email"]["current"] == NEW_ROOT_EMAIL["acme"], report["root_email"]

    # Each write of the handover once over the whole chain: what onboarding left, removed once.
    calls = sandbox_client.calls(since=organization["mark"])["calls"]
    writes = [call for call in calls if call["is_write"] and call["service"] not in SESSIONS]
    done = Counter(f"{c['service']}:{c['action']}" for c in writes if c["status"] < 400)
    roles = organization["acme_roles"]
    expected = {
        "account:StartPrimaryEmailUpdate": 1,
        "account:AcceptPrimaryEmailUpdate": 1,
        "account:DeleteAlternateContact": organization["acme_contacts"],
        "iam:DetachRolePolicy": sum(managed for managed, _inline in roles.values()),
        "iam:DeleteRolePolicy": sum(inline for _managed, inline in roles.values()),
        "iam:DeleteRole": len(roles),
        # The access role stops trusting the MSP before its policies go (roles/handover/tasks/access_role.yml).
        "iam:UpdateAssumeRolePolicy": 1,
        # hooli's roles stay: each engineers' policy naming acme is rewritten once (aws_engineer_policy makes the new
        # version the default as it creates it, then deletes the old one).
        "iam:CreatePolicyVersion": len(organization["acme_policies"]),
        "iam:DeletePolicyVersion": len(organization["acme_policies"]),
        "iam:CreateLoginProfile": 1,
        "organizations:RemoveAccountFromOrganization": 1,
    }
    assert dict(done) == expected, {"done": dict(done), "expected": expected}
    refused = [c for c in writes if c["status"] >= 400 and not c["injected"]]
    assert refused == [], refused

    # And AWS agrees: the account left, the MSP has no way back in, nobody's access or link names it any more.
    assert account_ids(sandbox_endpoint, world)["acme"] is None
    with pytest.raises(ClientError, match="AccessDenied"):
        in_account(sandbox_endpoint, world, acme, "iam")
    policies = engineer_policies(sandbox_endpoint, world)
    assert [name for name, doc in policies.items() if acme in doc] == []
    assert any(organization["ids"]["hooli"] in doc for doc in policies.values()), policies
    assert links_naming(organization["links"], acme) == []
    assert links_naming(organization["links"], organization["ids"]["hooli"]), "hooli's links are gone too"


def test_a_lost_answer_to_leaving_the_organization_is_recovered(
    organization, sandbox_client, sandbox_endpoint, tmp_path
):
    """AWS removed hooli from the organization, but the answer was lost (a time-out): the run fails at
    leave_organization although the account left. The re-run must see that and finish: the access role deleted."""
    world, hooli = organization["world"], organization["ids"]["hooli"]
    rc, output, report = handover(organization, sandbox_client, sandbox_endpoint, tmp_path / "1", "hooli")
    assert rc == 0 and report["status"] == "waiting_for_root_email_code", output[-3000:]
    lost = fault_rule({"service": "organizations", "action": "RemoveAccountFromOrganization", "when": "after"}, {})
    rc, output, report = handover(organization, sandbox_client, sandbox_endpoint, tmp_path / "2", "hooli", True, lost)
    assert rc != 0 and report["failed_step"] == "leave_organization", output[-3000:]
    assert account_ids(sandbox_endpoint, world)["hooli"] is None  # it did leave

    mark = sandbox_client.mark()
    rc, output, report = handover(organization, sandbox_client, sandbox_endpoint, tmp_path / "3", "hooli", True)
    assert rc == 0, output[-3000:]
    assert report["status"] == "completed", report
    with pytest.raises(ClientError, match="AccessDenied"):
        in_account(sandbox_endpoint, world, hooli, "iam")
    removals = [c for c in sandbox_client.calls(since=mark)["calls"] if c["action"] == "RemoveAccountFromOrganization"]
    assert removals == [], removals  # the re-run does not try to leave again
