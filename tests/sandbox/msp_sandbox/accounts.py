"""Accounts that exist outside any organization, and look-ups across all accounts.

moto only knows accounts through an organization's account list.  Real AWS also has standalone
accounts (a client's own account before it is invited, or after it leaves), with a root email that
no other account may use.  This directory holds them, so invitations, EMAIL_ALREADY_EXISTS and the
primary-email API behave as in AWS.
"""

import threading
from dataclasses import dataclass

_lock = threading.RLock()


@dataclass
class StandaloneAccount:
    id: str
    name: str
    email: str


_standalone: dict[str, StandaloneAccount] = {}


def register_standalone(account_id: str, name: str, email: str) -> StandaloneAccount:
    with _lock:
        record = StandaloneAccount(account_id, name, email)
        _standalone[account_id] = record
        return record


def forget_standalone(account_id: str) -> StandaloneAccount | None:
    with _lock:
        return _standalone.pop(account_id, None)


def standalone(account_id: str) -> StandaloneAccount | None:
    with _lock:
        return _standalone.get(account_id)


def all_standalone() -> list[StandaloneAccount]:
    with _lock:
        return list(_standalone.values())


def organization_accounts():
    """moto's FakeAccount for every account of every organization (its organization: ``master_account_id``)."""
    from moto.organizations.models import organizations_backends

    for per_partition in list(organizations_backends.values()):
        for backend in list(per_partition.values()):
            if backend.org is not None:
                yield from list(backend.accounts)


def organization_of(account_id: str):
    """The moto Organizations backend of the organization that ``account_id`` belongs to, or None."""
    from moto.organizations.models import organizations_backends

    owner = organizations_backends.master_accounts.get(account_id)
    if owner is not None:
        management_id, partition = owner
        return organizations_backends[management_id][partition]
    for per_partition in list(organizations_backends.values()):
        for backend in list(per_partition.values()):
            if backend.org is not None and backend.org.master_account_id == account_id:
                return backend
    return None


def email_in_use(email: str) -> str | None:
    """The id of the account (member or standalone) whose root email is ``email``, compared as AWS does."""
    wanted = email.strip().lower()
    for account in organization_accounts():
        if account.email.lower() == wanted and account.state != "CLOSED":
            return account.id
    with _lock:
        for record in _standalone.values():
            if record.email.lower() == wanted:
                return record.id
    return None


def member(account_id: str):
    """moto's FakeAccount for ``account_id`` if it belongs to an organization, else None."""
    return next((account for account in organization_accounts() if account.id == account_id), None)


def find(account_id: str):
    """The account's record wherever it is: moto's FakeAccount for a member, else the standalone record.

    Both have ``id``, ``name`` and ``email``.
    """
    return member(account_id) or standalone(account_id)


def email_of(account_id: str) -> str | None:
    record = find(account_id)
    return record.email if record else None


def set_email(account_id: str, email: str) -> None:
    record = find(account_id)
    if record is None:
        raise KeyError(account_id)
    record.email = email
    if getattr(record, "master_account_id", None) == account_id:  # the management account's own root email
        backend = organization_of(account_id)
        if backend is not None and backend.org is not None:
            backend.org.master_account_email = email


def reset() -> None:
    with _lock:
        _standalone.clear()
