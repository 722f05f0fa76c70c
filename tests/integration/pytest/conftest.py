"""Module tests against the local AWS sandbox: run a collection module as Ansible would, inspect AWS after.

``run_module`` executes a module of this working copy in a child process, exactly as Ansible's
AnsiballZ wrapper would (arguments in ANSIBLE_MODULE_ARGS, JSON result on stdout), with the management
account's credentials pointed at the sandbox. Tests then read the sandbox's call log and state through
boto3 and the control API, so they can prove what was (and was not) written to AWS.
"""

import json
import os
import subprocess
import sys
import sysconfig
import tempfile
from datetime import datetime
from pathlib import Path

import pyotp
import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "sandbox")]

from dev_tree import link_working_copy  # noqa: E402

from msp_sandbox.pytest_fixtures import REGION, Aws, aws, sandbox, sandbox_client, sandbox_endpoint, world  # noqa: E402

__all__ = ["REGION", "Aws", "aws", "sandbox", "sandbox_client", "sandbox_endpoint", "world"]

DEV_TREE = link_working_copy()
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
# The working copy first, then the venv's collections (amazon.aws).
COLLECTIONS_PATH = f"{DEV_TREE}:{sysconfig.get_paths()['purelib']}"
SANDBOX_INVENTORY = REPO / "inventories" / "sandbox"


def playbook_env(tmp_path: Path, endpoint: str | None = None, **extra: str) -> dict:
    """The environment of an engineer's ansible-playbook run: none of the caller's AWS_, ANSIBLE_ or MSP_ settings,
    the working copy's collection, Ansible's local temp, the links (``MSP_LINKS_DIR``) and the audit report
    (``MSP_AUDIT_DIR``) in ``tmp_path``, the sandbox's ``endpoint`` when given, then ``extra``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "ANSIBLE_", "MSP_"))}
    env.update(
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        MSP_LINKS_DIR=str(tmp_path / "links"),
        MSP_AUDIT_DIR=str(tmp_path / "audit"),
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    if endpoint:
        env["MSP_SANDBOX_ENDPOINT_URL"] = endpoint
    env.update(extra)
    return env


def run_playbook(
    playbook: str | Path,
    tmp_path: Path,
    endpoint: str | None = None,
    *args: str,
    inventory: str | Path = SANDBOX_INVENTORY,
    env: dict | None = None,
    timeout: float = 600,
) -> tuple[int, str]:
    """ansible-playbook as an engineer runs it, from the repository: ``playbook`` a file name in playbooks/ or a
    path, ``args`` its further arguments, ``env`` added to :func:`playbook_env`'s. Returns ``(rc, stdout+stderr)``."""
    path = playbook if isinstance(playbook, Path) else REPO / "playbooks" / playbook
    proc = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(inventory), str(path), *args],
        capture_output=True,
        text=True,
        env=playbook_env(tmp_path, endpoint, **(env or {})),
        cwd=REPO,
        timeout=timeout,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


class ModuleRun(dict):
    """A module's JSON result, plus how the process ended."""

    def __init__(self, result: dict, rc: int, stderr: str) -> None:
        super().__init__(result)
        self.rc = rc
        self.stderr = stderr

    @property
    def failed(self) -> bool:
        return bool(self.get("failed")) or self.rc != 0

    @property
    def changed(self) -> bool:
        return bool(self.get("changed"))


def module_args(args: dict, check_mode: bool = False, diff: bool = False) -> dict:
    return {"ANSIBLE_MODULE_ARGS": dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)}


def module_command(name: str, args_file: str) -> list[str]:
    return [sys.executable, "-m", f"ansible_collections.msp.aws_accounts.plugins.modules.{name}", args_file]


def module_env() -> dict:
    env = dict(os.environ, PYTHONPATH=str(DEV_TREE))
    # The modules must use only what they are given: no ambient AWS configuration leaks in.
    for key in [k for k in env if k.startswith("AWS_")]:
        del env[key]
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    return env


def parse_result(stdout: str, rc: int, stderr: str) -> ModuleRun:
    text = stdout.strip()
    start = text.find("{")
    try:
        result = json.loads(text[start:]) if start >= 0 else {}
    except json.JSONDecodeError:
        result = {"failed": True, "msg": f"module printed no JSON result: {text[-2000:]}"}
    return ModuleRun(result, rc, stderr)


