"""An engineer's real client: the AWS CLI v1 reads the generated ``~/.aws/config`` and assumes into acme.

The playbook onboards acme into a fresh sandbox; then alice, an engineer of the main account, gets access keys and a
virtual MFA device (enabled with two consecutive codes from its seed). The real ``aws`` command (from .venv-awscli,
built by ``make awscli``: awscli pins its own botocore) uses her generated config file with only her source profile
added, answers the MFA prompt with the current code on stdin, and ``sts get-caller-identity`` shows acme's account.
The same role without ``mfa_serial`` is refused by the sandbox's trust-policy enforcement.
"""

import configparser
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DEV_TREE, REGION, REPO, Aws, totp, user_with_mfa

ENGINEER = "alice"
CLIENT = "acme"
PROFILE = "acme-admin"
PROFILE_WITHOUT_MFA = "acme-admin-without-mfa"
# make passes the CLI it built; run by hand, the test looks where `make awscli` puts it.
AWSCLI = Path(os.environ.get("MSP_AWSCLI") or REPO / ".venv-awscli" / "bin" / "aws")

pytestmark = pytest.mark.skipif(
    "MSP_AWSCLI" not in os.environ and not AWSCLI.exists(),
    reason=f"the real AWS CLI is not installed at {AWSCLI}: run `make awscli` (make integration builds it)",
)


def without_aws_environment() -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    return env


@pytest.fixture(scope="module")
def onboarded(sandbox_client, sandbox_endpoint, tmp_path_factory):
    """acme onboarded into a fresh sandbox by the playbook, as `make demo` does; its links directory."""
    world = sandbox_client.reset()
    links = tmp_path_factory.mktemp("links")
    env = dict(
        without_aws_environment(),
        MSP_SANDBOX_ENDPOINT_URL=sandbox_endpoint,
        MSP_LINKS_DIR=str(links),
        ANSIBLE_COLLECTIONS_PATH=str(DEV_TREE),
    )
    playbook = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "inventories/sandbox"]
    run = subprocess.run(
        [*playbook, "playbooks/onboard.yml", "-e", f"client={CLIENT}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert run.returncode == 0, f"onboarding {CLIENT} failed:\n{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
    return {"links": links, "world": world, "aws": Aws(sandbox_endpoint, world)}


@pytest.fixture(scope="module")
def engineer(onboarded, sandbox_client):
    """alice's access keys and enabled virtual MFA device in the main account, made as the management account."""
    iam = onboarded["aws"].management("iam")
    try:
        iam.get_user(UserName=ENGINEER)
    except iam.exceptions.NoSuchEntityException:
        iam.create_user(UserName=ENGINEER)
    return user_with_mfa(iam, sandbox_client, ENGINEER)


@pytest.fixture(scope="module")
def acme_account_id(onboarded):
    org = onboarded["aws"].management("organizations")
    ids = [
        account["Id"]
        for page in org.get_paginator("list_accounts").paginate()
        for account in page["Accounts"]
        if account["Email"].lower() == "awsaccounts+acme@msp.example"
    ]
    assert len(ids) == 1, ids
    return ids[0]


@pytest.fixture(scope="module")
def aws_home(onboarded, engineer, tmp_path_factory):
    """alice's ~/.aws: the generated config file as it is, plus her source profile's keys, plus one profile for
    the same role without mfa_serial (to prove the role refuses it)."""
    generated = onboarded["links"] / "engineers" / ENGINEER / "aws-config"
    assert generated.is_file(), f"onboarding wrote no {generated}"
    home = tmp_path_factory.mktemp("alice-aws")
    config_file = home / "config"
    shutil.copyfile(generated, config_file)

    config = configparser.ConfigParser(interpolation=None)
    config.read(config_file)
    section = f"profile {PROFILE}"
    assert section in config, f"{generated} has no [{section}]: {config.sections()}"
    profile = config[section]
    assert profile["mfa_serial"] == engineer["serial"], "the profile names another MFA device than alice's"
    source_profile = profile["source_profile"]

    with config_file.open("a") as out:
        out.write(
            f"\n[profile {PROFILE_WITHOUT_MFA}]\n"
            f"role_arn = {profile['role_arn']}\n"
            f"source_profile = {source_profile}\n"
            f"region = {profile.get('region', REGION)}\n"
        )
    credentials_file = home / "credentials"
    credentials_file.write_text(
        f"[{source_profile}]\n"
        f"aws_access_key_id = {engineer['key']['AccessKeyId']}\n"
        f"aws_secret_access_key = {engineer['key']['SecretAccessKey']}\n"
    )
    return {"config": config_file, "credentials": credentials_file, "home": home}


def aws_cli(aws_home, endpoint, profile, stdin=""):
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        HOME=str(aws_home["home"]),
        AWS_CONFIG_FILE=str(aws_home["config"]),
        AWS_SHARED_CREDENTIALS_FILE=str(aws_home["credentials"]),
        AWS_ENDPOINT_URL=endpoint,
        AWS_EC2_METADATA_DISABLED="true",
    )
    # A new session has no controlling terminal, so the CLI's MFA prompt (getpass) reads the code from stdin.
    return subprocess.run(
        [str(AWSCLI), "sts", "get-caller-identity", "--profile", profile, "--output", "json"],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
        check=False,
    )


def test_the_aws_cli_assumes_the_generated_profile_into_acme_with_alices_mfa_code(
    onboarded, engineer, aws_home, acme_account_id, sandbox_client, sandbox_endpoint
):
    assert AWSCLI.exists(), f"make did not build the AWS CLI at {AWSCLI}"
    code = totp(sandbox_client, engineer["seed"])
    run = aws_cli(aws_home, sandbox_endpoint, PROFILE, stdin=f"{code}\n")
    assert run.returncode == 0, run.stderr
    identity = json.loads(run.stdout)
    assert identity["Account"] == acme_account_id
    assert identity["Arn"].startswith(f"arn:aws:sts::{acme_account_id}:assumed-role/MspAdmin/")
    assert "MFA code" in run.stderr  # the CLI did prompt for it


def test_the_same_role_without_mfa_is_denied_by_its_trust_policy(onboarded, engineer, aws_home, sandbox_endpoint):
    run = aws_cli(aws_home, sandbox_endpoint, PROFILE_WITHOUT_MFA)
    assert run.returncode != 0, run.stdout
    assert "AccessDenied" in run.stderr
    assert "AssumeRole" in run.stderr
