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

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import (
    SESSION_NAME_PREFIX,
    MspAwsError,
    concurrent_modification_retry,
    error_code,
    standard_retry_config,
)

DEFAULT_ACCESS_ROLE_NAME = "OrganizationAccountAccessRole"
# Errors that mean "not yet" for a fresh account, rather than "never". InvalidClientTokenId is not one:
# it means the caller's own keys are bad, which no wait mends.
NOT_YET_ERRORS = ("AccessDenied", "AccessDeniedException")
SESSION_NAME_MAX_LENGTH = 64


def role_arn(partition, account_id, role_name, path="/"):
    return f"arn:{partition}:iam::{account_id}:role{path}{role_name}"


def partition_of(arn):
    """The partition of an ARN (aws, aws-cn, aws-us-gov), or 'aws' when there is none to read."""
    parsed = parse_aws_arn(arn or "")
    return parsed["partition"] if parsed else "aws"


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
    timeout_option=None,
):
    """Credentials (boto3 keyword names) for ``arn``, retrying AccessDenied until ``timeout`` seconds.

    Returns ``(credentials, attempts)``. A timeout raises MspAwsError naming the role, the attempts and the
    last AWS error, so the caller can tell "the account is still settling" from "the role does not trust us";
    ``timeout_option`` names the caller's option for ``timeout`` in that message.
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
                raise_it = f"raise {timeout_option}" if timeout_option else "raise the timeout"
                raise MspAwsError(
                    message=(
                        f"Could not assume {arn} after {attempts} attempts in {timeout} s: AWS still refuses it. "
                        "A newly created account can take several minutes before its access role works; "
                        f"run again later or {raise_it}. Otherwise check that the role exists and trusts "
                        "these credentials' account"
                    ),
                    exception=e,
                ) from e
            sleep(min(delay, remaining))
            delay = min(delay * 2, max_delay)


# Region prefixes of the partitions other than "aws" (botocore's endpoints data, without loading it).
PARTITION_REGION_PREFIXES = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-iso-", "aws-iso"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-isof-", "aws-iso-f"),
)


def partition_for_region(region):
    """The partition a region belongs to ('aws' for the commercial regions and when no region is known).

    The modules that work in a client account take the partition from the region, so a run against
    aws-cn or aws-us-gov must set ``region`` (or AWS_REGION): that costs no call on a no-op run.
    """
    for prefix, partition in PARTITION_REGION_PREFIXES:
        if (region or "").startswith(prefix):
            return partition
    return "aws"


# The options of every module that works inside a client account, reached either through the connection
# options directly or by assuming the account's access role from the management account.
ACCESS_ARGUMENT_SPEC = {
    "account_id": {"type": "str"},
    "access_role_name": {"type": "str", "default": DEFAULT_ACCESS_ROLE_NAME},
    "access_external_id": {"type": "str", "no_log": False},
    "access_timeout": {"type": "int", "default": 300},
}


def client_account_credentials(sts_client, partition, account_id, access_role_name, purpose, external_id=None, **kw):
    """Credentials inside ``account_id`` through its access role, or None when no account_id is given
    (the connection options then already point into the account)."""
    if not account_id:
        return None
    credentials, _attempts = assume_role(
        sts_client, role_arn(partition, account_id, access_role_name), purpose, external_id=external_id, **kw
    )
    return credentials


def client_account_clients(make_client, region, access, purpose, services):
    """Clients (``make_client`` is AnsibleAWSModule.client) inside the client account: through its access
    role when ``access['account_id']`` is set, else with the connection as given. ``access`` holds the
    options of ACCESS_ARGUMENT_SPEC."""
    retrying = {"retry_decorator": concurrent_modification_retry, "config": standard_retry_config()}
    credentials = client_account_credentials(
        make_client("sts", **retrying) if access["account_id"] else None,
        partition_for_region(region),
        access["account_id"],
        access["access_role_name"],
        purpose,
        external_id=access["access_external_id"],
        timeout=access["access_timeout"],
        timeout_option="access_timeout",
    )
    return [make_client(service, **retrying, **(credentials or {})) for service in services]


def caller_account_id(sts_client):
    """The account the credentials act in (one GetCallerIdentity): for predicting a new role's ARN."""
    try:
        return sts_client.get_caller_identity(aws_retry=True)["Account"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise MspAwsError(message="Failed to find which account the credentials belong to", exception=e) from e
