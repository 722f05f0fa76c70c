# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A member account's primary (root user) email, changed from the management account in two runs: the first
asks AWS to mail a one-time code to the new address (StartPrimaryEmailUpdate), the second gives that code back
(AcceptPrimaryEmailUpdate). The email changes only then.

Pure: :func:`validate` and :func:`primary_email_action` (what a run does, from the address asked for, the code
if one is given, and what AWS holds), shared by the module and its check mode. The calls follow (Account
Management API, with ``AccountId``: AWS allows these only from the organization's management account, or a
delegated administrator, for a member account, with trusted access for ``account.amazonaws.com``).

AWS says which state the account's most recent update is in (GetPrimaryEmailUpdateStatus: PENDING, ACCEPTED,
COMPLETED, FAILED and when it last changed) but not to which address. So a pending update is taken to be the
one asked for, and no second code is sent for it unless ``resend`` says so: a second StartPrimaryEmailUpdate
would mail a new code, and the client may already be reading the first.
"""

import re
from datetime import timedelta

try:
    import botocore
except ImportError:
    pass  # The modules report a missing botocore through AnsibleAWSModule.

from ansible_collections.msp.aws_accounts.plugins.module_utils.account_api import TRUSTED_ACCESS_HINT
from ansible_collections.msp.aws_accounts.plugins.module_utils.common import (
    InvalidInput,
    MspAwsError,
    error_code,
    error_message,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.validation import require_account_id, require_email

# AcceptPrimaryEmailUpdate's Otp in the botocore model.
OTP_PATTERN = re.compile(r"^[A-Za-z0-9]{6}\Z")
# How long a code can be used: the AWS Account Management guide gives 24 hours for the console's code; the API
# reference gives none. An update PENDING for longer is taken as expired, so a new code is sent.
CODE_VALIDITY = timedelta(hours=24)
# "Changes to an AWS account can take up to four hours to propagate everywhere" (Account Management guide): an
# update ACCEPTED that recently is still arriving, even if GetPrimaryEmail gives the old address.
PROPAGATION = timedelta(hours=4)

# What a run does.
UP_TO_DATE = "up_to_date"  # the email is the one asked for: nothing to do
START = "start"  # StartPrimaryEmailUpdate: AWS mails a code to the new address
WAIT_FOR_CODE = "wait_for_code"  # an update is pending and its code still valid: send nothing, ask for the code
ACCEPT = "accept"  # AcceptPrimaryEmailUpdate with the code given
PROPAGATING = "propagating"  # AWS accepted a code lately; the change is still arriving: send nothing
WRITES = (START, ACCEPT)

# The state the module reports.
UPDATED = "updated"
PENDING = "pending"
ACCEPTED = "accepted"
# What a run reports, and check mode predicts. AcceptPrimaryEmailUpdate answers PENDING or ACCEPTED (its documented
# values), and GetPrimaryEmail can lag up to four hours behind: a run that gave the code reports ``accepted``, unless
# AWS says COMPLETED (see :func:`run_state`).
STATE = {UP_TO_DATE: UPDATED, ACCEPT: ACCEPTED, START: PENDING, WAIT_FOR_CODE: PENDING, PROPAGATING: ACCEPTED}


def otp_problem(otp):
    if not isinstance(otp, str) or not OTP_PATTERN.match(otp):
        return "must be the 6 letters or digits of the code AWS mailed to the new address"
    return None


def validate(account_id, email, otp=None, resend=False):
    """The module's options, checked before any call; InvalidInput names the option. Returns the code stripped
    of the spaces a copy from a mail may bring, or None."""
    require_account_id(account_id, "account_id")
    # The Account API takes a PrimaryEmail of 5 to 64 characters, require_email (shared with CreateAccount and
    # the invitations, whose minimum is 6) 6 to 64. Kept at 6: the other rules need "x@y.z" at least, so the only
    # 5-character addresses have a one-letter top-level domain, and no such domain exists - no real address is
    # refused, and the collection applies one rule to every root email.
    require_email(email, "email")
    if otp is not None:
        otp = otp.strip()
        problem = otp_problem(otp)
        if problem:
            raise InvalidInput("otp", problem)
        if resend:
            raise InvalidInput("resend", "cannot be combined with otp: give the code, or ask for a new one")
    return otp


def same_email(first, second):
    """AWS treats email addresses case-insensitively."""
    return (first or "").strip().lower() == (second or "").strip().lower()


def update_in_flight(update, now):
    """PENDING (a code is out and still valid), ACCEPTED (a code was taken and the change is propagating) or
    None, from GetPrimaryEmailUpdateStatus as ``{"status", "updated_at"}`` (None when there is no update, or the
    status cannot be read)."""
    if not update:
        return None
    age = now - update["updated_at"]
    if update["status"] == "PENDING" and age < CODE_VALIDITY:
        return "PENDING"
    if update["status"] == "ACCEPTED" and age < PROPAGATION:
        return "ACCEPTED"
    return None


def primary_email_action(desired, actual, now):
    """What a run does. ``desired``: ``{"email", "otp", "resend"}``; ``actual``: ``{"email", "update"}`` (the
    primary email AWS gives now, and the most recent update as for :func:`update_in_flight`)."""
    if same_email(desired["email"], actual["email"]):
        return UP_TO_DATE
    in_flight = update_in_flight(actual.get("update"), now)
    if desired.get("otp"):
        return PROPAGATING if in_flight == "ACCEPTED" else ACCEPT
    if desired.get("resend"):
        return START
    if in_flight == "PENDING":
        return WAIT_FOR_CODE
    if in_flight == "ACCEPTED":
        return PROPAGATING
    return START


def email_after(action, desired_email, current_email):
    """The primary email once the action is done: it changes only when a code is accepted."""
    return desired_email if action == ACCEPT else current_email


def run_state(action, accept_status=None):
    """The state a run reports: :data:`STATE`, except that a code AWS took (AcceptPrimaryEmailUpdate's Status,
    None in check mode) is ``updated`` only when AWS says the change is COMPLETED. ACCEPTED (and PENDING) mean
    AWS took the code but GetPrimaryEmail may give the old address for up to four hours."""
    if action == ACCEPT and accept_status == "COMPLETED":
        return UPDATED
    return STATE[action]


def message(action, account_id, desired_email, current_email, update=None, check_mode=False, accept_status=None):
    """What the run did - or, in ``check_mode``, would do - and what to do next. ``accept_status`` is
    AcceptPrimaryEmailUpdate's Status after a run that gave the code."""
    since = f" since {update['updated_at'].isoformat()}" if update else ""
    if action == UP_TO_DATE:
        return f"The root email of account {account_id} is {current_email}."
    if action == ACCEPT and check_mode:
        return (
            f"The code would be given to AWS to make {desired_email} the root email of account {account_id} (it is "
            f"{current_email}); check mode cannot tell whether AWS takes it."
        )
    if action == ACCEPT and run_state(action, accept_status) == UPDATED:
        return f"The root email of account {account_id} is now {desired_email} (it was {current_email})."
    if action == ACCEPT:
        return (
            f"AWS accepted the code: the root email of account {account_id} becomes {desired_email} (it was "
            f"{current_email}). The change can take up to four hours to show everywhere; until then GetPrimaryEmail "
            f"may still give {current_email}, and a run reports it as accepted, sending nothing."
        )
    if action == START and check_mode:
        return (
            f"AWS would mail a one-time code to {desired_email} to make it the root email of account {account_id}; "
            f"the root email would stay {current_email} until the code is given back. Nothing was sent in check "
            f"mode."
        )
    if action == START:
        return (
            f"AWS mailed a one-time code to {desired_email} to make it the root email of account {account_id}; "
            f"the root email stays {current_email} until the code is given back. Run again with otp set to that "
            f"code (it is valid for 24 hours)."
        )
    if action == WAIT_FOR_CODE:
        return (
            f"An update of the root email of account {account_id} has been pending{since}, and its code is still "
            f"valid, so no new code {'would be' if check_mode else 'was'} sent; the root email stays "
            f"{current_email}. Run again with otp set to the code mailed to {desired_email}. AWS does not say to "
            f"which address that update was started: if it was another one, or the code is lost, run with "
            f"resend=true to mail a new code to {desired_email}."
        )
    return (
        f"AWS accepted a code for the root email of account {account_id}{since}; the change can take up to four "
        f"hours to show everywhere, and GetPrimaryEmail still gives {current_email}. Nothing "
        f"{'would be' if check_mode else 'was'} sent; run again later."
    )


