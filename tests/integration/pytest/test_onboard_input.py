"""playbooks/onboard.yml refuses bad input before anything is written to AWS, naming host and field.

Each case copies the sandbox inventory, breaks one thing in it, runs the real playbook (not in check mode,
so a run that got past the validation would write) and proves from the sandbox's call log that no write
was made since the mark, and that the failure names the inventory host and the variable to fix.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml
from conftest import DEV_TREE, REPO, writes_since

PLAYBOOK = REPO / "playbooks" / "onboard.yml"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
# The working copy first, then the venv's collections (amazon.aws).
COLLECTIONS_PATH = f"{DEV_TREE}:{sysconfig.get_paths()['purelib']}"
# The first play that writes to AWS: a validation failure must stop the run before it.
FIRST_WRITING_PLAY = "PLAY [Onboard the client accounts]"


def run_playbook(inventory: Path, tmp_path: Path, endpoint: str | None = None, *args: str):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "ANSIBLE_"))}
    env.update(
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        MSP_LINKS_DIR=str(tmp_path / "links"),
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    if endpoint:
        env["MSP_SANDBOX_ENDPOINT_URL"] = endpoint
    proc = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(inventory), str(PLAYBOOK), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture
def inventory(tmp_path) -> Path:
    """A copy of the sandbox inventory, to break."""
    copy = tmp_path / "inventory"
    shutil.copytree(REPO / "inventories" / "sandbox", copy)
    return copy


def edit(inventory: Path, relative: str, change) -> None:
    """Load a YAML file of the inventory, let ``change`` modify it, write it back."""
    path = inventory / relative
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def client_vars(host: str, **values):
    """An edit of host_vars/<host>.yml: set the values given; None removes the variable."""

    def change(data):
        for name, value in values.items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value

    return f"host_vars/{host}.yml", change


def hooli_policy_as_text(data):
    data["client_custom_roles"][0]["inline_policies"]["ReportsBucket"] = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",}]}'
    )


def admin_colour_with_hash(data):
    data["msp_role_catalogue"][0]["color"] = "#F2B0A9"


CASES = {
    "unknown-catalogue-role": (
        client_vars("acme", client_roles=["admn", "oncall"]),
        ["-e", "client=acme"],
        ["acme: client_roles: 'admn' is not in msp_role_catalogue (known: admin, engineer, oncall)"],
    ),
    "invalid-email": (
        client_vars("globex", client_email="aws-root@globex"),
        ["-e", "client=globex"],
        ["globex: client_email: 'aws-root@globex' must have a dotted domain after the '@'"],
    ),
    "invite-without-account-id": (
        client_vars("globex", client_account_id=None),
        ["-e", "client=globex"],
        ["globex: client_account_id: is required when client_join is invite"],
    ),
    "duplicate-client-keys": (
        client_vars("hooli", client_key="acme"),
        ["-e", "client=acme"],
        ["The clients of the inventory need fixing:", "hooli: client_key: 'acme' is also acme's key"],
    ),
    "custom-policy-not-json": (
        ("host_vars/hooli.yml", hooli_policy_as_text),
        ["-e", "client=hooli"],
        ["hooli: client_custom_roles[0] (analyst).inline_policies.ReportsBucket: is not valid JSON"],
    ),
    # A bad entry stops every client's run, not only its own: the access and links are built from all.
    "bad-entry-of-another-client": (
        client_vars("hooli", client_roles=["oncal"]),
        ["-e", "client=acme"],
        ["hooli: client_roles: 'oncal' is not in msp_role_catalogue"],
    ),
    "wrong-type-by-argument-specs": (
        client_vars("acme", client_join="adopt"),
        ["-e", "client=acme"],
        ["fatal: [acme]", "client_join", "create, invite", "adopt"],
    ),
    "unknown-client": (
        None,
        ["-e", "client=acme,acm"],
        [
            "-e client names what is not a client of the inventory (a host of its clients group): acm.",
            "Known clients: acme, globex, hooli.",
        ],
    ),
    "missing-client": (
        None,
        [],
        ["Say which client to onboard (-e client is missing or empty).", "-e client=<name>"],
    ),
    "bad-msp-setting": (
        ("group_vars/all/msp.yml", admin_colour_with_hash),
        ["-e", "client=acme"],
        [
            "The MSP-wide settings (msp_* variables, usually in group_vars/all) need fixing:",
            "msp_role_catalogue[0] (admin).color: '#F2B0A9' must be six hex digits without '#', like 'F2B0A9'",
        ],
    ),
}


@pytest.mark.parametrize(("breakage", "args", "expected"), CASES.values(), ids=CASES.keys())
def test_bad_input_fails_before_any_write(inventory, tmp_path, sandbox, sandbox_endpoint, breakage, args, expected):
    if breakage:
        edit(inventory, *breakage)
    mark = sandbox.mark()
    rc, output = run_playbook(inventory, tmp_path, sandbox_endpoint, *args)
    assert rc != 0, output
    for text in expected:
        assert text in output, output
    assert FIRST_WRITING_PLAY not in output, output
    assert writes_since(sandbox, mark) == []
    # Validation only reads the inventory: it does not even read AWS.
    assert sandbox.call_summary(since=mark)["total"] == 0


def test_every_problem_is_reported_at_once(inventory, tmp_path, sandbox, sandbox_endpoint):
    edit(inventory, *client_vars("acme", client_roles=["admn"], client_email="root@acme"))
    edit(inventory, *client_vars("globex", client_account_id="21098765432"))
    mark = sandbox.mark()
    rc, output = run_playbook(inventory, tmp_path, sandbox_endpoint, "-e", "client=clients")
    assert rc != 0
    for text in (
        "acme: client_email: 'root@acme' must have a dotted domain",
        "acme: client_roles: 'admn' is not in msp_role_catalogue",
        "globex: client_account_id: '21098765432' must be an AWS account id of exactly 12 digits",
    ):
        assert text in output, output
    assert writes_since(sandbox, mark) == []


def test_the_sandbox_inventory_validates_without_calling_aws(inventory, tmp_path, sandbox, sandbox_endpoint):
    mark = sandbox.mark()
    rc, output = run_playbook(inventory, tmp_path, sandbox_endpoint, "-e", "client=clients", "--tags", "validate")
    assert rc == 0, output
    assert "failed=0" in output and "fatal" not in output, output
    assert sandbox.call_summary(since=mark)["total"] == 0


def test_the_example_inventory_validates(tmp_path):
    # The template for a real MSP: no sandbox, no credentials, nothing but the inventory.
    rc, output = run_playbook(
        REPO / "inventories" / "example", tmp_path, None, "-e", "client=clients", "--tags", "validate"
    )
    assert rc == 0, output
    for host in ("northwind", "initech", "umbrella"):
        assert f"{host}" in output and "failed=0" in output, output
