# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Getting into a client's account: assume its access role from the management account's credentials.

Right after CreateAccount, AWS refuses AssumeRole into the new account's access role for minutes (users
report up to about 7), so AccessDenied is retried with a bounded backoff before it becomes an error.
"""

import time

try:
    import botocore
except ImportError:
    pass  # The modules report a missing botocore through AnsibleAWSModule.

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import (
    SESSION_NAME_PREFIX,
    MspAwsError,
    error_code,
)

DEFAULT_ACCESS_ROLE_NAME = "OrganizationAccountAccessRole"
# Errors that mean "not yet" for a fresh account, rather than "never".
NOT_YET_ERRORS = ("AccessDenied", "AccessDeniedException", "InvalidClientTokenId")
SESSION_NAME_MAX_LENGTH = 64


def role_arn(partition, account_id, role_name, path="/"):
    return f"arn:{partition}:iam::{account_id}:role{path}{role_name}"


def partition_of(arn):
    """The partition of an ARN (aws, aws-cn, aws-us-gov), or 'aws' when there is none to read."""
    parts = (arn or "").split(":")
    return parts[1] if len(parts) > 1 and parts[1] else "aws"


def session_name(purpose):
    """A role session name that says the collection came in, and for what (AWS allows [\\w+=,.@-], 2-64)."""
    cleaned = "".join(ch if ch.isalnum() or ch in "+=,.@-" else "-" for ch in purpose)
    return f"{SESSION_NAME_PREFIX}-{cleaned}"[:SESSION_NAME_MAX_LENGTH]


def assume_role(
    sts_client,
    arn,
    purpose,
    external_id=None,
    timeout=300,
    first_delay=2.0,
    max_delay=30.0,
    sleep=time.sleep,
    clock=time.monotonic,
):
    """Credentials (boto3 keyword names) for ``arn``, retrying AccessDenied until ``timeout`` seconds.

    Returns ``(credentials, attempts)``. A timeout raises MspAwsError naming the role, the attempts and the
    last AWS error, so the caller can tell "the account is still settling" from "the role does not trust us".
    """
    params = {"RoleArn": arn, "RoleSessionName": session_name(purpose)}
    if external_id:
        params["ExternalId"] = external_id
    deadline = clock() + timeout
    delay = first_delay
    attempts = 0
    while True:
        attempts += 1
        try:
            credentials = sts_client.assume_role(**params)["Credentials"]
            return (
                {
                    "aws_access_key_id": credentials["AccessKeyId"],
                    "aws_secret_access_key": credentials["SecretAccessKey"],
                    "aws_session_token": credentials["SessionToken"],
                },
                attempts,
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            if error_code(e) not in NOT_YET_ERRORS:
                raise MspAwsError(message=f"Failed to assume {arn}", exception=e) from e
            remaining = deadline - clock()
            if remaining <= 0:
                raise MspAwsError(
                    message=(
                        f"Could not assume {arn} after {attempts} attempts in {timeout} s: AWS still refuses it. "
                        "A newly created account can take several minutes before its access role works; "
                        "run again later or raise the timeout. Otherwise check that the role exists and trusts "
                        "these credentials' account"
                    ),
                    exception=e,
                ) from e
            sleep(min(delay, remaining))
            delay = min(delay * 2, max_delay)