# --- the calls ------------------------------------------------------------------------------------------------

REFUSED_HINT = (
    "the caller must be the organization's management account (or a delegated administrator for Account "
    "Management), account_id must be a member account of that organization (not the management account itself, "
    "whose root email only its root user can change, in the console), and "
)


def _failure(e, action, account_id, email=None):
    code = error_code(e)
    if code == "AccessDeniedException":
        return MspAwsError(
            message=f"{action} for account {account_id} was refused: {REFUSED_HINT}{TRUSTED_ACCESS_HINT}", exception=e
        )
    if code == "ResourceNotFoundException":
        return MspAwsError(message=f"account_id: AWS knows no account {account_id} ({action})", exception=e)
    if code == "ConflictException" and email:
        # AWS gives ConflictException for an address another account has, and for other conflicts with the
        # account's current state: only AWS's own message tells which.
        said = error_message(e)
        if "in use" in said.lower():
            return MspAwsError(
                message=f"email: {email} is already in use by another AWS account, and AWS refuses it ({action}: "
                f"{said})",
                exception=e,
            )
        return MspAwsError(
            message=(
                f"{action} for account {account_id} to {email} was refused because of a conflict with the account's "
                f"current state; the root email was not changed. AWS says: {said or 'nothing more'}"
            ),
            exception=e,
        )
    if code == "ValidationException" and email:
        return MspAwsError(message=f"email: AWS refused {email} ({action})", exception=e)
    return MspAwsError(message=f"{action} for account {account_id} failed", exception=e)


