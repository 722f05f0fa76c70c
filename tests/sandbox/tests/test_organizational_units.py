"""Organizational units and MoveAccount with AWS's rules: no twin OUs, no deleting a non-empty OU, and
MoveAccount checked against the account's real parent."""

import botocore.exceptions
import pytest


def code_of(raised) -> str:
    return raised.value.response["Error"]["Code"]


def test_a_second_ou_of_the_same_name_is_refused(aws, world):
    org = aws.management("organizations")
    root = world["organization"]["root_id"]
    org.create_organizational_unit(ParentId=root, Name="Clients")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        org.create_organizational_unit(ParentId=root, Name="Clients")
    assert code_of(raised) == "DuplicateOrganizationalUnitException"
    # The same name elsewhere is fine.
    clients = org.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"][0]["Id"]
    org.create_organizational_unit(ParentId=clients, Name="Clients")


def test_only_an_empty_ou_can_be_deleted(aws, world):
    org = aws.management("organizations")
    root = world["organization"]["root_id"]
    clients = org.create_organizational_unit(ParentId=root, Name="Clients")["OrganizationalUnit"]["Id"]
    child = org.create_organizational_unit(ParentId=clients, Name="Production")["OrganizationalUnit"]["Id"]
    member = aws.create_member("Payments")
    org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=child)

    for ou in (clients, child):
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            org.delete_organizational_unit(OrganizationalUnitId=ou)
        assert code_of(raised) == "OrganizationalUnitNotEmptyException"
    org.move_account(AccountId=member, SourceParentId=child, DestinationParentId=root)
    org.delete_organizational_unit(OrganizationalUnitId=child)
    org.delete_organizational_unit(OrganizationalUnitId=clients)


def test_move_account_checks_source_and_destination(aws, world):
    org = aws.management("organizations")
    root = world["organization"]["root_id"]
    ou = org.create_organizational_unit(ParentId=root, Name="Clients")["OrganizationalUnit"]["Id"]
    member = aws.create_member("Payments")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        org.move_account(AccountId=member, SourceParentId=ou, DestinationParentId=root)
    assert code_of(raised) == "SourceParentNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=root)
    assert code_of(raised) == "DuplicateAccountException"
    org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=ou)
    assert org.list_parents(ChildId=member)["Parents"][0]["Id"] == ou
