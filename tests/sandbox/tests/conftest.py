"""Fixtures for the sandbox's own test suite: one real sandbox server per test session (see pytest_fixtures)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from msp_sandbox.pytest_fixtures import REGION, Aws, aws, sandbox, sandbox_client, sandbox_endpoint, world

__all__ = ["REGION", "Aws", "aws", "sandbox", "sandbox_client", "sandbox_endpoint", "world"]
