"""Root hygiene at onboarding, against the sandbox: playbooks/onboard.yml deletes the root user's credentials of a
client whose entry says ``delete`` and keeps those of a client that says ``keep``, once the organization's
centralised root access is enabled; with ``msp_root_access: false`` it touches nothing root-related.

The sandbox inventory's acme (created: ``delete`` by default) and globex (invited: ``keep`` by default) go through
three runs, set up once for the module (the tests only read what the runs left):

1. ``-e msp_root_access=false``, globex's root credentials seeded first: both accounts onboarded, nothing
   root-related called (the call log) and globex's credentials untouched;
2. acme's root credentials seeded, then a run: root access enabled, acme's root credentials deleted (the call log
   names each, in acme's account), globex's kept;
3. the same run again: changed=0 everywhere, no write, one read-only root session per client.

Check mode before root access is enabled (no root session can be opened yet) is test_onboard_input.py's
(test_check_mode_for_an_invited_member_without_its_access_role); before the account exists, the molecule scenario's
and test_check_mode_relies_on_the_client_roles_defaults'.
"""

import re

import pytest
from conftest import run_playbook

from msp_sandbox.pytest_fixtures import Aws

CLIENTS = "client=acme,globex"
ACME_EMAIL = "awsaccounts+acme@msp.example"
# What only the root steps call: the organization's features and root sessions, and IAM on a root user.
ROOT_ACTIONS = (
    "sts:AssumeRoot",
    "iam:ListOrganizationsFeatures",
    "iam:EnableOrganizationsRootCredentialsManagement",
    "iam:EnableOrganizationsRootSessions",
    "iam:GetLoginProfile",
    "iam:ListAccessKeys",
    "iam:ListMFADevices",
    "iam:ListSigningCertificates",
    "iam:DeleteLoginProfile",
    "iam:DeleteAccessKey",
    "iam:DeleteSigningCertificate",
    "iam:DeactivateMFADevice",
)
SEEDED = {"login_profile": True, "access_keys": 2, "mfa_devices": 1, "signing_certificates": 1}


def recap(output: str, host: str) -> str:
    found = re.search(rf"^{re.escape(host)}\s+: ok=.*$", output, re.MULTILINE)
    return found.group(0) if found else ""


def root_calls(summary: dict) -> dict:
    return {action: count for action, count in summary["by_action"].items() if action in ROOT_ACTIONS}


def seed(sandbox, account_id: str) -> dict:
    return sandbox.request("POST", "/root-credentials", {"account_id": account_id, **SEEDED})


def root_credentials(sandbox, account_id: str) -> dict:
    return sandbox.request("GET", "/root-credentials", query={"account_id": account_id})


def iam_trusted(org) -> bool:
    enabled = org.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    return "iam.amazonaws.com" in [service["ServicePrincipal"] for service in enabled]


def writes(summary: dict) -> dict:
    """The run's writes, without the sessions it opened (the sandbox counts AssumeRole and AssumeRoot as writes)."""
    return {action: count for action, count in summary["writes_by_action"].items() if not action.startswith("sts:")}


@pytest.fixture(scope="module")
def runs(sandbox_client, sandbox_endpoint, tmp_path_factory):
    """The three runs: for each, ``output``, the run's call-log ``summary`` and ``calls``, and what the sandbox held
    after it. Module-scoped, so the tests use ``sandbox_client`` (the ``sandbox`` fixture would reset it)."""
    sandbox = sandbox_client
    sandbox.reset()
    world = sandbox.world()
    aws = Aws(sandbox_endpoint, world)
    org = aws.management("organizations")
    globex = world["clients"]["globex"]["account_id"]
    globex_seeded = seed(sandbox, globex)
    tmp = tmp_path_factory.mktemp("root-hygiene")
    found = {"globex": globex, "globex_seeded": globex_seeded}

    def run(name, *args):
        mark = sandbox.mark()
        rc, output = run_playbook("onboard.yml", tmp, sandbox_endpoint, "-e", CLIENTS, *args)
        assert rc == 0, output[-6000:]
        found[name] = {
            "output": output,
            "summary": sandbox.call_summary(since=mark),
            "calls": sandbox.calls(since=mark)["calls"],
            "iam_trusted": iam_trusted(org),
            "globex": root_credentials(sandbox, globex),
        }

    run("without_root_access", "-e", "msp_root_access=false")
    accounts = {account["Email"]: account["Id"] for account in org.list_accounts()["Accounts"]}
    found["acme"] = acme = accounts[ACME_EMAIL]
    found["acme_seeded"] = seed(sandbox, acme)
    run("first", "--diff")
    found["first"]["acme"] = root_credentials(sandbox, acme)
    found["first"]["features"] = aws.management("iam").list_organizations_features()["EnabledFeatures"]
    run("again")
    found["again"]["acme"] = root_credentials(sandbox, acme)
    return found


