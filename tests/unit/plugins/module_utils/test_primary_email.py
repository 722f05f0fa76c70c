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
    run_state,
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
    # action, state reported (and predicted in check mode), email after
    (UP_TO_DATE, UPDATED, NEW),
    (ACCEPT, ACCEPTED, NEW),
    (START, PENDING, OLD),
    (WAIT_FOR_CODE, PENDING, OLD),
    (PROPAGATING, ACCEPTED, OLD),
]


@pytest.mark.parametrize(("action", "state", "after"), STATE_CASES, ids=[case[0] for case in STATE_CASES])
def test_state_and_email_after(action, state, after):
    current = NEW if action == UP_TO_DATE else OLD
    assert STATE[action] == state
    assert email_after(action, NEW, current) == after


ACCEPT_STATE_CASES = [
    # case, AcceptPrimaryEmailUpdate's Status (None: check mode), state reported
    ("check-mode-predicts-accepted", None, ACCEPTED),
    ("aws-accepted-the-change-is-arriving", "ACCEPTED", ACCEPTED),
    ("aws-pending-the-change-is-arriving", "PENDING", ACCEPTED),
    ("aws-completed", "COMPLETED", UPDATED),
]


@pytest.mark.parametrize(
    ("status", "state"), [c[1:] for c in ACCEPT_STATE_CASES], ids=[c[0] for c in ACCEPT_STATE_CASES]
)
def test_a_code_taken_is_updated_only_once_aws_says_completed(status, state):
    assert run_state(ACCEPT, status) == state
    words = message(ACCEPT, ACCOUNT, NEW, OLD, accept_status=status)
    if state == UPDATED:
        assert f"is now {NEW}" in words
    else:
        assert "AWS accepted the code" in words and "four hours" in words and "is now" not in words


def test_other_actions_report_their_state_whatever_the_status():
    for action, state in STATE.items():
        if action != ACCEPT:
            assert run_state(action, "COMPLETED") == state


def test_messages_say_what_to_do_next():
    assert "Run again with otp" in message(START, ACCOUNT, NEW, OLD)
    assert message(START, ACCOUNT, NEW, OLD).startswith("AWS mailed a one-time code")
    waiting = message(WAIT_FOR_CODE, ACCOUNT, NEW, OLD, update("PENDING", 2))
    assert "no new code was sent" in waiting and "resend=true" in waiting and "2026-11-24T10:00:00" in waiting
    assert f"is now {NEW}" in message(ACCEPT, ACCOUNT, NEW, OLD, accept_status="COMPLETED")
    assert "four hours" in message(PROPAGATING, ACCOUNT, NEW, OLD, update("ACCEPTED", 1))
    assert "Nothing was sent" in message(PROPAGATING, ACCOUNT, NEW, OLD, update("ACCEPTED", 1))
    assert message(UP_TO_DATE, ACCOUNT, NEW, NEW) == f"The root email of account {ACCOUNT} is {NEW}."


CHECK_MODE_MESSAGE_CASES = [
    # action, words a check-mode message must have, words it must not (claims of what did not happen)
    (START, ["AWS would mail a one-time code", "would stay", "Nothing was sent in check mode"], ["mailed", "stays"]),
    (ACCEPT, ["would be given to AWS", "cannot tell whether AWS takes it"], ["is now", "AWS accepted"]),
    (WAIT_FOR_CODE, ["no new code would be sent"], ["was sent"]),
    (PROPAGATING, ["Nothing would be sent"], ["was sent"]),
    (UP_TO_DATE, [f"is {NEW}"], []),
]


@pytest.mark.parametrize(
    ("action", "words", "absent"), CHECK_MODE_MESSAGE_CASES, ids=[c[0] for c in CHECK_MODE_MESSAGE_CASES]
)
def test_check_mode_messages_say_what_would_happen(action, words, absent):
    current = NEW if action == UP_TO_DATE else OLD
    latest = update("ACCEPTED", 1) if action == PROPAGATING else update("PENDING", 1)
    said = message(action, ACCOUNT, NEW, current, latest, check_mode=True)
    for word in words:
        assert word in said
    for word in absent:
        assert word not in said


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


IN_USE = "The email address is already in use by another AWS account."


def client_error(code, action, said="refused"):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": said}}, action)


class FakeAccount:
    """The Account API: ``errors`` maps an action to an error code, or to (code, AWS's message)."""

    def __init__(self, email=OLD, errors=None, status=None, accept_status="ACCEPTED"):
        self.email = email
        self.errors = errors or {}
        self.status = status
        self.accept_status = accept_status
        self.calls = []

    def _answer(self, action, answer):
        self.calls.append(action)
        if action in self.errors:
            error = self.errors[action]
            code, said = error if isinstance(error, tuple) else (error, "refused")
            raise client_error(code, action, said)
        return answer

    def get_primary_email(self, AccountId, aws_retry):
        return self._answer("GetPrimaryEmail", {"PrimaryEmail": self.email})

    def get_primary_email_update_status(self, AccountId, aws_retry):
        return self._answer("GetPrimaryEmailUpdateStatus", self.status)

    def start_primary_email_update(self, AccountId, PrimaryEmail, aws_retry):
        return self._answer("StartPrimaryEmailUpdate", {"Status": "PENDING"})

    def accept_primary_email_update(self, AccountId, PrimaryEmail, Otp, aws_retry):
        return self._answer("AcceptPrimaryEmailUpdate", {"Status": self.accept_status})


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
    ("address-taken-meanwhile", ("ConflictException", IN_USE), ["email:", "already in use", IN_USE]),
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
    # GetPrimaryEmail gives the new address already: the change is complete.
    assert accept_update(client, ACCOUNT, NEW, "123456") == "COMPLETED"
    assert client.calls == ["AcceptPrimaryEmailUpdate", "GetPrimaryEmail"]


@pytest.mark.parametrize("status", ["ACCEPTED", "PENDING"])
def test_accept_gives_aws_status(status):
    assert accept_update(FakeAccount(accept_status=status), ACCOUNT, NEW, "123456") == status


START_ERROR_CASES = [
    ("address-of-another-account", ("ConflictException", IN_USE), "email: it@acme.example is already in use"),
    ("aws-own-words-kept", ("ConflictException", IN_USE), f"(StartPrimaryEmailUpdate: {IN_USE})"),
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


OTHER_CONFLICT = "The account is being closed and cannot be updated."
CONFLICT_CASES = [
    # case, AWS's message
    ("another-conflict", OTHER_CONFLICT),
    ("no-words-at-all", ""),
]


@pytest.mark.parametrize("said", [c[1] for c in CONFLICT_CASES], ids=[c[0] for c in CONFLICT_CASES])
def test_a_conflict_that_is_not_an_address_in_use_is_not_called_one(said):
    for action, call in (
        ("StartPrimaryEmailUpdate", lambda client: start_update(client, ACCOUNT, NEW)),
        ("AcceptPrimaryEmailUpdate", lambda client: accept_update(client, ACCOUNT, NEW, "123456")),
    ):
        with pytest.raises(MspAwsError) as raised:
            call(FakeAccount(errors={action: ("ConflictException", said)}))
        words = raised.value.message
        assert "in use" not in words and not words.startswith("email:")
        assert f"{action} for account {ACCOUNT} to {NEW} was refused because of a conflict" in words
        assert f"AWS says: {said or 'nothing more'}" in words
