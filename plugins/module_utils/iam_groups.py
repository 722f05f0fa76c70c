# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reads of IAM groups, their members and attached policies, of users, and of the customer-managed policies
on one path, for the engineers' side.

Every list asks for IAM's largest page (1000 items), so a no-op run makes: per group one GetGroup (one more
per further page of members, when a group has more than IAM puts on a page) and one
ListAttachedGroupPolicies (a group holds at most 20); one GetUser per user; one ListPolicies for the policies
on a path (more only past 1000 of them); and one GetPolicyVersion per policy document read (plus a GetPolicy
when the policy's default version is not known from that list). All of it answers in check mode too.
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError

    BOTO_ERRORS = (ClientError, BotoCoreError)
except ImportError:
    BOTO_ERRORS = ()  # The modules report a missing botocore through AnsibleAWSModule.

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import MspAwsError
from ansible_collections.msp.aws_accounts.plugins.module_utils.policies import parse_policy

# IAM's MaxItems limit for its list calls: the fewest pages.
PAGE_SIZE = 1000


def _pages(client, operation, result_key, **params):
    """Every item of a paginated IAM list (botocore's paginator; the client's retry config applies)."""
    pages = client.get_paginator(operation).paginate(PaginationConfig={"PageSize": PAGE_SIZE}, **params)
    return pages.build_full_result().get(result_key, [])


def read_group(client, name):
    """``{name, exists, arn, path, users, attached_policies: [{name, arn}]}``; exists false when there is none."""
    try:
        pages = client.get_paginator("get_group").paginate(GroupName=name, PaginationConfig={"PageSize": PAGE_SIZE})
        group, users = None, []
        for page in pages:
            group = page["Group"]
            users += [user["UserName"] for user in page.get("Users", [])]
    except is_boto3_error_code("NoSuchEntity"):
        return {"name": name, "exists": False, "arn": None, "path": None, "users": [], "attached_policies": []}
    except BOTO_ERRORS as e:  # pylint: disable=duplicate-except
        raise MspAwsError(message=f"Failed to read group {name}", exception=e) from e
    try:
        attached = _pages(client, "list_attached_group_policies", "AttachedPolicies", GroupName=name)
    except BOTO_ERRORS as e:
        raise MspAwsError(message=f"Failed to list the policies attached to group {name}", exception=e) from e
    return {
        "name": name,
        "exists": True,
        "arn": group["Arn"],
        "path": group.get("Path", "/"),
        "users": sorted(users),
        "attached_policies": sorted(
            ({"name": p["PolicyName"], "arn": p["PolicyArn"]} for p in attached), key=lambda p: p["name"]
        ),
    }


def read_user(client, name):
    """``{name, exists, arn, path}``."""
    try:
        user = client.get_user(UserName=name, aws_retry=True)["User"]
    except is_boto3_error_code("NoSuchEntity"):
        return {"name": name, "exists": False, "arn": None, "path": None}
    except BOTO_ERRORS as e:  # pylint: disable=duplicate-except
        raise MspAwsError(message=f"Failed to read user {name}", exception=e) from e
    return {"name": name, "exists": True, "arn": user["Arn"], "path": user.get("Path", "/")}


def list_policies(client, path):
    """The account's own managed policies on ``path`` and below, sorted by name:
    ``[{name, arn, path, default_version_id, attachment_count}]`` (one ListPolicies per 1000)."""
    try:
        found = _pages(client, "list_policies", "Policies", Scope="Local", PathPrefix=path)
    except BOTO_ERRORS as e:
        raise MspAwsError(message=f"Failed to list the managed policies on path {path}", exception=e) from e
    return sorted(
        (
            {
                "name": p["PolicyName"],
                "arn": p["Arn"],
                "path": p.get("Path", "/"),
                "default_version_id": p.get("DefaultVersionId"),
                "attachment_count": p.get("AttachmentCount", 0),
            }
            for p in found
        ),
        key=lambda p: p["name"],
    )


def policy_document(client, arn, version=None):
    """The default version's document of a managed policy (``version``, when known, saves the GetPolicy),
    or None when the policy is gone."""
    try:
        if version is None:
            version = client.get_policy(PolicyArn=arn, aws_retry=True)["Policy"]["DefaultVersionId"]
        document = client.get_policy_version(PolicyArn=arn, VersionId=version, aws_retry=True)["PolicyVersion"][
            "Document"
        ]
    except is_boto3_error_code("NoSuchEntity"):
        return None
    except BOTO_ERRORS as e:  # pylint: disable=duplicate-except
        raise MspAwsError(message=f"Failed to read managed policy {arn}", exception=e) from e
    return parse_policy(document, arn)


def attached_documents(client, groups, names, listed=None):
    """``{policy name: document}`` of the policies named in ``names`` that are attached to one of ``groups``.

    ``listed`` (from :func:`list_policies`) gives default versions, so those policies need no GetPolicy. A
    policy deleted since the groups were read is left out.
    """
    wanted = set(names or [])
    versions = {p["arn"]: p["default_version_id"] for p in listed or []}
    arns = {p["name"]: p["arn"] for group in groups for p in group["attached_policies"] if p["name"] in wanted}
    documents = {name: policy_document(client, arn, versions.get(arn)) for name, arn in sorted(arns.items())}
    return {name: document for name, document in documents.items() if document is not None}
