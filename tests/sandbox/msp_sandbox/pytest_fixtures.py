"""pytest fixtures for anything that tests against a real sandbox server: one server per test session.

The sandbox's own suite (tests/sandbox/tests) and the collection's module tests (tests/integration/pytest)
both import these, so every test talks to AWS through boto3 over HTTP, exactly as the modules do.
"""

import socket
import time

import boto3
import pytest
from botocore.config import Config

from msp_sandbox import launcher
from msp_sandbox.client import SandboxClient

REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def sandbox_endpoint(tmp_path_factory):
    port = _free_port()
    state_dir = tmp_path_factory.mktemp("sandbox-state")
    launcher.start("127.0.0.1", port, state_dir)
    yield f"http://127.0.0.1:{port}"
    launcher.stop("127.0.0.1", port, state_dir)


@pytest.fixture(scope="session")
def sandbox_client(sandbox_endpoint) -> SandboxClient:
    return SandboxClient(sandbox_endpoint)


@pytest.fixture
def sandbox(sandbox_client) -> SandboxClient:
    """A sandbox reset to a fresh world for this test: no faults, empty call log, clock at now."""
    sandbox_client.reset()
    return sandbox_client


@pytest.fixture
def world(sandbox) -> dict:
    return sandbox.world()


class Aws:
    """boto3 clients against the sandbox, as a given principal."""

    def __init__(self, endpoint: str, world: dict) -> None:
        self.endpoint = endpoint
        self.world = world

    def session(self, credentials: dict | None = None, **keys) -> boto3.Session:
        creds = dict(credentials or {}, **keys)
        return boto3.Session(
            aws_access_key_id=creds["aws_access_key_id"],
            aws_secret_access_key=creds["aws_secret_access_key"],
            aws_session_token=creds.get("aws_session_token"),
            region_name=REGION,
        )

    def client(self, service: str, credentials: dict | None = None, retries: int = 0, **keys):
        """A client that does not retry unless asked, so tests see each injected fault."""
        config = Config(retries={"mode": "standard", "total_max_attempts": retries + 1})
        return self.session(credentials, **keys).client(service, endpoint_url=self.endpoint, config=config)

    def management(self, service: str, retries: int = 0):
        return self.client(service, self.world["management"]["credentials"], retries=retries)

    def client_account(self, key: str, service: str, retries: int = 0):
        return self.client(service, self.world["clients"][key]["credentials"], retries=retries)

    def create_member(self, name: str, email: str | None = None, timeout: float = 30) -> str:
        """A new member account made by CreateAccount, which is asynchronous: poll until it is done."""
        org = self.management("organizations")
        email = email or f"awsaccounts+{name.lower().replace(' ', '-')}@msp.example"
        request_id = org.create_account(AccountName=name, Email=email)["CreateAccountStatus"]["Id"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = org.describe_create_account_status(CreateAccountRequestId=request_id)["CreateAccountStatus"]
            if status["State"] != "IN_PROGRESS":
                assert status["State"] == "SUCCEEDED", status
                return status["AccountId"]
            time.sleep(0.05)
        raise AssertionError(f"CreateAccount {request_id} did not finish in {timeout} s")

    @staticmethod
    def assumed(response: dict) -> dict:
        """Credentials dict from an AssumeRole / AssumeRoot / GetSessionToken response."""
        c = response["Credentials"]
        return {
            "aws_access_key_id": c["AccessKeyId"],
            "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"],
        }


@pytest.fixture
def aws(sandbox_endpoint, world) -> Aws:
    return Aws(sandbox_endpoint, world)
