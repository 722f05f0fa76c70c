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

import json
import random
import time

try:
    from botocore.exceptions import BotoCoreError, ClientError

    BOTO_ERRORS = (ClientError, BotoCoreError)
except ImportError:
    BOTO_ERRORS = ()  # The modules report a missing botocore through AnsibleAWSModule.

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import MspAwsError
from ansible_collections.msp.aws_accounts.plugins.module_utils.engineer_access import (
    added_grants,
    deletable_versions,
    document_grants,
    kept_grants,
    merge_grants,
    rewrite_needed,
    version_number,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.engineer_access import (
    policy_document as merged_policy_document,
)
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


# --- one engineers' policy, written by several runs at once (see engineer_access's merge rules) -------------

# How many write-and-check rounds a run makes before it gives up, and the pause between them: a random share
# (jitter) of ROUND_PAUSE times the round, so concurrent writers stop colliding.
MAX_ROUNDS = 8
ROUND_PAUSE = 0.5


class MergedPolicy:
    """A customer-managed policy allowing sts:AssumeRole on role ARNs only with MFA, converged by merging:
    :meth:`converge` writes a run's own grants plus those it keeps, as the default version, until the default
    holds them and everything concurrent writers added (:func:`engineer_access.rewrite_needed`)."""

    def __init__(self, client, arn, keep_account_ids=None, own_account_ids=(), sleep=None, rand=None):
        self.client = client
        self.arn = arn
        self.keep = keep_account_ids
        self.own_ids = list(own_account_ids or ())
        self.sleep = sleep or time.sleep
        self.rand = rand or random.random
        self.read = {}  # version id -> grants, of every version this run has read
        self.created = []  # the versions this run created

    # --- reads -----------------------------------------------------------------------------------------------

    def _call(self, what, method, **params):
        try:
            return getattr(self.client, method)(aws_retry=True, **params)
        except BOTO_ERRORS as e:
            raise MspAwsError(message=f"Failed to {what} {self.arn}", exception=e) from e

    def policy(self):
        """GetPolicy's Policy, or None when there is none."""
        try:
            return self.client.get_policy(PolicyArn=self.arn, aws_retry=True)["Policy"]
        except is_boto3_error_code("NoSuchEntity"):
            return None
        except BOTO_ERRORS as e:  # pylint: disable=duplicate-except
            raise MspAwsError(message=f"Failed to read managed policy {self.arn}", exception=e) from e

    def grants_of(self, version_id):
        """The grants of one version (remembered), or None when it was deleted meanwhile."""
        if version_id not in self.read:
            try:
                version = self.client.get_policy_version(PolicyArn=self.arn, VersionId=version_id, aws_retry=True)
            except is_boto3_error_code("NoSuchEntity"):
                return None
            except BOTO_ERRORS as e:  # pylint: disable=duplicate-except
                raise MspAwsError(message=f"Failed to read version {version_id} of {self.arn}", exception=e) from e
            self.read[version_id] = document_grants(parse_policy(version["PolicyVersion"]["Document"], self.arn))
        return self.read[version_id]

    def versions(self):
        """``(default version id, [version ids])`` as ListPolicyVersions gives them now."""
        found = self._call("list the versions of", "list_policy_versions", PolicyArn=self.arn)["Versions"]
        default = next((v["VersionId"] for v in found if v.get("IsDefaultVersion")), None)
        return default, [v["VersionId"] for v in found]

    # --- writes ----------------------------------------------------------------------------------------------

    def create(self, name, path, description, tags, grants):
        """CreatePolicy; False when another writer created it first."""
        params = {
            "PolicyName": name,
            "Path": path,
            "PolicyDocument": json.dumps(merged_policy_document(grants.items())),
        }
        if description:
            params["Description"] = description
        if tags:
            params["Tags"] = ansible_dict_to_boto3_tag_list(tags)
        try:
            self.client.create_policy(aws_retry=True, **params)
        except is_boto3_error_code("EntityAlreadyExists"):
            return False
        except BOTO_ERRORS as e:  # pylint: disable=duplicate-except
            raise MspAwsError(message=f"Failed to create managed policy {self.arn}", exception=e) from e
        self.created.append("v1")
        self.read["v1"] = dict(grants)
        return True

    def write_version(self, grants, default_id, default):
        """CreatePolicyVersion as the default. At IAM's limit of versions, versions this run may delete go first;
        when none may, the oldest other version's kept grants join ``grants`` and it goes. Returns the new
        version's id, or None when the limit still stood (another writer filled it): read again."""
        for _attempt in range(2):
            try:
                version = self.client.create_policy_version(
                    PolicyArn=self.arn,
                    PolicyDocument=json.dumps(merged_policy_document(grants.items())),
                    SetAsDefault=True,
                    aws_retry=True,
                )["PolicyVersion"]
            except is_boto3_error_code("LimitExceeded"):
                self.make_room(default_id, default, grants)
                continue
            except BOTO_ERRORS as e:  # pylint: disable=duplicate-except
                raise MspAwsError(message=f"Failed to write a new version of {self.arn}", exception=e) from e
            self.created.append(version["VersionId"])
            self.read[version["VersionId"]] = dict(grants)
            return version["VersionId"]
        return None

    def make_room(self, default_id, default, grants):
        _default, listed = self.versions()
        others = [v for v in sorted(listed, key=version_number) if v != _default]
        for version_id in others:
            self.grants_of(version_id)
        deletable = deletable_versions(
            {v: self.read[v] for v in others if v in self.read}, _default, default, self.keep, self.own_ids
        )
        if not deletable and others:
            oldest = others[0]
            grants.update(merge_grants({}, self.read.get(oldest) or {}, self.keep, self.own_ids))
            deletable = [oldest]
        self.delete_versions(deletable[:1])

    def delete_versions(self, version_ids):
        for version_id in version_ids:
            try:
                self.client.delete_policy_version(PolicyArn=self.arn, VersionId=version_id, aws_retry=True)
            except is_boto3_error_code(["NoSuchEntity", "DeleteConflict"]):
                pass  # another writer deleted it, or made it the default meanwhile
            except BOTO_ERRORS as e:  # pylint: disable=duplicate-except
                raise MspAwsError(message=f"Failed to delete version {version_id} of {self.arn}", exception=e) from e

    # --- the rounds ------------------------------------------------------------------------------------------

    def converge(self, name, path, description, tags, own, check_mode=False, max_rounds=MAX_ROUNDS):
        """Write until the default version holds ``own`` and what concurrent writers added. Returns
        ``{changed, grants, rounds}``: the default version's grants at the end (or predicted in check mode)."""
        added = {}
        changed = False
        for round_number in range(1, max_rounds + 1):
            policy = self.policy()
            if policy is None:
                grants = merge_grants(own, added, self.keep, self.own_ids)
                if check_mode:
                    return {"changed": True, "grants": grants, "rounds": round_number}
                if not self.create(name, path, description, tags, grants):
                    self.pause(round_number)
                    continue
                changed, base_id, mine = True, None, "v1"
                base = {}
            else:
                base_id = policy["DefaultVersionId"]
                base = self.grants_of(base_id)
                if base is None:  # replaced and deleted while read: read again
                    continue
                grants = rewrite_needed(own, base, added, self.keep, self.own_ids)
                if grants is None:
                    self.clean(base_id, base)
                    return {"changed": changed, "grants": base, "rounds": round_number}
                if check_mode:
                    return {"changed": True, "grants": grants, "rounds": round_number}
                mine = self.write_version(grants, base_id, base)
                if mine is None:
                    self.pause(round_number)
                    continue
                changed = True
            default_id, listed = self.versions()
            for version_id in listed:
                if version_number(base_id) < version_number(version_id) and version_id not in self.created:
                    seen = self.grants_of(version_id)
                    added.update(kept_grants(added_grants(seen or {}, base), self.keep, self.own_ids))
            default = self.grants_of(default_id) if default_id else None
            if default is not None and rewrite_needed(own, default, added, self.keep, self.own_ids) is None:
                self.clean(default_id, default)
                return {"changed": changed, "grants": default, "rounds": round_number}
            self.pause(round_number)
        raise MspAwsError(
            message=(
                f"{self.arn} was rewritten by other runs at the same time for {max_rounds} rounds without holding "
                "this run's roles; run again"
            )
        )

    def clean(self, default_id, default):
        """Delete the versions this run read whose kept grants the default holds (never the default)."""
        self.delete_versions(deletable_versions(self.read, default_id, default, self.keep, self.own_ids))

    def pause(self, round_number):
        self.sleep(ROUND_PAUSE * round_number * (0.5 + self.rand()))
