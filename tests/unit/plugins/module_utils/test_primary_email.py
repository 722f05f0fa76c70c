"""The root email change: what a run does from (desired, actual), input checks, and AWS's answers in words that
name the option to fix (primary_email.py)."""

from datetime import UTC, datetime, timedelta

import botocore.exceptions
import pytest

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput, MspAwsError
from ansible_collections.msp.aws_accounts.plugins.module_utils.primary_email import (
    ACCEPT,
    ACCEPTED,
    PENDING,
    PROPAGATING,
    START,
    STATE,
    UP_TO_DATE,
    UPDATED,
    WAIT_FOR_CODE,
    accept_update,
    email_after,
    get_update_status,
    message,
    primary_email_action,
    start_update,
    validate,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
OLD = "awsaccounts+acme@msp.example"
NEW = "it@acme.example"
ACCOUNT = "210987654321"


def update(status, hours_ago):
    return {"status": status, "updated_at": NOW - timedelta(hours=hours_ago)}


ACTION_CASES = [
    # case, desired (otp, resend), actual email, most recent update, action
    ("already-the-address", None, False, NEW, None, UP_TO_DATE),
    ("already-the-address-other-case", None, False, "IT@Acme.Example", None, UP_TO_DATE),
    ("already-the-address-with-otp", "123456", False, NEW, update("PENDING", 1), UP_TO_DATE),
    ("already-the-address-with-resend", None, True, NEW, None, UP_TO_DATE),
    ("no-update-yet-mails-a-code", None, False, OLD, None, START),
    ("pending-code-still-valid-sends-nothing", None, False, OLD, update("PENDING", 1), WAIT_FOR_CODE),
    ("pending-just-under-24h-sends-nothing", None, False, OLD, update("PENDING", 23.9), WAIT_FOR_CODE),
    ("pending-code-expired-mails-a-new-one", None, False, OLD, update("PENDING", 24), START),
    ("pending-and-resend-mails-a-new-one", None, True, OLD, update("PENDING", 1), START),
    ("completed-earlier-mails-a-code", None, False, OLD, update("COMPLETED", 1), START),
    ("failed-earlier-mails-a-code", None, False, OLD, update("FAILED", 1), START),
    ("accepted-lately-is-arriving", None, False, OLD, update("ACCEPTED", 1), PROPAGATING),
    ("accepted-long-ago-mails-a-code", None, False, OLD, update("ACCEPTED", 4), START),
    ("accepted-lately-and-resend-mails-a-code", None, True, OLD, update("ACCEPTED", 1), START),
    ("otp-with-pending-update-accepts", "123456", False, OLD, update("PENDING", 1), ACCEPT),
    ("otp-without-known-update-lets-aws-decide", "123456", False, OLD, None, ACCEPT),
    ("otp-with-expired-update-lets-aws-decide", "123456", False, OLD, update("PENDING", 30), ACCEPT),
    ("otp-while-accepted-update-arrives-sends-nothing", "123456", False, OLD, update("ACCEPTED", 1), PROPAGATING),
]


@pytest.mark.parametrize(
    ("otp", "resend", "current", "latest", "action"),
    [case[1:] for case in ACTION_CASES],
    ids=[case[0] for case in ACTION_CASES],
)
def test_primary_email_action(otp, resend, current, latest, action):
    desired = {"email": NEW, "otp": otp, "resend": resend}
    assert primary_email_action(desired, {"email": current, "update": latest}, NOW) == action


STATE_CASES = [
    # action, state reported, email after
    (UP_TO_DATE, UPDATED, NEW),
    (ACCEPT, UPDATED, NEW),
    (START, PENDING, OLD),
    (WAIT_FOR_CODE, PENDING, OLD),
    (PROPAGATING, ACCEPTED, OLD),
]


@pytest.mark.parametrize(("action", "state", "after"), STATE_CASES, ids=[case[0] for case in STATE_CASES])
def test_state_and_email_after(action, state, after):
    current = NEW if action == UP_TO_DATE else OLD
    assert STATE[action] == state
    assert email_after(action, NEW, current) == after


def test_messages_say_what_to_do_next():
    assert "Run again with otp" in message(START, ACCOUNT, NEW, OLD)
    waiting = message(WAIT_FOR_CODE, ACCOUNT, NEW, OLD, update("PENDING", 2))
    assert "no new code was sent" in waiting and "resend=true" in waiting and "2026-11-24T10:00:00" in waiting
    assert f"is now {NEW}" in message(ACCEPT, ACCOUNT, NEW, OLD)
    assert "four hours" in message(PROPAGATING, ACCOUNT, NEW, OLD, update("ACCEPTED", 1))
    assert message(UP_TO_DATE, ACCOUNT, NEW, NEW) == f"The root email of account {ACCOUNT} is {NEW}."


INVALID_CASES = [
    # case, account_id, email, otp, resend, option named
    ("account-id-too-short", "12345", NEW, None, False, "account_id"),
    ("account-id-not-digits", "21098765432x", NEW, None, False, "account_id"),
    ("email-without-at", ACCOUNT, "it.acme.example", None, False, "email"),
    ("email-undotted-domain", ACCOUNT, "it@acme", None, False, "email"),
    ("email-forbidden-character", ACCOUNT, "i(t)@acme.example", None, False, "email"),
    ("otp-too-short", ACCOUNT, NEW, "12345", False, "otp"),
    ("otp-too-long", ACCOUNT, NEW, "1234567", False, "otp"),
    ("otp-with-punctuation", ACCOUNT, NEW, "123-56", False, "otp"),
    ("otp-empty", ACCOUNT, NEW, "", False, "otp"),
    ("otp-and-resend", ACCOUNT, NEW, "123456", True, "resend"),
]


@pytest.mark.parametrize(
    ("account_id", "email", "otp", "resend", "option"),
    [case[1:] for case in INVALID_CASES],
    ids=[case[0] for case in INVALID_CASES],
)
def test_bad_input_names_the_option(account_id, email, otp, resend, option):
    with pytest.raises(InvalidInput) as raised:
        validate(account_id, email, otp, resend)
    assert raised.value.option == option
    assert str(raised.value.message).startswith(f"{option}: ")


def test_good_input_gives_the_code_without_spaces():
    assert validate(ACCOUNT, NEW, " aB3456 \n") == "aB3456"
    assert validate(ACCOUNT, NEW, None, True) is None


# --- the calls, against a stand-in for the account client -----------------------------------------------------


def client_error(code, action):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": "refused"}}, action)


class FakeAccount:
    def __init__(self, email=OLD, errors=None, status=None):
        self.email = email
        self.errors = errors or {}
        self.status = status
        self.calls = []

    def _answer(self, action, answer):
        self.calls.append(action)
        if action in self.errors:
            raise client_error(self.errors[action], action)
        return answer

    def get_primary_email(self, AccountId, aws_retry):
        return self._answer("GetPrimaryEmail", {"PrimaryEmail": self.email})

    def get_primary_email_update_status(self, AccountId, aws_retry):
        return self._answer("GetPrimaryEmailUpdateStatus", self.status)

    def start_primary_email_update(self, AccountId, PrimaryEmail, aws_retry):
        return self._answer("StartPrimaryEmailUpdate", {"Status": "PENDING"})

    def accept_primary_email_update(self, AccountId, PrimaryEmail, Otp, aws_retry):
        return self._answer("AcceptPrimaryEmailUpdate", {"Status": "ACCEPTED"})


def test_update_status_read():
    at = NOW - timedelta(hours=1)
    assert get_update_status(FakeAccount(status={"Status": "PENDING", "UpdatedAt": at}), ACCOUNT) == (
        {"status": "PENDING", "updated_at": at},
        True,
    )
    none_yet = FakeAccount(errors={"GetPrimaryEmailUpdateStatus": "ResourceNotFoundException"})
    assert get_update_status(none_yet, ACCOUNT) == (None, True)


def test_a_botocore_without_the_status_call_cannot_tell():
    class OldBotocore:
        pass

    assert get_update_status(OldBotocore(), ACCOUNT) == (None, False)


def test_a_refused_status_read_names_the_permission():
    with pytest.raises(MspAwsError) as raised:
        get_update_status(FakeAccount(errors={"GetPrimaryEmailUpdateStatus": "AccessDeniedException"}), ACCOUNT)
    assert "account:GetPrimaryEmailUpdateStatus" in raised.value.message


ACCEPT_ERROR_CASES = [
    # case, error code, words in the message
    ("wrong-or-expired-code", "ValidationException", ["otp:", "wrong or has expired", "resend=true"]),
    ("no-update-for-the-address", "ResourceNotFoundException", ["otp:", "Run without otp"]),
    ("address-taken-meanwhile", "ConflictException", ["email:", "already in use"]),
    ("no-trusted-access", "AccessDeniedException", ["refused", "trusted access", "not the management account"]),
]


@pytest.mark.parametrize(
    ("code", "words"), [case[1:] for case in ACCEPT_ERROR_CASES], ids=[case[0] for case in ACCEPT_ERROR_CASES]
)
def test_a_refused_code_says_what_to_do(code, words):
    with pytest.raises(MspAwsError) as raised:
        accept_update(FakeAccount(errors={"AcceptPrimaryEmailUpdate": code}), ACCOUNT, NEW, "123456")
    for word in words:
        assert word in raised.value.message


def test_a_code_taken_by_an_attempt_whose_answer_was_lost_is_success():
    client = FakeAccount(email=NEW, errors={"AcceptPrimaryEmailUpdate": "ResourceNotFoundException"})
    assert accept_update(client, ACCOUNT, NEW, "123456") == "ACCEPTED"
    assert client.calls == ["AcceptPrimaryEmailUpdate", "GetPrimaryEmail"]


START_ERROR_CASES = [
    ("address-of-another-account", "ConflictException", "email: it@acme.example is already in use"),
    ("address-refused", "ValidationException", "email: AWS refused it@acme.example"),
    ("unknown-account", "ResourceNotFoundException", "account_id: AWS knows no account"),
]


@pytest.mark.parametrize(
    ("code", "words"), [case[1:] for case in START_ERROR_CASES], ids=[case[0] for case in START_ERROR_CASES]
)
def test_a_refused_start_names_the_option(code, words):
    with pytest.raises(MspAwsError) as raised:
        start_update(FakeAccount(errors={"StartPrimaryEmailUpdate": code}), ACCOUNT, NEW)
    assert words in raised.value.message