class ModuleRunner:
    """Runs modules as the management account (or any credentials given) against the test session's sandbox."""

    def __init__(self, endpoint: str, world: dict, tmp_path: Path) -> None:
        self.endpoint = endpoint
        self.world = world
        self.tmp_path = tmp_path

    def connection(self, credentials: dict | None = None) -> dict:
        creds = credentials or self.world["management"]["credentials"]
        conn = {
            "endpoint_url": self.endpoint,
            "region": REGION,
            "access_key": creds["aws_access_key_id"],
            "secret_key": creds["aws_secret_access_key"],
        }
        if creds.get("aws_session_token"):
            conn["session_token"] = creds["aws_session_token"]
        return conn

    def _args_file(self, name: str, args: dict, check_mode: bool, diff: bool, credentials: dict | None) -> str:
        full = dict(self.connection(credentials), **args)
        handle, path = tempfile.mkstemp(prefix=f"{name}-", suffix=".json", dir=self.tmp_path)
        with os.fdopen(handle, "w") as out:
            json.dump(module_args(full, check_mode, diff), out)
        return path

    def __call__(
        self,
        name: str,
        /,
        check_mode: bool = False,
        diff: bool = True,
        credentials: dict | None = None,
        timeout: float = 300,
        **args,
    ) -> ModuleRun:
        """Run module ``name`` to the end and return its result (failures are returned, not raised)."""
        args_file = self._args_file(name, args, check_mode, diff, credentials)
        proc = subprocess.run(
            module_command(name, args_file),
            capture_output=True,
            text=True,
            env=module_env(),
            timeout=timeout,
            check=False,
        )
        return parse_result(proc.stdout, proc.returncode, proc.stderr)

    def start(
        self, name: str, /, check_mode: bool = False, diff: bool = True, credentials: dict | None = None, **args
    ) -> subprocess.Popen:
        """Start module ``name`` without waiting, for tests that kill it half-way or race two runs."""
        args_file = self._args_file(name, args, check_mode, diff, credentials)
        return subprocess.Popen(
            module_command(name, args_file),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=module_env(),
        )

    @staticmethod
    def finish(proc: subprocess.Popen, timeout: float = 300) -> ModuleRun:
        stdout, stderr = proc.communicate(timeout=timeout)
        return parse_result(stdout, proc.returncode, stderr)


@pytest.fixture
def run_module(sandbox_endpoint, world, tmp_path) -> ModuleRunner:
    return ModuleRunner(sandbox_endpoint, world, tmp_path)


def writes_since(sandbox, mark: int) -> list[dict]:
    """The write calls the sandbox logged after ``mark``: the proof that bad input wrote nothing."""
    return [call for call in sandbox.calls(since=mark)["calls"] if call["is_write"]]


def totp(sandbox, seed: str, offset: int = 0) -> str:
    """The MFA device's code at the sandbox's clock (``offset`` counts 30-second steps from it).

    The sandbox checks codes against its own clock (real time plus an offset that tests move forward with
    ``advance_clock``), not the test's, so a code from ``time.time()`` is refused once a test advanced it.
    """
    now = datetime.fromisoformat(sandbox.request("GET", "/clock")["now"])
    return pyotp.TOTP(seed).at(now, counter_offset=offset)


def user_with_mfa(iam, sandbox, user_name: str, create_user: bool = False) -> dict:
    """Access keys and an enabled virtual MFA device for an IAM user of the sandbox's management account.

    ``iam`` is the management account's IAM client; the user must exist unless ``create_user``. The device is
    enabled, as AWS requires, with two consecutive codes, taken from the sandbox's clock (see ``totp``) because
    that is the time the sandbox checks them at. Returns ``serial``, ``seed`` (base32), ``credentials``
    (aws_access_key_id, aws_secret_access_key), the raw access ``key`` and, when created here, the user's ``arn``.
    """
    user = {}
    if create_user:
        user["arn"] = iam.create_user(UserName=user_name)["User"]["Arn"]
    key = iam.create_access_key(UserName=user_name)["AccessKey"]
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user_name)["VirtualMFADevice"]
    seed = device["Base32StringSeed"]
    seed = seed.decode() if isinstance(seed, bytes) else seed
    iam.enable_mfa_device(
        UserName=user_name,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=totp(sandbox, seed, -1),
        AuthenticationCode2=totp(sandbox, seed),
    )
    return dict(
        user,
        serial=device["SerialNumber"],
        seed=seed,
        credentials={"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]},
        key=key,
    )
