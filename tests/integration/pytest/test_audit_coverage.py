"""playbooks/audit.yml's organization coverage against the sandbox: an account created by hand in the organization,
which no client declares, and clients declared but never onboarded are reported; an onboarded client alone is not.

The organization is set up once for the module (onboarding acme takes a minute): acme onboarded by
playbooks/onboard.yml, then an account created by hand (CreateAccount, asynchronous: polled). globex (invited) and
hooli (created) are declared in the sandbox inventory but never onboarded. Every audit run is proven from the
sandbox's call log to write nothing to AWS and to read the organization with a single ListAccounts.
"""

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import DEV_TREE, REPO

from msp_sandbox.pytest_fixtures import Aws

INVENTORY = REPO / "inventories" / "sandbox"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
COLLECTIONS_PATH = f"{DEV_TREE}:{sysconfig.get_paths()['purelib']}"
HAND_MADE_NAME = "Sandbox | hand-made"
HAND_MADE_EMAIL = "forgotten@msp.example"
MANAGEMENT = "123456789012"


def run_playbook(playbook: str, tmp_path: Path, endpoint: str, *args: str) -> tuple[int, str]:
    """ansible-playbook on the sandbox inventory, as an engineer runs it; the reports go to tmp_path/audit."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "ANSIBLE_", "MSP_"))}
    env.update(
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        MSP_SANDBOX_ENDPOINT_URL=endpoint,
        MSP_LINKS_DIR=str(tmp_path / "links"),
        MSP_AUDIT_DIR=str(tmp_path / "audit"),
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    proc = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(INVENTORY), str(REPO / "playbooks" / playbook), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def organization(sandbox_client, sandbox_endpoint, tmp_path_factory):
    """acme onboarded, and an account created by hand: ``{"acme": id, "hand_made": id}``.

    Module-scoped, so the tests here use ``sandbox_client`` (the ``sandbox`` fixture would reset the sandbox)."""
    sandbox_client.reset()
    world = sandbox_client.world()
    rc, output = run_playbook("onboard.yml", tmp_path_factory.mktemp("onboard"), sandbox_endpoint, "-e", "client=acme")
    assert rc == 0, output[-4000:]
    hand_made = Aws(sandbox_endpoint, world).create_member(HAND_MADE_NAME, HAND_MADE_EMAIL)
    org = Aws(sandbox_endpoint, world).management("organizations")
    accounts = {account["Email"]: account["Id"] for account in org.list_accounts()["Accounts"]}
    return {"acme": accounts["awsaccounts+acme@msp.example"], "hand_made": hand_made}


def audit(sandbox_client, endpoint, tmp_path, *args):
    """Run the audit; ``(rc, output, report.md, report.json, calls)``, the calls being the run's call-log summary."""
    mark = sandbox_client.mark()
    rc, output = run_playbook("audit.yml", tmp_path, endpoint, *args)
    report = tmp_path / "audit"
    markdown = (report / "audit.md").read_text() if (report / "audit.md").exists() else ""
    data = json.loads((report / "audit.json").read_text()) if (report / "audit.json").exists() else {}
    return rc, output, markdown, data, sandbox_client.call_summary(since=mark)


def assert_read_only(calls):
    """No AWS write, and the organization read with one ListAccounts (it has fewer than a page of accounts)."""
    assert calls["writes"] == 0, calls
    assert calls["by_action"] == {"organizations:ListAccounts": 1}, calls


def test_the_audit_reports_the_hand_made_account_and_the_missing_clients_and_fails(
    organization, sandbox_client, sandbox_endpoint, tmp_path
):
    rc, output, markdown, data, calls = audit(sandbox_client, sandbox_endpoint, tmp_path)
    assert rc != 0, output
    hand_made = organization["hand_made"]
    # The failure lists the findings.
    assert "The audit found 3 problem(s)" in output, output
    assert f"Account {hand_made} (Sandbox | hand-made, {HAND_MADE_EMAIL}, ACTIVE, joined CREATED" in output, output
    assert (
        "Client hooli (create) is missing from the organization: no account has the root email "
        "awsaccounts+hooli@msp.example" in output
    ), output
    assert "Client globex (invite) is missing from the organization: the invited account 210987654321" in output
    # The report, for people: the hand-made account's row (its name's '|' escaped) and the missing clients.
    assert f"| {hand_made} | Sandbox \\| hand-made | {HAND_MADE_EMAIL} | ACTIVE | CREATED |" in markdown, markdown
    assert "| hooli | hooli | create | an account with the root email awsaccounts+hooli@msp.example |" in markdown
    assert "| globex | globex | invite | the account 210987654321 |" in markdown, markdown
    assert f"| acme | acme | {organization['acme']} |" in markdown, markdown
    # And for programs.
    coverage = data["coverage"]
    assert [account["id"] for account in coverage["undeclared_accounts"]] == [hand_made]
    assert coverage["undeclared_accounts"][0]["name"] == HAND_MADE_NAME
    assert [(c["host"], c["expected"]) for c in coverage["missing_clients"]] == [
        ("globex", "210987654321"),
        ("hooli", "awsaccounts+hooli@msp.example"),
    ]
    assert coverage["matched"] == [{"host": "acme", "key": "acme", "account_id": organization["acme"]}]
    assert data["clients"] == ["acme", "globex", "hooli"]
    assert data["msp_account_ids"] == [MANAGEMENT]
    assert data["findings"] == coverage["findings"] and len(data["findings"]) == 3
    assert data["generated_at"]
    assert_read_only(calls)


def test_without_failing_on_drift_the_same_report_is_written(organization, sandbox_client, sandbox_endpoint, tmp_path):
    failing = audit(sandbox_client, sandbox_endpoint, tmp_path / "failing")
    rc, output, markdown, data, calls = audit(
        sandbox_client, sandbox_endpoint, tmp_path / "reporting", "-e", "audit_fail_on_drift=false"
    )
    assert rc == 0, output
    assert "failed=0" in output and "The audit found" not in output, output
    assert data["coverage"] == failing[3]["coverage"]
    assert markdown.split("\n", 3)[3] == failing[2].split("\n", 3)[3]  # all but the time it was made
    assert_read_only(calls)


def test_an_onboarded_client_alone_has_no_finding(organization, sandbox_client, sandbox_endpoint, tmp_path):
    # acme only, and the hand-made account declared as one of the MSP's own (as a log-archive account would be).
    own = json.dumps({"msp_own_account_ids": [organization["hand_made"]]})
    rc, output, markdown, data, calls = audit(
        sandbox_client, sandbox_endpoint, tmp_path, "-e", "client=acme", "-e", own
    )
    assert rc == 0, output
    assert data["findings"] == [], data
    assert data["clients"] == ["acme"]
    assert data["msp_account_ids"] == [MANAGEMENT, organization["hand_made"]]
    assert data["coverage"]["matched"] == [{"host": "acme", "key": "acme", "account_id": organization["acme"]}]
    assert "Nothing found." in markdown and "### Accounts no client declares (0)" in markdown, markdown
    assert_read_only(calls)


def test_the_audit_validates_like_onboarding(organization, sandbox_client, sandbox_endpoint, tmp_path):
    # The validation is onboard.yml's: an unknown client stops the run before AWS is called.
    rc, output, _markdown, _data, calls = audit(sandbox_client, sandbox_endpoint, tmp_path, "-e", "client=acme,acm")
    assert rc != 0
    assert "-e client names what is not a client of the inventory (a host of its clients group): acm." in output
    assert calls["total"] == 0, calls
    assert not (tmp_path / "audit").exists()