def test_msp_root_access_false_touches_nothing_root_related(runs):
    run = runs["without_root_access"]
    assert root_calls(run["summary"]) == {}, run["summary"]
    assert not run["iam_trusted"]
    assert run["globex"] == runs["globex_seeded"]
    assert "PLAY [Enable centralised root access in the organization]" in run["output"]
    assert "root user of account" not in run["output"]


def test_delete_removes_the_root_credentials_and_keep_keeps_them(runs):
    run, acme = runs["first"], runs["acme"]
    assert run["iam_trusted"]
    assert sorted(run["features"]) == ["RootCredentialsManagement", "RootSessions"]
    assert run["acme"] == {
        "account_id": acme,
        "login_profile": False,
        "access_keys": [],
        "mfa_devices": [],
        "signing_certificates": [],
    }
    assert run["globex"] == runs["globex_seeded"]
    # Every delete in a root session of acme's account, each credential once; nothing written in globex's as root.
    deletes = [
        call
        for call in run["calls"]
        if call["service"] == "iam" and f"iam:{call['action']}" in ROOT_ACTIONS and call["is_write"]
    ]
    root_writes = {f"iam:{call['action']}" for call in deletes}
    assert {call["account"] for call in deletes if not call["action"].startswith("EnableOrganizations")} == {acme}
    assert {action: run["summary"]["writes_by_action"][action] for action in root_writes} == {
        "iam:EnableOrganizationsRootCredentialsManagement": 1,
        "iam:EnableOrganizationsRootSessions": 1,
        "iam:DeleteLoginProfile": 1,
        "iam:DeleteAccessKey": 2,
        "iam:DeleteSigningCertificate": 1,
        "iam:DeactivateMFADevice": 1,
    }
    keys = ", ".join(f"access key {key}" for key in runs["acme_seeded"]["access_keys"])
    assert (
        f"acme: root user of account {acme} (every credential deleted): deleted the password, {keys}, signing "
        f"certificate {runs['acme_seeded']['signing_certificates'][0]}, MFA device "
        f"{runs['acme_seeded']['mfa_devices'][0]}; then it has no credentials, so no root password."
    ) in run["output"], run["output"]
    assert (
        f"globex: root user of account {runs['globex']} (kept, only read): a password, 2 access key(s), 1 signing "
        "certificate(s), 1 MFA device(s)."
    ) in run["output"], run["output"]


def test_a_rerun_changes_nothing(runs):
    run = runs["again"]
    for host in ("acme", "globex", "localhost"):
        assert re.search(r"\bchanged=0\b", recap(run["output"], host)), run["output"]
    assert writes(run["summary"]) == {}, run["summary"]
    # One read-only root session per client (the audit's task policy), four reads each, and root access read once.
    assert root_calls(run["summary"]) == {
        "sts:AssumeRoot": 2,
        "iam:ListOrganizationsFeatures": 1,
        "iam:GetLoginProfile": 2,
        "iam:ListAccessKeys": 2,
        "iam:ListMFADevices": 2,
        "iam:ListSigningCertificates": 2,
    }
    assert run["acme"]["login_profile"] is False
    assert run["globex"] == runs["globex_seeded"]
