# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every module of the collection shares: its error type, its retry policies and its name in AWS.

Helpers in module_utils raise :class:`MspAwsError` (an amazon.aws ``AnsibleAWSError``), never exit, and
take arguments rather than the module, so a module's single ``except`` hands every failure to
``module.fail_json_aws_error``.
"""

try:
    from botocore.config import Config
except ImportError:
    pass  # The modules report a missing botocore through AnsibleAWSModule.

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

COLLECTION = "msp.aws_accounts"
# Role session names show up in the client account's CloudTrail: they say who came in and why.
SESSION_NAME_PREFIX = "msp-aws-accounts"

# botocore retries throttling (TooManyRequestsException) in standard mode, but not
# ConcurrentModificationException, which Organizations and IAM raise while another writer holds the
# resource. Reads and idempotent writes retry both; non-idempotent submissions (CreateAccount,
# InviteAccountToOrganization) never go through this decorator.
concurrent_modification_retry = AWSRetry.jittered_backoff(
    retries=8,
    delay=1,
    max_delay=15,
    catch_extra_error_codes=["ConcurrentModificationException", "TooManyRequestsException"],
)


def quiet_access_key(argument_spec):
    """A module's ``argument_spec`` with amazon.aws's ``access_key`` kept out of the output.

    amazon.aws declares ``access_key`` with ``no_log=False``, so ``-vvv`` shows the key id of the MSP's automation
    user, and of every client-account session, in each task's ``invocation``: in an AWX job's output for anyone who
    may read it. The option stays amazon.aws's in every other respect (aliases, environment fallback), so the
    documentation fragment still describes it."""
    # Imported here: the filter plugins import this file on the controller, and need none of AnsibleAWSModule.
    from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec

    return dict(argument_spec, access_key=dict(aws_argument_spec()["access_key"], no_log=True))


class MspAwsError(AnsibleAWSError):
    """A failure the collection explains in its own words; ``exception`` keeps AWS's error if there was one."""


class InvalidInput(MspAwsError):
    """Bad input, found before anything is written to AWS. The message names the option and the rule."""

    def __init__(self, option, rule):
        super().__init__(message=f"{option}: {rule}")
        self.option = option
        self.rule = rule


def standard_retry_config(max_attempts=8):
    """botocore's standard retry mode: it retries throttling on every service, including the Account API,
    which legacy mode stops retrying once an Organizations client has been built in the process."""
    return Config(retries={"mode": "standard", "max_attempts": max_attempts})


def single_attempt_config():
    """For writes that must never be sent twice by botocore: a dropped answer could mean AWS acted."""
    return Config(retries={"mode": "standard", "total_max_attempts": 1})


def tags_after(current, to_set, keys_to_unset):
    """The tags a resource holds once the outcome of amazon.aws ``compare_aws_tags`` is applied to ``current``:
    what check mode predicts and what a run reports, for accounts, OUs and roles alike."""
    after = {key: value for key, value in (current or {}).items() if key not in keys_to_unset}
    after.update(to_set)
    return after


def error_code(exception):
    """The AWS error code of a botocore ClientError, or None for anything else."""
    response = getattr(exception, "response", None) or {}
    return response.get("Error", {}).get("Code")


def error_message(exception):
    """AWS's own message of a botocore ClientError ("" when it gave none), or the text of anything else."""
    response = getattr(exception, "response", None)
    if response is None:
        return str(exception)
    return response.get("Error", {}).get("Message") or ""
