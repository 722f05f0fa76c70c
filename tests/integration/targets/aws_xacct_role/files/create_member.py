"""Create a member account in the sandbox's organization (CreateAccount is asynchronous) and print its id.

Used by the integration target until aws_member_account can do it; reads the endpoint and keys from the
environment the task sets."""

import os
import sys
import time

import boto3

organizations = boto3.client(
    "organizations",
    endpoint_url=os.environ["SANDBOX_ENDPOINT_URL"],
    region_name=os.environ["SANDBOX_REGION"],
    aws_access_key_id=os.environ["SANDBOX_ACCESS_KEY"],
    aws_secret_access_key=os.environ["SANDBOX_SECRET_KEY"],
)
request = organizations.create_account(AccountName=sys.argv[1], Email=sys.argv[2])["CreateAccountStatus"]
deadline = time.monotonic() + 60
while request["State"] == "IN_PROGRESS" and time.monotonic() < deadline:
    time.sleep(0.2)
    request = organizations.describe_create_account_status(CreateAccountRequestId=request["Id"])["CreateAccountStatus"]
if request["State"] != "SUCCEEDED":
    sys.exit(f"CreateAccount did not succeed: {request}")
print(request["AccountId"])
