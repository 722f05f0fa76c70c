"""roles/audit_report alone, without AWS: a coverage given as the client_coverage filter returns it.

The role writes into a directory it creates (with audit_report_directory_mode) or an existing one (whose mode it
never touches), reports changed only when the report's content, all but the time it was made, differs from the
previous audit.json, escapes every value in audit.md, and publishes the findings with set_stats (AWX's artifacts).
"""

import json
import re
import stat
from pathlib import Path

import pytest
import yaml
from conftest import run_playbook

HAND_MADE = {
    "id": "999999999999",
    "arn": "arn:aws:organizations::123456789012:account/o-example/999999999999",
    # Anyone who may create an account names it: a link, an image, HTML, emphasis and a line break.
    "name": "Pay [here](https://evil.example) ![x](https://evil.example/x.png) <b>now</b> *a_b* `c`\nnext",
    "email": "someone@msp.example",
    "state": "ACTIVE",
    "joined_method": "CREATED",
    "joined_timestamp": "2026-01-31T09:15:00+00:00",
}
CLOSED = dict(HAND_MADE, id="888888888888", name="Closed", email="closed@msp.example", state="SUSPENDED")
FINDING = f"Account 999999999999 ({HAND_MADE['name']}, someone@msp.example, ACTIVE) is in the organization"
COVERAGE = {
    "undeclared_accounts": [HAND_MADE],
    "closing_accounts": [CLOSED],
    "missing_clients": [],
    "inactive_clients": [{"host": "hooli", "key": "hooli", "account_id": "222222222222", "state": "PENDING_CLOSURE"}],
    "matched": [{"host": "acme", "key": "acme", "account_id": "111111111111"}],
    "findings": [FINDING, "Client hooli: its account 222222222222 is PENDING_CLOSURE, not ACTIVE"],
}
ROLE_TASKS = ("Create the output directory", "Write the report for people", "Write the report for programs")


def write_report(tmp_path: Path, report_dir: Path, coverage: dict, *args: str) -> tuple[int, str]:
    """A play on localhost that runs the role with ``coverage``; ``(rc, output)``, custom stats shown."""
    playbook = tmp_path / "report.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "Write an audit report",
                    "hosts": "localhost",
                    "connection": "local",
                    "gather_facts": False,
                    "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                    "tasks": [
                        {
                            "name": "Write it",
                            "ansible.builtin.include_role": {"name": "msp.aws_accounts.audit_report"},
                            "vars": {
                                "audit_report_dir": str(report_dir),
                                "audit_report_clients": ["acme", "hooli"],
                                "audit_report_msp_account_ids": ["123456789012"],
                                "audit_report_coverage": coverage,
                            },
                        }
                    ],
                }
            ],
            sort_keys=False,
        )
    )
    return run_playbook(
        playbook,
        tmp_path,
        None,
        *args,
        inventory="localhost,",
        env={"ANSIBLE_SHOW_CUSTOM_STATS": "true", "ANSIBLE_LOCALHOST_WARNING": "false"},
        timeout=120,
    )


def task_status(output: str, task: str) -> str:
    """``ok``, ``changed`` or ``skipping`` of the task named ``task`` (its name's start) in localhost's run."""
    found = re.search(rf"TASK \[[^\]]*: {re.escape(task)}[^\]]*\] \*+\n(\w+): \[localhost\]", output)
    assert found, output
    return found.group(1)


