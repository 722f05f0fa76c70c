"""Drift for the benchmark's "ours 5 drifted" run: what someone changes by hand in a few clients after a no-op.

Each drifted client gets one kind of change, in turn (boto3 against the sandbox, with the management credentials
and, inside a client account, its access role OrganizationAccountAccessRole, as benchmarks/floor.py gets in):

1. the admin role's trust policy loses its MFA condition (UpdateAssumeRolePolicy);
2. a managed policy is detached from the engineer role;
3. the engineer role's inline policy is rewritten with one statement fewer (PutRolePolicy);
4. a tag is removed from the client's account (Organizations UntagResource);
5. the on-call role is deleted (its policies detached and deleted first, as IAM requires).
"""

import json

import boto3
import floor


def _role(msp: dict, key: str) -> dict:
    return next(spec for spec in msp["msp_role_catalogue"] if spec["key"] == key)


def _trust_without_mfa(iam, msp: dict) -> str:
    name = _role(msp, "admin")["role_name"]
    trust = floor.policy_document(iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"])
    for statement in trust["Statement"]:
        statement.pop("Condition", None)
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
    return f"{name}'s trust policy without its MFA condition"


def _managed_policy_detached(iam, msp: dict) -> str:
    name = _role(msp, "engineer")["role_name"]
    arn = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"][0]["PolicyArn"]
    iam.detach_role_policy(RoleName=name, PolicyArn=arn)
    return f"{arn.rsplit('/', 1)[-1]} detached from {name}"


def _inline_policy_changed(iam, msp: dict) -> str:
    spec = _role(msp, "engineer")
    policy, document = next(iter(spec["inline_policies"].items()))
    changed = dict(document, Statement=document["Statement"][:1])
    iam.put_role_policy(RoleName=spec["role_name"], PolicyName=policy, PolicyDocument=json.dumps(changed))
    return f"{spec['role_name']}'s inline policy {policy} with one statement fewer"


def _role_deleted(iam, msp: dict) -> str:
    name = _role(msp, "oncall")["role_name"]
    for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy)
    iam.delete_role(RoleName=name)
    return f"{name} deleted"


ROLE_DRIFTS = (_trust_without_mfa, _managed_policy_detached, _inline_policy_changed, None, _role_deleted)


def inject(endpoint: str, credentials: dict, accounts: dict, msp: dict, region: str = "us-east-1") -> dict:
    """Drift each of ``accounts`` (client name: account id), the kinds in turn; returns what each got."""
    session = boto3.Session(**credentials, region_name=region)
    sts = session.client("sts", endpoint_url=endpoint)
    organizations = session.client("organizations", endpoint_url=endpoint)
    done = {}
    for index, (name, account_id) in enumerate(accounts.items()):
        drift = ROLE_DRIFTS[index % len(ROLE_DRIFTS)]
        if drift is None:
            tags = organizations.list_tags_for_resource(ResourceId=account_id)["Tags"]
            key = sorted(tag["Key"] for tag in tags)[0]
            organizations.untag_resource(ResourceId=account_id, TagKeys=[key])
            done[name] = f"account tag {key} removed"
        else:
            iam = floor.access_role_session(sts, account_id, region, "drift").client("iam", endpoint_url=endpoint)
            done[name] = drift(iam, msp)
    return done
