"""Organizational units and MoveAccount with the rules AWS enforces and moto 5.2.5 does not.

- CreateOrganizationalUnit refuses a second OU of the same name in one parent with
  DuplicateOrganizationalUnitException (moto creates a twin), so two runs racing to create an OU see
  what they would see in AWS.
- DeleteOrganizationalUnit refuses an OU that still holds accounts or OUs with
  OrganizationalUnitNotEmptyException (moto deletes it and strands its children).
- MoveAccount answers SourceParentNotFoundException when SourceParentId is not the account's parent,
  and DuplicateAccountException when the account is already in the destination (moto moves silently).
"""

from ..errors import AwsError

REQUIRED_INTERNALS = [
    "moto.organizations.models.OrganizationsBackend.create_organizational_unit",
    "moto.organizations.models.OrganizationsBackend.delete_organizational_unit",
    "moto.organizations.models.OrganizationsBackend.move_account",
    "moto.organizations.models.OrganizationsBackend.get_organizational_unit_by_id",
    "moto.organizations.models.OrganizationsBackend.get_account_by_id",
]

_installed = False


def _wrap_create(original):
    def create_organizational_unit(self, **kwargs):
        parent_id = kwargs.get("ParentId")
        name = kwargs.get("Name")
        if any(ou.parent_id == parent_id and ou.name == name for ou in self.ou):
            raise AwsError("DuplicateOrganizationalUnitException", "An OU with the same name already exists.")
        return original(self, **kwargs)

    return create_organizational_unit


def _wrap_delete(original):
    def delete_organizational_unit(self, **kwargs):
        ou_id = kwargs.get("OrganizationalUnitId")
        self.get_organizational_unit_by_id(ou_id)  # OrganizationalUnitNotFoundException first
        if any(ou.parent_id == ou_id for ou in self.ou) or any(a.parent_id == ou_id for a in self.accounts):
            raise AwsError(
                "OrganizationalUnitNotEmptyException",
                "The specified OU is not empty. Move all accounts to another root or OU and delete all child OUs, "
                "and try the operation again.",
            )
        return original(self, **kwargs)

    return delete_organizational_unit


def _wrap_move(original):
    def move_account(self, **kwargs):
        self.validate_parent_id(kwargs["DestinationParentId"])
        self.validate_parent_id(kwargs["SourceParentId"])
        account = self.get_account_by_id(kwargs["AccountId"])
        if account.parent_id != kwargs["SourceParentId"]:
            raise AwsError(
                "SourceParentNotFoundException",
                "We can't find a source root or OU with the ParentId that you specified.",
            )
        if account.parent_id == kwargs["DestinationParentId"]:
            raise AwsError("DuplicateAccountException", "That account is already present in the specified destination.")
        return original(self, **kwargs)

    return move_account


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.organizations.models import OrganizationsBackend

    OrganizationsBackend.create_organizational_unit = _wrap_create(OrganizationsBackend.create_organizational_unit)
    OrganizationsBackend.delete_organizational_unit = _wrap_delete(OrganizationsBackend.delete_organizational_unit)
    OrganizationsBackend.move_account = _wrap_move(OrganizationsBackend.move_account)
    _installed = True


def reset() -> None:
    """No state of its own: the OUs and accounts are moto's."""
