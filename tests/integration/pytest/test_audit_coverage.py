"""playbooks/audit.yml's organization coverage against the sandbox: an account created by hand in the organization,
which no client declares, and clients declared but never onboarded are reported; an onboarded client alone is not.

The organization is set up once for the module (onboarding acme takes a minute): acme onboarded by
playbooks/onboard.yml, then an account created by hand (CreateAccount, asynchronous: polled). globex (invited) and
hooli (created) are declared in the sandbox inventory but never onboarded. Every audit run is proven from the
sandbox's call log to write nothing to AWS. Most run with audit_client_checks=false, the coverage alone, which reads
the organization with a single ListAccounts; one runs the whole audit (test_audit_drift.py covers its client checks).

A test may add accounts that are closed (CloseAccount): no client of the sandbox inventory declares them, and an
account closing that no client declares is no finding, so the other tests see the same findings whatever the order.
"""

import json
import re
import shutil
import stat

import pytest
import yaml
from conftest import REPO, run_playbook

from msp_sandbox.pytest_fixtures import Aws

HAND_MADE_NAME = "Sandbox | hand-made"
HAND_MADE_EMAIL = "forgotten@msp.example"
MANAGEMENT = "123456789012"


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


def audit(sandbox_client, endpoint, tmp_path, *args, inventory=REPO / "inventories" / "sandbox", client_checks=False):
    """Run the audit (the coverage alone unless ``client_checks``); ``(rc, output, report.md, report.json, calls)``,
    the calls being the run's call-log summary."""
    if not client_checks:
        args = (*args, "-e", "audit_client_checks=false")
    mark = sandbox_client.mark()
    rc, output = run_playbook("audit.yml", tmp_path, endpoint, *args, inventory=inventory)
    report = tmp_path / "audit"
    markdown = (report / "audit.md").read_text() if (report / "audit.md").exists() else ""
    data = json.loads((report / "audit.json").read_text()) if (report / "audit.json").exists() else {}
    return rc, output, markdown, data, sandbox_client.call_summary(since=mark)


def assert_read_only(calls, client_checks=False):
    """No AWS write. The coverage alone is one ListAccounts. With the client checks every call reads, or opens a
    session to read with (the client's access role; AssumeRoot's read-only root session), which the sandbox counts
    as writes."""
    if not client_checks:
        assert calls["writes"] == 0 and calls["by_action"] == {"organizations:ListAccounts": 1}, calls
        return
    assert set(calls["writes_by_action"]) <= {"sts:AssumeRole", "sts:AssumeRoot"}, calls
    assert calls["by_action"]["organizations:ListAccounts"] >= 1, calls


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
    assert data["sections"] == ["coverage"] and data["client_sections"] is None, data
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
        sandbox_client, sandbox_endpoint, tmp_path, "-e", "client=acme", "-e", own, client_checks=True
    )
    assert rc == 0, output
    assert data["findings"] == [], data
    assert data["sections"] == ["coverage", "clients", "engineers"], data
    assert data["clients"] == ["acme"]
    assert data["msp_account_ids"] == [MANAGEMENT, organization["hand_made"]]
    assert data["coverage"]["matched"] == [{"host": "acme", "key": "acme", "account_id": organization["acme"]}]
    assert "Nothing found." in markdown and "### Accounts no client declares (0)" in markdown, markdown
    assert_read_only(calls, client_checks=True)


def test_the_audit_validates_like_onboarding(organization, sandbox_client, sandbox_endpoint, tmp_path):
    # The validation is onboard.yml's: an unknown client stops the run before AWS is called.
    rc, output, _markdown, _data, calls = audit(sandbox_client, sandbox_endpoint, tmp_path, "-e", "client=acme,acm")
    assert rc != 0
    assert "-e client names what is not a client of the inventory (a host of its clients group): acm." in output
    assert calls["total"] == 0, calls
    assert not (tmp_path / "audit").exists()


def recap_changed(output: str) -> int:
    return int(re.search(r"^localhost\s+: ok=\d+\s+changed=(\d+)", output, re.MULTILINE).group(1))


def test_a_second_identical_audit_changes_nothing(organization, sandbox_client, sandbox_endpoint, tmp_path):
    # An existing directory (as /tmp or a share) keeps its mode; the report is written in it.
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    args = ("-e", "audit_fail_on_drift=false", "-e", f"audit_output_dir={shared}")
    rc, output, _markdown, _data, _calls = audit(sandbox_client, sandbox_endpoint, tmp_path, *args)
    assert rc == 0 and recap_changed(output) == 2, output  # audit.md and audit.json, not the directory
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    first = json.loads((shared / "audit.json").read_text())
    # The same organization again: the report says when this audit ran, but nothing changed since the last.
    rc, output, _markdown, _data, calls = audit(sandbox_client, sandbox_endpoint, tmp_path, *args)
    assert rc == 0 and recap_changed(output) == 0, output
    assert "as in the previous audit." in output, output
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    second = json.loads((shared / "audit.json").read_text())
    assert dict(second, generated_at=None) == dict(first, generated_at=None) and len(second["findings"]) == 3
    assert_read_only(calls)


