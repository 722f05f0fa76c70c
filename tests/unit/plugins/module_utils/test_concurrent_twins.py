"""Organization-level writes when another run (an AWX job slice) does the same at the same moment: AWS's
ConcurrentModificationException (botocore does not retry it) and throttling are retried with jitter through the
collection's AWSRetry decorator, then the write converges; other refusals are not retried. Table-driven, no AWS:
a fake client answers each call from a script, wrapped as module.client() wraps the real one."""

import pytest
from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from botocore.exceptions import ClientError

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import (
    MspAwsError,
    concurrent_modification_retry,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.root_access import set_feature
from ansible_collections.msp.aws_accounts.plugins.module_utils.trusted_access import set_service_access

OK = {}


class Scripted:
    """Every method answers the next entry of ``script``: an error code raises it, anything else is returned."""

    def __init__(self, script):
        self.script = list(script)
        self.calls = 0

    def __getattr__(self, name):
        def call(**params):
            self.calls += 1
            answer = self.script.pop(0) if self.script else OK
            if isinstance(answer, str):
                raise ClientError({"Error": {"Code": answer, "Message": answer}}, name)
            return answer

        return call


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch):
    monkeypatch.setattr(cloud.time, "sleep", lambda seconds: None)


def write_feature(client):
    set_feature(client, "EnableOrganizationsRootSessions")


def write_service_access(client):
    set_service_access(client, "iam.amazonaws.com", enable=True)


CME = "ConcurrentModificationException"
# case: (write, AWS's answers, calls made, error or None)
CASES = {
    "root-sessions-twin-at-work-then-done": (write_feature, [CME, OK], 2, None),
    "root-sessions-throttled-then-done": (write_feature, ["TooManyRequestsException", CME, OK], 3, None),
    "root-sessions-twin-never-done": (write_feature, [CME] * 20, 8, "EnableOrganizationsRootSessions failed"),
    "root-sessions-refusal-not-retried": (
        write_feature,
        ["CallerIsNotManagementAccountException"],
        1,
        "only the organization's management account",
    ),
    "trusted-access-twin-at-work-then-done": (write_service_access, [CME, CME, OK], 3, None),
    "trusted-access-refusal-not-retried": (write_service_access, ["AccessDeniedException"], 1, "was refused"),
}


@pytest.mark.parametrize(("write", "answers", "calls", "failure"), CASES.values(), ids=CASES)
def test_organization_level_writes_retry_a_concurrent_twin(write, answers, calls, failure):
    client = Scripted(answers)
    wrapped = RetryingBotoClientWrapper(client, concurrent_modification_retry)
    if failure:
        with pytest.raises(MspAwsError, match=failure):
            write(wrapped)
    else:
        write(wrapped)
    assert client.calls == calls
