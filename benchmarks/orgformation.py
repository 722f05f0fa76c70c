"""org-formation (npm aws-organization-formation) against the sandbox, for its no-op beside ours.

It is installed from npm into a directory of the benchmark's output (never the repository) and reaches the sandbox
through AWS_ENDPOINT_URL, which the AWS SDK for JavaScript v3 it uses honours. Whatever keeps it from running
(no node or npm, a failed install, a command that fails against the sandbox) is returned as a reason for the
report: the benchmark goes on without it.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

PACKAGE = "aws-organization-formation"
TEMPLATE = "organization.yml"
# moto has no Support API; org-formation's init reads every account's support level with DescribeSeverityLevels.
# AWS answers an account on basic support with this error, which org-formation reads as "basic".
SUPPORT_FAULT = {
    "service": "support",
    "action": "DescribeSeverityLevels",
    "error_code": "SubscriptionRequiredException",
    "message": "AWS Premium Support Subscription is required to use this service.",
    "every": 1,
}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def failure(command: list[str], rc: int, output: str) -> str:
    """What went wrong, in one line: the command, its exit code and its first error line (or its last line)."""
    lines = [_ANSI.sub("", line).strip() for line in output.splitlines() if line.strip()]
    error = next((line for line in lines if "ERROR" in line or "Error" in line), lines[-1] if lines else "no output")
    return f"`{' '.join(command)}` exited {rc}: {error[:300]}"


class OrgFormation:
    def __init__(self, home: Path, timeout: float) -> None:
        self.home = home
        self.timeout = timeout
        self.binary = home / "node_modules" / ".bin" / "org-formation"
        self._unavailable: str | None = None

    def unavailable(self) -> str:
        """Why org-formation cannot run ("" if it can), installing it into ``home`` the first time."""
        if self._unavailable is None:
            self._unavailable = self._install()
        return self._unavailable

    def _install(self) -> str:
        if self.binary.exists():
            return ""
        missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
        if missing:
            return f"{' and '.join(missing)} not found on PATH"
        self.home.mkdir(parents=True, exist_ok=True)
        command = ["npm", "install", "--prefix", str(self.home), "--no-audit", "--no-fund", PACKAGE]
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
        except subprocess.TimeoutExpired:
            return f"`{' '.join(command)}` took more than 900 s"
        if proc.returncode != 0 or not self.binary.exists():
            return failure(command, proc.returncode, proc.stdout + proc.stderr)
        return ""

    def run(self, work: Path, endpoint: str, credentials: dict, log: Path, *args: str) -> str:
        """``org-formation args`` in ``work`` as the management account, its output in ``log``; returns why it
        failed, or ""."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
        env.update(
            AWS_ENDPOINT_URL=endpoint,
            AWS_ACCESS_KEY_ID=credentials["aws_access_key_id"],
            AWS_SECRET_ACCESS_KEY=credentials["aws_secret_access_key"],
            AWS_REGION="us-east-1",
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            NODE_NO_WARNINGS="1",
        )
        command = ["org-formation", *args]
        log.parent.mkdir(parents=True, exist_ok=True)
        try:
            proc = subprocess.run(
                [str(self.binary), *args],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            output = error.output.decode(errors="replace") if isinstance(error.output, bytes) else error.output
            log.write_text(output or "")
            return f"`{' '.join(command)}` took more than {self.timeout:.0f} s"
        log.write_text(proc.stdout + proc.stderr)
        return failure(command, proc.returncode, proc.stdout + proc.stderr) if proc.returncode else ""
