"""Each AWX job template of awx/job_templates.yml runs its playbook under ansible-runner, AWX's own engine, laid out as
AWX lays out a job, against the sandbox - and succeeds.

A job's private data directory, as AWX writes it:
  project/         the project's checkout: here a symlink to this working copy
  inventory/hosts  the inventory AWX imported from its source (``ansible-inventory -i inventories/sandbox --list
                   --export``, what AWX's inventory update runs), as the script AWX writes for a job
  env/extravars    the survey's answers (and nothing else: the templates prompt for no other variable)
  env/envvars      the "Amazon Web Services" credential's injected variables (AWS_ACCESS_KEY_ID,
                   AWS_SECRET_ACCESS_KEY: the management account's sandbox keys), and the job's environment (AWX's
                   "Extra Environment Variables"): the sandbox's endpoint, where links and reports go, and the
                   collections the execution environment holds
The sandbox inventory's msp_aws_access_key / msp_aws_secret_key, its stand-ins for a credential, are left out of
the imported inventory, as a real inventory leaves them unset (inventories/example): the keys come only from the
credential's environment variables.

One sandbox and one onboarding for the module; the jobs follow each other as an MSP would launch them: onboard acme,
publish the links, audit acme (the organization's coverage), hand acme over (the plan, then run 1, which waits for
the code AWS mails to the new root email: run 2 needs the client's code and is test_handover.py's).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import ansible_runner
import pytest
import yaml
from conftest import COLLECTIONS_PATH, REPO

from msp_sandbox.pytest_fixtures import Aws

ANSIBLE_BIN = Path(sys.executable).parent
JOB_TEMPLATES = {
    template["name"]: template
    for template in yaml.safe_load((REPO / "awx" / "job_templates.yml").read_text())["awx_job_templates"]
}
# The sandbox inventory's stand-ins for AWX's credential.
CREDENTIAL_STAND_INS = ("msp_aws_access_key", "msp_aws_secret_key")


class Awx:
    """Launches job templates as AWX does: a fresh private data directory per job, run by ansible-runner."""

    def __init__(self, endpoint: str, world: dict, work: Path) -> None:
        self.endpoint = endpoint
        self.world = world
        self.work = work
        self.jobs = 0
        self.inventory = self.imported_inventory()

    def imported_inventory(self) -> dict:
        """What AWX's inventory update imports from the project's inventories/sandbox."""
        proc = subprocess.run(
            [str(ANSIBLE_BIN / "ansible-inventory"), "-i", str(REPO / "inventories" / "sandbox"), "--list", "--export"],
            capture_output=True,
            text=True,
            check=True,
            env=self.environment(),
        )
        data = json.loads(proc.stdout)
        for name in CREDENTIAL_STAND_INS:
            data["all"]["vars"].pop(name)
        return data

    def environment(self) -> dict:
        """The job's environment variables: the credential's injection, then the job settings."""
        keys = self.world["management"]["credentials"]
        return {
            # The "Amazon Web Services" credential (AWX's injector for its username and password fields).
            "AWS_ACCESS_KEY_ID": keys["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": keys["aws_secret_access_key"],
            # The job's Extra Environment Variables: the sandbox inventory reads its endpoint from the environment;
            # the links and reports go to a directory that outlives the job.
            "MSP_SANDBOX_ENDPOINT_URL": self.endpoint,
            "MSP_LINKS_DIR": str(self.work / "links"),
            "MSP_AUDIT_DIR": str(self.work / "audit"),
            "MSP_HANDOVER_DIR": str(self.work / "handover"),
            # What the execution environment holds: this collection (the working copy) and amazon.aws.
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS_PATH,
            "ANSIBLE_LOCAL_TEMP": str(self.work / "ansible-tmp"),
            "ANSIBLE_NOCOLOR": "1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }

    def launch(self, name: str, answers: dict | None = None) -> "Job":
        """Launch job template ``name`` with the survey's ``answers``; only survey variables may be given."""
        template = JOB_TEMPLATES[name]
        answers = answers or {}
        assert set(answers) <= {question["variable"] for question in template["survey"]}, answers
        self.jobs += 1
        private = self.work / f"job-{self.jobs}"
        (private / "inventory").mkdir(parents=True)
        (private / "env").mkdir()
        (private / "project").symlink_to(REPO, target_is_directory=True)
        hosts = private / "inventory" / "hosts"
        hosts.write_text(f"#!{sys.executable}\nprint({json.dumps(json.dumps(self.inventory))})\n")
        hosts.chmod(0o755)
        (private / "env" / "extravars").write_text(yaml.safe_dump(answers))
        (private / "env" / "envvars").write_text(yaml.safe_dump(self.environment()))
        run = ansible_runner.run(
            private_data_dir=str(private),
            playbook=template["playbook"],
            quiet=True,
            timeout=600,
        )
        return Job(run.status, run.rc, run.stdout.read(), private)


class Job:
    def __init__(self, status: str, rc: int, stdout: str, private: Path) -> None:
        self.status = status
        self.rc = rc
        self.stdout = stdout
        self.private = private

    def __repr__(self) -> str:
        return f"Job(status={self.status}, rc={self.rc}, output ending:\n{self.stdout[-4000:]})"