def recap_changed(output: str) -> int:
    return int(re.search(r"^localhost\s+: ok=\d+\s+changed=(\d+)", output, re.MULTILINE).group(1))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_existing_directory_keeps_its_mode(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # as /tmp
    rc, output = write_report(tmp_path, shared, COVERAGE)
    assert rc == 0, output
    assert mode(shared) == 0o1777
    assert task_status(output, "Create the output directory") == "skipping", output
    assert mode(shared / "audit.md") == 0o640 and mode(shared / "audit.json") == 0o640


def test_a_missing_directory_is_created_with_the_directory_mode(tmp_path):
    report_dir = tmp_path / "new" / "audit"
    rc, output = write_report(tmp_path, report_dir, COVERAGE)
    assert rc == 0, output
    assert mode(report_dir) == 0o750
    assert task_status(output, "Create the output directory") == "changed", output


def test_a_path_that_is_not_a_directory_is_refused(tmp_path):
    file = tmp_path / "audit"
    file.write_text("")
    rc, output = write_report(tmp_path, file, COVERAGE)
    assert rc != 0
    assert f"audit_report_dir: {file} exists and is not a directory." in output, output


def test_changed_means_the_findings_changed_since_the_previous_audit(tmp_path):
    report_dir = tmp_path / "audit"
    rc, output = write_report(tmp_path, report_dir, COVERAGE)
    assert rc == 0 and recap_changed(output) == 3, output  # the directory and both files
    first = json.loads((report_dir / "audit.json").read_text())

    # The same findings again: the report is written (its time is this audit's), but nothing changed.
    rc, output = write_report(tmp_path, report_dir, COVERAGE)
    assert rc == 0, output
    assert recap_changed(output) == 0, output
    assert "as in the previous audit." in output, output
    second = json.loads((report_dir / "audit.json").read_text())
    assert dict(second, generated_at=None) == dict(first, generated_at=None)

    # A file's mode put back counts as a change of that file.
    (report_dir / "audit.md").chmod(0o644)
    rc, output = write_report(tmp_path, report_dir, COVERAGE)
    assert task_status(output, "Write the report for people") == "changed", output
    assert task_status(output, "Write the report for programs") == "ok", output
    assert mode(report_dir / "audit.md") == 0o640

    # Another finding: both files changed.
    fixed = dict(COVERAGE, inactive_clients=[], findings=[FINDING])
    rc, output = write_report(tmp_path, report_dir, fixed)
    assert rc == 0 and recap_changed(output) == 2, output
    assert "changed since the previous audit." in output, output


def test_check_mode_writes_nothing_and_says_where_it_would(tmp_path):
    report_dir = tmp_path / "audit"
    rc, output = write_report(tmp_path, report_dir, COVERAGE, "--check")
    assert rc == 0, output
    assert not report_dir.exists()
    assert f"would be written to {report_dir}" in output, output


def test_every_value_is_escaped_in_the_markdown(tmp_path):
    report_dir = tmp_path / "audit"
    rc, output = write_report(tmp_path, report_dir, COVERAGE)
    assert rc == 0, output
    markdown = (report_dir / "audit.md").read_text()
    escaped = (
        r"Pay \[here\](https://evil.example) !\[x\](https://evil.example/x.png) \<b\>now\</b\> \*a\_b\* \`c\` next"
    )
    # In the findings list and in the table alike.
    assert f"- Account 999999999999 ({escaped}, someone@msp.example, ACTIVE) is in the organization\n" in markdown
    assert f"| 999999999999 | {escaped} | someone@msp.example | ACTIVE | CREATED |" in markdown, markdown
    assert "](https://evil" not in markdown.replace(r"\](https://evil", "")
    assert "<b>" not in markdown


def test_closing_accounts_and_inactive_clients_are_explained(tmp_path):
    report_dir = tmp_path / "audit"
    rc, _output = write_report(tmp_path, report_dir, COVERAGE)
    assert rc == 0
    markdown = (report_dir / "audit.md").read_text()
    closing = markdown.split("### Accounts closing or closed that no client declares (1)", 1)[1].split("###", 1)[0]
    assert "| 888888888888 | Closed | closed@msp.example | SUSPENDED | CREATED |" in closing, markdown
    assert "No finding: AWS lists a closed account" in closing
    inactive = markdown.split("### Clients whose account is not active (1)", 1)[1].split("###", 1)[0]
    assert "| hooli | hooli | 222222222222 | PENDING\\_CLOSURE |" in inactive, markdown
    assert "remove the client's entry" in inactive
    data = json.loads((report_dir / "audit.json").read_text())
    assert data["coverage"]["closing_accounts"] == [CLOSED]


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
def test_the_findings_are_the_jobs_artifacts(tmp_path, check_mode):
    report_dir = tmp_path / "audit"
    rc, output = write_report(tmp_path, report_dir, COVERAGE, *(["--check"] if check_mode else []))
    assert rc == 0, output
    stats = json.loads(output.split("CUSTOM STATS:", 1)[1].split("RUN:", 1)[1].strip().splitlines()[0])
    summary = stats["audit_report_summary"]
    assert summary["findings"] == COVERAGE["findings"]
    assert summary["counts"] == {
        "undeclared_accounts": 1,
        "closing_accounts": 1,
        "missing_clients": 0,
        "inactive_clients": 1,
        "matched": 1,
    }
    assert summary["report_dir"] == str(report_dir)
    assert summary["written"] is (not check_mode)
    assert summary["clients"] == ["acme", "hooli"]
