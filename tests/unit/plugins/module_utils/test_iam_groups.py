"""The reads behind aws_iam_group_info, against a stubbed IAM client (botocore's Stubber checks every call
and its parameters): paging, what is missing, what is refused, and the number of calls the docs promise."""

import json
from datetime import UTC, datetime

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from botocore.stub import Stubber

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import (
    MspAwsError,
    concurrent_modification_retry,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.iam_groups import (
    attached_documents,
    list_policies,
    read_group,
    read_user,
)

ACCOUNT = "123456789012"
PATH = "/msp-aws-accounts/"
WHEN = datetime(2024, 1, 1, tzinfo=UTC)
PAGE = {"MaxItems": 1000}


@pytest.fixture
def iam():
    """A real botocore IAM client whose answers are stubbed, wrapped as module.client() wraps it."""
    client = boto3.client("iam", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    with Stubber(client) as stubber:
        wrapped = RetryingBotoClientWrapper(client, concurrent_modification_retry)
        wrapped.stubber = stubber
        yield wrapped
        stubber.assert_no_pending_responses()


def group_page(name, users, marker=None):
    page = {
        "Group": {
            "Path": "/",
            "GroupName": name,
            "GroupId": "AGPA" + "X" * 17,
            "Arn": f"arn:aws:iam::{ACCOUNT}:group/{name}",
            "CreateDate": WHEN,
        },
        "Users": [
            {
                "Path": "/",
                "UserName": user,
                "UserId": "AIDA" + "X" * 17,
                "Arn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
                "CreateDate": WHEN,
            }
            for user in users
        ],
        "IsTruncated": marker is not None,
    }
    if marker:
        page["Marker"] = marker
    return page


def policy_arn(name, path=PATH):
    return f"arn:aws:iam::{ACCOUNT}:policy{path}{name}"


def attached_page(*names):
    return {"AttachedPolicies": [{"PolicyName": n, "PolicyArn": policy_arn(n)} for n in names], "IsTruncated": False}


def error(iam, operation, code, params):
    iam.stubber.add_client_error(operation, service_error_code=code, service_message=code, expected_params=params)


def test_a_group_of_more_than_a_page_of_members_is_read_in_full(iam):
    first = [f"engineer{n:03d}" for n in range(100)]
    second = [f"engineer{n:03d}" for n in range(100, 150)]
    iam.stubber.add_response(
        "get_group", group_page("msp-oncall", first, marker="m1"), {"GroupName": "msp-oncall", **PAGE}
    )
    iam.stubber.add_response(
        "get_group", group_page("msp-oncall", second), {"GroupName": "msp-oncall", "Marker": "m1", **PAGE}
    )
    iam.stubber.add_response(
        "list_attached_group_policies", attached_page("msp-oncall-client-roles-01"), {"GroupName": "msp-oncall", **PAGE}
    )
    group = read_group(iam, "msp-oncall")
    assert len(group["users"]) == 150
    assert group["users"] == sorted(first + second)
    assert group["attached_policies"] == [
        {"name": "msp-oncall-client-roles-01", "arn": policy_arn("msp-oncall-client-roles-01")}
    ]
    assert (group["exists"], group["path"]) == (True, "/")


def test_a_missing_group_is_reported_without_further_calls(iam):
    error(iam, "get_group", "NoSuchEntity", {"GroupName": "msp-nobody", **PAGE})
    assert read_group(iam, "msp-nobody") == {
        "name": "msp-nobody",
        "exists": False,
        "arn": None,
        "path": None,
        "users": [],
        "attached_policies": [],
    }


def test_a_refused_group_read_names_the_group(iam):
    error(iam, "get_group", "AccessDenied", {"GroupName": "msp-oncall", **PAGE})
    with pytest.raises(MspAwsError, match="Failed to read group msp-oncall"):
        read_group(iam, "msp-oncall")


def test_a_refused_policy_list_names_the_group(iam):
    iam.stubber.add_response("get_group", group_page("msp-oncall", []), {"GroupName": "msp-oncall", **PAGE})
    error(iam, "list_attached_group_policies", "AccessDenied", {"GroupName": "msp-oncall", **PAGE})
    with pytest.raises(MspAwsError, match="Failed to list the policies attached to group msp-oncall"):
        read_group(iam, "msp-oncall")


def test_users_missing_and_refused(iam):
    error(iam, "get_user", "NoSuchEntity", {"UserName": "dave"})
    assert read_user(iam, "dave") == {"name": "dave", "exists": False, "arn": None, "path": None}
    error(iam, "get_user", "AccessDenied", {"UserName": "erin"})
    with pytest.raises(MspAwsError, match="Failed to read user erin"):
        read_user(iam, "erin")


def listed_policy(name, version="v3", path=PATH, attachments=1):
    return {
        "PolicyName": name,
        "PolicyId": "ANPA" + "X" * 17,
        "Arn": policy_arn(name, path),
        "Path": path,
        "DefaultVersionId": version,
        "AttachmentCount": attachments,
        "IsAttachable": True,
    }


def test_the_policies_on_a_path_in_one_list_sorted(iam):
    iam.stubber.add_response(
        "list_policies",
        {"Policies": [listed_policy("b-client-roles-01", attachments=0), listed_policy("a-client-roles-01")]},
        {"Scope": "Local", "PathPrefix": PATH, **PAGE},
    )
    assert list_policies(iam, PATH) == [
        {
            "name": "a-client-roles-01",
            "arn": policy_arn("a-client-roles-01"),
            "path": PATH,
            "default_version_id": "v3",
            "attachment_count": 1,
        },
        {
            "name": "b-client-roles-01",
            "arn": policy_arn("b-client-roles-01"),
            "path": PATH,
            "default_version_id": "v3",
            "attachment_count": 0,
        },
    ]


def test_a_refused_policy_list_names_the_path(iam):
    error(iam, "list_policies", "AccessDenied", {"Scope": "Local", "PathPrefix": PATH, **PAGE})
    with pytest.raises(MspAwsError, match=f"Failed to list the managed policies on path {PATH}"):
        list_policies(iam, PATH)


DOCUMENT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}


def version_response(version="v3"):
    return {"PolicyVersion": {"Document": json.dumps(DOCUMENT), "VersionId": version, "IsDefaultVersion": True}}


def group_with(*names):
    return {"attached_policies": [{"name": n, "arn": policy_arn(n)} for n in names]}


def test_documents_only_of_requested_and_attached_policies_and_a_deleted_one_is_dropped(iam):
    groups = [group_with("a-client-roles-01", "a-client-roles-02", "TeamExtra")]
    listed = [
        {"arn": policy_arn("a-client-roles-01"), "default_version_id": "v3"},
        {"arn": policy_arn("a-client-roles-02"), "default_version_id": "v1"},
    ]
    # -01 is read with the listed default version; -02 was deleted after the list; TeamExtra is not requested,
    # and a-client-roles-03 is requested but attached to none of the groups: neither is read.
    iam.stubber.add_response(
        "get_policy_version", version_response(), {"PolicyArn": policy_arn("a-client-roles-01"), "VersionId": "v3"}
    )
    error(iam, "get_policy_version", "NoSuchEntity", {"PolicyArn": policy_arn("a-client-roles-02"), "VersionId": "v1"})
    names = ["a-client-roles-01", "a-client-roles-02", "a-client-roles-03"]
    assert attached_documents(iam, groups, names, listed) == {"a-client-roles-01": DOCUMENT}


def test_a_document_of_a_policy_not_listed_needs_its_default_version(iam):
    arn = policy_arn("a-client-roles-01")
    iam.stubber.add_response(
        "get_policy",
        {"Policy": {"PolicyName": "a-client-roles-01", "Arn": arn, "DefaultVersionId": "v2"}},
        {"PolicyArn": arn},
    )
    iam.stubber.add_response("get_policy_version", version_response("v2"), {"PolicyArn": arn, "VersionId": "v2"})
    assert attached_documents(iam, [group_with("a-client-roles-01")], ["a-client-roles-01"]) == {
        "a-client-roles-01": DOCUMENT
    }


def test_a_policy_deleted_before_its_default_version_is_read_is_dropped(iam):
    error(iam, "get_policy", "NoSuchEntity", {"PolicyArn": policy_arn("a-client-roles-01")})
    assert attached_documents(iam, [group_with("a-client-roles-01")], ["a-client-roles-01"]) == {}


def test_a_refused_document_read_names_the_policy(iam):
    arn = policy_arn("a-client-roles-01")
    error(iam, "get_policy_version", "AccessDenied", {"PolicyArn": arn, "VersionId": "v3"})
    with pytest.raises(MspAwsError, match=f"Failed to read managed policy {arn}"):
        attached_documents(
            iam, [group_with("a-client-roles-01")], ["a-client-roles-01"], [{"arn": arn, "default_version_id": "v3"}]
        )


def test_a_no_op_read_makes_the_calls_the_docs_promise(iam):
    """Three groups (two of them attached to one of our policies), two users, the policy list and two documents:
    3 GetGroup + 3 ListAttachedGroupPolicies + 2 GetUser + 1 ListPolicies + 2 GetPolicyVersion = 11, no GetPolicy.
    Stubber refuses any call not queued here, so one more would fail the test."""
    names = ["msp-admins", "msp-engineers", "msp-oncall"]
    for name in names:
        iam.stubber.add_response("get_group", group_page(name, ["alice"]), {"GroupName": name, **PAGE})
        policies = [f"{name}-client-roles-01"] if name != "msp-engineers" else []
        iam.stubber.add_response("list_attached_group_policies", attached_page(*policies), {"GroupName": name, **PAGE})
    for user in ("alice", "bob"):
        iam.stubber.add_response(
            "get_user",
            {
                "User": {
                    "Path": "/",
                    "UserName": user,
                    "UserId": "AIDA" + "X" * 17,
                    "Arn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
                    "CreateDate": WHEN,
                }
            },
            {"UserName": user},
        )
    iam.stubber.add_response(
        "list_policies",
        {"Policies": [listed_policy("msp-admins-client-roles-01"), listed_policy("msp-oncall-client-roles-01")]},
        {"Scope": "Local", "PathPrefix": PATH, **PAGE},
    )
    for name in ("msp-admins", "msp-oncall"):
        iam.stubber.add_response(
            "get_policy_version",
            version_response(),
            {"PolicyArn": policy_arn(f"{name}-client-roles-01"), "VersionId": "v3"},
        )
    groups = [read_group(iam, name) for name in names]
    users = [read_user(iam, user) for user in ("alice", "bob")]
    listed = list_policies(iam, PATH)
    documents = attached_documents(iam, groups, [f"{name}-client-roles-01" for name in names], listed)
    assert [u["exists"] for u in users] == [True, True]
    assert sorted(documents) == ["msp-admins-client-roles-01", "msp-oncall-client-roles-01"]