@pytest.fixture(scope="module")
def awx(sandbox_client, sandbox_endpoint, tmp_path_factory):
    """A fresh sandbox, and AWX launching jobs against it from a process without AWS, Ansible or MSP settings."""
    sandbox_client.reset()
    world = sandbox_client.world()
    with pytest.MonkeyPatch.context() as patch:
        for key in [key for key in os.environ if key.startswith(("AWS_", "ANSIBLE_", "MSP_"))]:
            patch.delenv(key)
        # ansible-runner starts the ansible-playbook it finds on PATH, as in the execution environment.
        patch.setenv("PATH", f"{ANSIBLE_BIN}{os.pathsep}{os.environ['PATH']}")
        yield Awx(sandbox_endpoint, world, tmp_path_factory.mktemp("awx"))


@pytest.fixture(scope="module")
def acme_id(awx, sandbox_client, sandbox_endpoint):
    """Onboard client, survey client=acme: the account's id."""
    job = awx.launch("Onboard client", {"client": "acme"})
    assert job.status == "successful" and job.rc == 0, job
    org = Aws(sandbox_endpoint, awx.world).management("organizations")
    accounts = {account["Email"]: account["Id"] for account in org.list_accounts()["Accounts"]}
    return accounts["awsaccounts+acme@msp.example"]


def test_the_imported_inventory_keeps_no_credential(awx):
    """The keys reach the jobs only through the credential's environment variables."""
    assert not set(CREDENTIAL_STAND_INS) & set(awx.inventory["all"]["vars"])
    assert "msp_aws_endpoint_url" in awx.inventory["all"]["vars"]
    assert set(awx.inventory["clients"]["hosts"]) == {"acme", "globex", "hooli"}


def test_onboard_client_creates_the_account_and_its_roles(awx, acme_id, sandbox_endpoint):
    aws = Aws(sandbox_endpoint, awx.world)
    access_role = f"arn:aws:iam::{acme_id}:role/OrganizationAccountAccessRole"
    session = aws.management("sts").assume_role(RoleArn=access_role, RoleSessionName="awx-test")
    roles = aws.client("iam", Aws.assumed(session)).list_roles(PathPrefix="/msp/")["Roles"]
    assert {role["RoleName"] for role in roles} == {"MspAdmin", "MspEngineer", "MspOnCall"}
    assert (awx.work / "links" / "clients" / "acme" / "index.md").is_file()


def test_publish_switch_role_links_alone_writes_them_again(awx, acme_id, sandbox_client):
    index = awx.work / "links" / "clients" / "acme" / "index.md"
    index.unlink()
    mark = sandbox_client.mark()
    job = awx.launch("Publish switch-role links")
    assert job.status == "successful", job
    assert acme_id in index.read_text()
    # Alone it validated the inventory first (every client), then found acme the only member, and changed nothing.
    assert "Check the clients against each other" in job.stdout, job
    writes = sandbox_client.call_summary(since=mark)["writes_by_action"]
    assert set(writes) <= {"sts:AssumeRole"}, writes


def test_audit_clients_finds_the_organization_covers_acme(awx, acme_id, sandbox_client):
    """The survey's multiple-choice answers arrive as the strings "true" and "false", which the audit validates. The
    coverage alone (audit_client_checks=false, one ListAccounts) keeps this file's time down; test_audit_drift.py
    runs the client checks."""
    mark = sandbox_client.mark()
    answers = {"client": "acme", "audit_client_checks": "false", "audit_fail_on_drift": "true"}
    job = awx.launch("Audit clients", answers)
    assert job.status == "successful", job
    report = json.loads((awx.work / "audit" / "audit.json").read_text())
    assert report["clients"] == ["acme"] and report["sections"] == ["coverage"], report
    assert [match["host"] for match in report["coverage"]["matched"]] == ["acme"], report
    assert report["findings"] == [], report
    assert sandbox_client.call_summary(since=mark)["by_action"] == {"organizations:ListAccounts": 1}


HANDOVER = {"client": "acme", "new_root_email": "it@acme.example", "handover_confirm": "", "root_email_otp": ""}


def test_hand_over_client_without_confirmation_shows_its_plan(awx, acme_id, sandbox_client):
    """Blank survey answers arrive as empty strings: without handover_confirm the handover only plans."""
    mark = sandbox_client.mark()
    job = awx.launch("Hand over client", HANDOVER)
    assert job.status == "successful", job
    assert json.loads((awx.work / "handover" / "acme" / "handover.json").read_text())["status"] == "plan"
    assert set(sandbox_client.call_summary(since=mark)["writes_by_action"]) <= {"sts:AssumeRole", "sts:AssumeRoot"}
    # AWX shows a job's output to whoever may see the job: the credential's secret never appears in it.
    assert awx.world["management"]["credentials"]["aws_secret_access_key"] not in job.stdout


def test_hand_over_client_confirmed_asks_aws_for_the_root_email_code(awx, acme_id):
    job = awx.launch("Hand over client", dict(HANDOVER, handover_confirm=acme_id))
    assert job.status == "successful", job
    assert json.loads((awx.work / "handover" / "acme" / "handover.json").read_text())["status"] == (
        "waiting_for_root_email_code"
    )
