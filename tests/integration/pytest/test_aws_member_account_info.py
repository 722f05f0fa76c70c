"""aws_member_account_info against the sandbox: every client found with one paginated read, nothing written."""

import math

import pytest
from conftest import writes_since

MODULE = "aws_member_account_info"


def list_accounts_calls(sandbox, since: int) -> int:
    return sandbox.call_summary(since=since)["by_action"].get("organizations:ListAccounts", 0)


@pytest.mark.parametrize("members", [0, 19, 45], ids=["management-only", "one-page", "three-pages"])
def test_one_list_accounts_page_per_20_accounts_and_no_writes(run_module, sandbox, aws, world, members):
    sandbox.configure(organization_account_quota=100, create_account_in_progress_polls=0)
    emails = [f"awsaccounts+client{number:02d}@msp.example" for number in range(members)]
    ids = [aws.create_member(f"Client {number:02d}", email) for number, email in enumerate(emails)]

    mark = sandbox.mark()
    result = run_module(MODULE, emails=[email.upper() for email in emails[:3]] + ["nobody@msp.example"])
    assert not result.failed, result.get("msg")
    total = members + 1  # the management account is a member too
    summary = sandbox.call_summary(since=mark)
    assert summary["by_action"] == {"organizations:ListAccounts": math.ceil(total / 20)}
    assert summary["writes"] == 0
    assert [account["id"] for account in result["accounts"]] == sorted(ids[:3])
    assert result["missing"] == {"emails": ["nobody@msp.example"], "account_ids": []}

    everything = run_module(MODULE)
    assert [account["id"] for account in everything["accounts"]] == sorted([*ids, world["management"]["account_id"]])


def test_emails_and_ids_select_either_and_report_the_rest(run_module, sandbox, aws, world):
    acme = aws.create_member("ACME Corp", "awsaccounts+acme@msp.example")
    globex = world["clients"]["globex"]  # outside the organization: it is missing, not an error
    result = run_module(
        MODULE,
        emails=["AwsAccounts+ACME@msp.example", globex["email"]],
        account_ids=[world["management"]["account_id"], globex["account_id"]],
    )
    assert not result.failed, result.get("msg")
    assert [account["id"] for account in result["accounts"]] == sorted([acme, world["management"]["account_id"]])
    [found_acme] = [account for account in result["accounts"] if account["id"] == acme]
    assert found_acme["email"] == "awsaccounts+acme@msp.example"
    assert found_acme["name"] == "ACME Corp"
    assert found_acme["state"] == "ACTIVE"
    assert found_acme["joined_method"] == "CREATED"
    assert found_acme["arn"].endswith(f"/{acme}")
    assert found_acme["joined_timestamp"]
    assert result["missing"] == {"emails": [globex["email"]], "account_ids": [globex["account_id"]]}
    assert not result.changed


def test_check_mode_answers_the_same(run_module, sandbox, aws):
    aws.create_member("ACME Corp", "awsaccounts+acme@msp.example")
    run = run_module(MODULE, emails=["awsaccounts+acme@msp.example"])
    checked = run_module(MODULE, check_mode=True, emails=["awsaccounts+acme@msp.example"])
    assert not checked.failed and not checked.changed
    assert checked["accounts"] == run["accounts"]


def test_bad_account_id_fails_before_any_call(run_module, sandbox):
    mark = sandbox.mark()
    result = run_module(MODULE, account_ids=["210987654321", "1234"])
    assert result.failed
    assert result["msg"].startswith("account_ids[1]: must be an AWS account id of exactly 12 digits")
    assert sandbox.call_summary(since=mark)["total"] == 0
    assert writes_since(sandbox, mark) == []