def get_primary_email(client, account_id):
    try:
        return client.get_primary_email(AccountId=account_id, aws_retry=True)["PrimaryEmail"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise _failure(e, "GetPrimaryEmail", account_id) from e


def get_update_status(client, account_id):
    """``({"status", "updated_at"} or None, known)``: the account's most recent primary email update, None when
    there is none. ``known`` is False when this botocore does not have GetPrimaryEmailUpdateStatus (AWS added
    it after the first three calls), so whether a code is out cannot be told."""
    if not hasattr(client, "get_primary_email_update_status"):
        return None, False
    try:
        found = client.get_primary_email_update_status(AccountId=account_id, aws_retry=True)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        if error_code(e) == "ResourceNotFoundException":
            return None, True
        if error_code(e) == "AccessDeniedException":
            raise MspAwsError(
                message=(
                    f"GetPrimaryEmailUpdateStatus for account {account_id} was refused, though GetPrimaryEmail was "
                    f"allowed: the caller needs permission for account:GetPrimaryEmailUpdateStatus"
                ),
                exception=e,
            ) from e
        raise _failure(e, "GetPrimaryEmailUpdateStatus", account_id) from e
    return {"status": found["Status"], "updated_at": found["UpdatedAt"]}, True


def start_update(client, account_id, email):
    """StartPrimaryEmailUpdate: AWS mails a code to ``email``. Retried on throttling and on the errors botocore
    retries (a server error after AWS acted would mail a second code at worst)."""
    try:
        return client.start_primary_email_update(AccountId=account_id, PrimaryEmail=email, aws_retry=True)["Status"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise _failure(e, "StartPrimaryEmailUpdate", account_id, email) from e


def accept_update(client, account_id, email, otp):
    """AcceptPrimaryEmailUpdate: its Status (PENDING or ACCEPTED). A code AWS refuses is an error naming otp. If
    AWS has no update for ``email`` but the email already is ``email`` (an earlier attempt's answer was lost after
    AWS took the code), that is success, and COMPLETED: GetPrimaryEmail gives the new address already."""
    try:
        return client.accept_primary_email_update(AccountId=account_id, PrimaryEmail=email, Otp=otp, aws_retry=True)[
            "Status"
        ]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        code = error_code(e)
        if code == "ValidationException":
            raise MspAwsError(
                message=(
                    f"otp: AWS refused the code for {email} on account {account_id}: it is wrong or has expired. "
                    f"Give the newest code mailed to {email}, or run without otp and with resend=true to mail a new "
                    f"one"
                ),
                exception=e,
            ) from e
        if code == "ResourceNotFoundException":
            if same_email(get_primary_email(client, account_id), email):
                return "COMPLETED"
            raise MspAwsError(
                message=(
                    f"otp: no update of the root email of account {account_id} to {email} is waiting for a code "
                    f"(none was started for this address, or its code was used or expired). Run without otp to "
                    f"mail a code to {email}"
                ),
                exception=e,
            ) from e
        raise _failure(e, "AcceptPrimaryEmailUpdate", account_id, email) from e
