"""The world a fresh sandbox starts from.

- The MSP's management account (moto's default account id), with an organization with all
  features, and an IAM user ``msp-automation`` whose keys the tests and the demo use.
- Three client-owned accounts outside the organization, each with an IAM user ``client-admin``
  (AdministratorAccess), as a client would use to accept an invitation in their console.

AWS-managed policies are loaded by moto itself (MOTO_IAM_LOAD_MANAGED_POLICIES=true).
"""

import threading

from . import accounts

MANAGEMENT_ACCOUNT_ID = "123456789012"
MANAGEMENT_EMAIL = "awsaccounts@msp.example"
MANAGEMENT_NAME = "MSP Management"
AUTOMATION_USER = "msp-automation"
CLIENT_USER = "client-admin"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
REGION = "us-east-1"

CLIENT_ACCOUNTS = (
    {"key": "globex", "id": "210987654321", "name": "Globex Corporation", "email": "aws-root@globex.example"},
    {"key": "initech", "id": "310987654321", "name": "Initech", "email": "cloud@initech.example"},
    {"key": "umbrella", "id": "410987654321", "name": "Umbrella Labs", "email": "aws@umbrella.example"},
)

_lock = threading.Lock()
_seeded: dict = {}


def _iam(account_id: str):
    from moto.iam.models import iam_backends

    return iam_backends[account_id]["global"]


def _user_with_keys(account_id: str, user_name: str) -> dict:
    iam = _iam(account_id)
    iam.create_user(region_name=REGION, user_name=user_name)
    iam.attach_user_policy(ADMIN_POLICY, user_name)
    key = iam.create_access_key(user_name)
    return {
        "user_arn": f"arn:aws:iam::{account_id}:user/{user_name}",
        "aws_access_key_id": key.access_key_id,
        "aws_secret_access_key": key.secret_access_key,
    }


def seed() -> dict:
    """Build the world into an empty moto; returns what tests need to know about it."""
    from moto.organizations.models import organizations_backends

    with _lock:
        organizations = organizations_backends[MANAGEMENT_ACCOUNT_ID]["aws"]
        description = organizations.create_organization(region=REGION, FeatureSet="ALL")
        organizations.org.master_account_email = MANAGEMENT_EMAIL
        management = organizations.get_account_by_id(MANAGEMENT_ACCOUNT_ID)
        management.email = MANAGEMENT_EMAIL
        management.name = MANAGEMENT_NAME
        world = {
            "region": REGION,
            "organization": {
                "id": description["Organization"]["Id"],
                "arn": description["Organization"]["Arn"],
                "root_id": organizations.org.root_id,
            },
            "management": {
                "account_id": MANAGEMENT_ACCOUNT_ID,
                "email": MANAGEMENT_EMAIL,
                "name": MANAGEMENT_NAME,
                "credentials": _user_with_keys(MANAGEMENT_ACCOUNT_ID, AUTOMATION_USER),
            },
            "clients": {},
        }
        for client in CLIENT_ACCOUNTS:
            accounts.register_standalone(client["id"], client["name"], client["email"])
            world["clients"][client["key"]] = {
                "account_id": client["id"],
                "name": client["name"],
                "email": client["email"],
                "credentials": _user_with_keys(client["id"], CLIENT_USER),
            }
        _seeded.clear()
        _seeded.update(world)
        return world


def current() -> dict:
    with _lock:
        return dict(_seeded)