def test_check_mode_reads_the_organization_and_writes_nothing(organization, sandbox_client, sandbox_endpoint, tmp_path):
    rc, output, _markdown, _data, calls = audit(sandbox_client, sandbox_endpoint, tmp_path, "--check")
    assert rc != 0
    assert "The audit found 3 problem(s) (check mode: no report written)." in output, output
    assert f"would be written to {tmp_path / 'audit'}" in output, output
    assert not (tmp_path / "audit").exists()
    assert_read_only(calls)


@pytest.mark.parametrize(
    ("value", "shown"),
    [("audit_fail_on_drift=flase", '"flase"'), ('{"audit_fail_on_drift": 0}', "0")],
    ids=["typo", "number"],
)
def test_a_bad_audit_fail_on_drift_stops_before_aws(
    organization, sandbox_client, sandbox_endpoint, tmp_path, value, shown
):
    # `'flase' | bool` is false with a mere warning: the audit would have passed whatever it found.
    rc, output, _markdown, _data, calls = audit(sandbox_client, sandbox_endpoint, tmp_path, "-e", value)
    assert rc != 0
    assert f"audit_fail_on_drift must be true or false (yes or no also do), not {shown}." in output, output
    assert calls["total"] == 0, calls
    assert not (tmp_path / "audit").exists()


def test_a_bad_audit_client_checks_stops_before_aws(organization, sandbox_client, sandbox_endpoint, tmp_path):
    rc, output, _markdown, _data, calls = audit(
        sandbox_client, sandbox_endpoint, tmp_path, "-e", "audit_client_checks=nope", client_checks=True
    )
    assert rc != 0
    assert 'audit_client_checks must be true or false (yes or no also do), not "nope".' in output, output
    assert calls["total"] == 0, calls


def test_audit_fail_on_drift_as_yes_or_no(organization, sandbox_client, sandbox_endpoint, tmp_path):
    rc, output, _markdown, data, _calls = audit(
        sandbox_client, sandbox_endpoint, tmp_path, "-e", "audit_fail_on_drift=No"
    )
    assert rc == 0 and len(data["findings"]) == 3, output


def close_account(endpoint: str, world: dict, name: str, email: str) -> str:
    """A member account created by hand, then closed (CloseAccount: PENDING_CLOSURE, SUSPENDED later)."""
    account_id = Aws(endpoint, world).create_member(name, email)
    Aws(endpoint, world).management("organizations").close_account(AccountId=account_id)
    return account_id


def test_closing_accounts_are_apart_and_a_closing_client_should_go(
    organization, sandbox_client, sandbox_endpoint, tmp_path
):
    world = sandbox_client.world()
    # An account closed by hand that no client declares: AWS lists it up to 90 days, which is no finding.
    nobodys = close_account(sandbox_endpoint, world, "Sandbox closed by hand", "closed-by-hand@msp.example")
    # initech, a client of a copy of the inventory, whose account is being closed (handed over or given up).
    inventory = tmp_path / "inventory"
    shutil.copytree(REPO / "inventories" / "sandbox", inventory)
    hosts = yaml.safe_load((inventory / "hosts.yml").read_text())
    hosts["all"]["children"]["clients"]["hosts"]["initech"] = {}
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    (inventory / "host_vars" / "initech.yml").write_text(
        yaml.safe_dump({"client_name": "Initech", "client_join": "create"}, sort_keys=False)
    )
    initech = close_account(sandbox_endpoint, world, "Initech", "awsaccounts+initech@msp.example")

    rc, output, markdown, data, calls = audit(
        sandbox_client, sandbox_endpoint, tmp_path, "-e", "client=initech", inventory=inventory
    )
    assert rc != 0
    coverage = data["coverage"]
    assert [(account["id"], account["state"]) for account in coverage["closing_accounts"]] == [
        (nobodys, "PENDING_CLOSURE")
    ], coverage
    assert [account["id"] for account in coverage["undeclared_accounts"]] == [organization["hand_made"]]
    assert coverage["inactive_clients"] == [
        {"host": "initech", "key": "initech", "account_id": initech, "state": "PENDING_CLOSURE"}
    ]
    # Two findings: the hand-made account, and initech's entry, which should go; not the closed account.
    assert len(data["findings"]) == 2 and nobodys not in " ".join(data["findings"]), data["findings"]
    assert (
        f"Client initech: its account {initech} is PENDING_CLOSURE, not ACTIVE: the account is being closed or is "
        "closed (AWS lists it up to 90 days after): once it is handed over to the client or closed, remove the "
        "client's entry (initech from the inventory's clients group and its host_vars)"
    ) in output, output
    assert "### Accounts closing or closed that no client declares (1)" in markdown, markdown
    assert f"| {nobodys} | Sandbox closed by hand | closed-by-hand@msp.example | PENDING\\_CLOSURE |" in markdown
    assert_read_only(calls)
