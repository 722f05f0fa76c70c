"""Print, as JSON, what molecule verify reads with boto3 because no info module reports it.

- ``accounts``: every member account of the organization with its OU path, tags and alternate contacts
  (beside its id, name, email, status and how it joined), read as the management account;
- ``groups``: for each engineers' group named on the command line, the documents of its attached managed
  policies and of its inline policies, read in the identity account (through ``--identity-role-arn`` when it
  is not the management account); null for a group that does not exist.

The connection comes from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION,
AWS_ENDPOINT_URL). Usage: aws_state.py [--identity-role-arn ARN] [GROUP...]
"""

import argparse
import json
import sys
from urllib.parse import unquote

import boto3
from botocore.exceptions import ClientError

CONTACT_TYPES = ("BILLING", "OPERATIONS", "SECURITY")


def parent_path(org, account_id):
    """The account's OU path from the root, like 'Clients/Production' ('' for the root)."""
    names = []
    child = account_id
    while True:
        parent = org.list_parents(ChildId=child)["Parents"][0]
        if parent["Type"] == "ROOT":
            return "/".join(reversed(names))
        names.append(org.describe_organizational_unit(OrganizationalUnitId=parent["Id"])["OrganizationalUnit"]["Name"])
        child = parent["Id"]


def tags(org, account_id):
    pages = org.get_paginator("list_tags_for_resource").paginate(ResourceId=account_id)
    return {tag["Key"]: tag["Value"] for page in pages for tag in page["Tags"]}


def alternate_contacts(account, account_id):
    contacts = {}
    for contact_type in CONTACT_TYPES:
        try:
            found = account.get_alternate_contact(AccountId=account_id, AlternateContactType=contact_type)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceNotFoundException":
                continue
            raise
        contact = found["AlternateContact"]
        contacts[contact_type.lower()] = {
            "name": contact["Name"],
            "title": contact["Title"],
            "email": contact["EmailAddress"],
            "phone": contact["PhoneNumber"],
        }
    return contacts


def accounts(session):
    org = session.client("organizations")
    account = session.client("account")
    management = org.describe_organization()["Organization"]["MasterAccountId"]
    members = [
        entry
        for page in org.get_paginator("list_accounts").paginate()
        for entry in page["Accounts"]
        if entry["Id"] != management
    ]
    return [
        {
            "id": entry["Id"],
            "name": entry["Name"],
            "email": entry["Email"],
            "status": entry["Status"],
            "joined_method": entry["JoinedMethod"],
            "parent_path": parent_path(org, entry["Id"]),
            "tags": tags(org, entry["Id"]),
            "alternate_contacts": alternate_contacts(account, entry["Id"]),
        }
        for entry in members
    ]


def document(value):
    """A policy document as boto3 gives it: a dict, or (from some endpoints) URL-encoded JSON text."""
    return value if isinstance(value, dict) else json.loads(unquote(value))


def group_policies(iam, group):
    """The group's managed and inline policy documents, or None when the group does not exist."""
    try:
        iam.get_group(GroupName=group)
    except iam.exceptions.NoSuchEntityException:
        return None
    attached = [
        policy
        for page in iam.get_paginator("list_attached_group_policies").paginate(GroupName=group)
        for policy in page["AttachedPolicies"]
    ]
    managed = []
    for policy in attached:
        version = iam.get_policy(PolicyArn=policy["PolicyArn"])["Policy"]["DefaultVersionId"]
        found = iam.get_policy_version(PolicyArn=policy["PolicyArn"], VersionId=version)["PolicyVersion"]
        managed.append(
            {"name": policy["PolicyName"], "arn": policy["PolicyArn"], "document": document(found["Document"])}
        )
    inline = []
    for page in iam.get_paginator("list_group_policies").paginate(GroupName=group):
        for name in page["PolicyNames"]:
            found = iam.get_group_policy(GroupName=group, PolicyName=name)
            inline.append({"name": name, "document": document(found["PolicyDocument"])})
    return {"managed": managed, "inline": inline}


def identity_session(session, role_arn):
    if not role_arn:
        return session
    credentials = session.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="molecule-verify")["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=session.region_name,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--identity-role-arn", default=None)
    parser.add_argument("groups", nargs="*")
    args = parser.parse_args()
    session = boto3.Session()
    iam = identity_session(session, args.identity_role_arn).client("iam")
    state = {
        "accounts": accounts(session),
        "groups": {group: group_policies(iam, group) for group in args.groups},
    }
    json.dump(state, sys.stdout, indent=2, sort_keys=True)


if __name__ == "__main__":
    main()
