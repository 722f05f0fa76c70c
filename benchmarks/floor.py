"""The boto3 floor: the fewest API calls that converge the baseline's roles, as a plain script would.

Per client account: AssumeRole into its access role, then per role GetRole (trust policy, description, session
duration and tags in one answer) and ListAttachedRolePolicies; it writes only what differs. The same roles and
settings as benchmarks/baseline.yml, so after the baseline's run the floor's run is a no-op.
"""

import json
import urllib.parse

import boto3

MANAGED_POLICY_ARN = "arn:aws:iam::aws:policy/{}"
PATH = "/baseline/"


def trust_policy(identity_account_id: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{identity_account_id}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ],
    }


def policy_document(document) -> dict:
    """GetRole's trust policy: a dict from boto3, or URL-encoded JSON from some endpoints."""
    return json.loads(urllib.parse.unquote(document)) if isinstance(document, str) else document


def _converge_role(iam, spec: dict, trust: dict) -> int:
    """Make one role as ``spec`` says; returns the number of writes."""
    name = f"Baseline{spec['role_name']}"
    tags = {"managed-by": "baseline", "msp-role-key": spec["key"]}
    wanted_policies = {MANAGED_POLICY_ARN.format(name) for name in spec.get("managed_policies", [])}
    writes = 0
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except iam.exceptions.NoSuchEntityException:
        iam.create_role(
            RoleName=name,
            Path=PATH,
            AssumeRolePolicyDocument=json.dumps(trust),
            Description=spec["description"],
            MaxSessionDuration=spec["max_session_duration"],
            Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
        )
        for arn in sorted(wanted_policies):
            iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        return 1 + len(wanted_policies)
    if policy_document(role["AssumeRolePolicyDocument"]) != trust:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
        writes += 1
    if role.get("Description") != spec["description"] or role["MaxSessionDuration"] != spec["max_session_duration"]:
        iam.update_role(RoleName=name, Description=spec["description"], MaxSessionDuration=spec["max_session_duration"])
        writes += 1
    actual_tags = {tag["Key"]: tag["Value"] for tag in role.get("Tags", [])}
    if actual_tags != tags:
        if set(actual_tags) - set(tags):
            iam.untag_role(RoleName=name, TagKeys=sorted(set(actual_tags) - set(tags)))
        iam.tag_role(RoleName=name, Tags=[{"Key": key, "Value": value} for key, value in tags.items()])
        writes += 1
    attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]}
    for arn in sorted(wanted_policies - attached):
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        writes += 1
    for arn in sorted(attached - wanted_policies):
        iam.detach_role_policy(RoleName=name, PolicyArn=arn)
        writes += 1
    return writes


def access_role_session(sts, account_id: str, region: str, session_name: str = "floor") -> boto3.Session:
    """A session in a client account through its access role OrganizationAccountAccessRole (one AssumeRole)."""
    assumed = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", RoleSessionName=session_name
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=assumed["AccessKeyId"],
        aws_secret_access_key=assumed["SecretAccessKey"],
        aws_session_token=assumed["SessionToken"],
        region_name=region,
    )


def converge(endpoint: str, credentials: dict, account_ids: list[str], msp: dict, region: str = "us-east-1") -> int:
    """Converge every account's roles, one account after the other; returns the number of writes."""
    session = boto3.Session(**credentials, region_name=region)
    sts = session.client("sts", endpoint_url=endpoint)
    trust = trust_policy(msp["msp_identity_account_id"])
    writes = 0
    for account_id in account_ids:
        iam = access_role_session(sts, account_id, region).client("iam", endpoint_url=endpoint)
        writes += sum(_converge_role(iam, spec, trust) for spec in msp["msp_role_catalogue"])
    return writes
