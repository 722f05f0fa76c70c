# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Input rules AWS applies, checked before any call so bad input never reaches AWS half-way through a run.

Each ``*_problem`` function is pure and returns the rule broken, or None; ``require_*`` raises
:class:`InvalidInput` naming the option. The module, the ``account_email`` filter and the roles'
argument checks all use these, so they agree on what AWS accepts.
"""

import re
import unicodedata

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput

# The rules for a valid email address in the Organizations API reference (CreateAccount's Email; the
# botocore model adds only min 6, max 64 and the pattern [^\s@]+@[^\s@]+\.[^\s@]+). Only what AWS states is
# checked: nothing about dots inside the local part, and no per-label rule for the domain. The Account API's
# PrimaryEmail allows 5 characters; 6 holds for it too (see primary_email.validate for why).
EMAIL_MIN_LENGTH = 6
EMAIL_MAX_LENGTH = 64
EMAIL_LOCAL_FORBIDDEN = "\"'()<>[]:;,\\|%&"
EMAIL_DOMAIN_PATTERN = re.compile(r"^[A-Za-z0-9.-]+\Z")
EMAIL_DOMAIN_EDGES = "-."
ACCOUNT_NAME_MAX_LENGTH = 50
ACCOUNT_ID_PATTERN = re.compile(r"^\d{12}\Z")


def email_problem(email):
    """The first AWS email rule that ``email`` breaks, or None when AWS would accept it."""
    if not isinstance(email, str) or not email:
        return "is required and must be a string"
    if not email.isascii():
        return "must be 7-bit ASCII"
    if not EMAIL_MIN_LENGTH <= len(email) <= EMAIL_MAX_LENGTH:
        return f"must be {EMAIL_MIN_LENGTH} to {EMAIL_MAX_LENGTH} characters long, not {len(email)}"
    if email.count("@") != 1:
        return "must contain exactly one '@'"
    local, domain = email.split("@")
    if not local:
        return "has nothing before the '@'"
    if any(ch.isspace() for ch in email):
        return "must not contain whitespace"
    bad = sorted({ch for ch in local if ch in EMAIL_LOCAL_FORBIDDEN})
    if bad:
        return f"must not contain {' '.join(bad)} before the '@'"
    if local.startswith("."):
        return "must not start with '.'"
    if not EMAIL_DOMAIN_PATTERN.match(domain):
        return "must have a domain of only letters, digits, '-' and '.' after the '@'"
    if domain[0] in EMAIL_DOMAIN_EDGES or domain[-1] in EMAIL_DOMAIN_EDGES:
        return "must have a domain that does not start or end with '-' or '.'"
    if "." not in domain:
        return "must have a dotted domain after the '@' (like example.com)"
    return None


# Plus-addressing: one root email per client, all delivered to the MSP's mailbox (the account_email filter
# and the onboarding checks derive it the same way).
PLUS_ADDRESS_SEPARATORS = ("+", "-", ".", "_")
# What survives of a client key: lower-case letters and digits, words joined by single hyphens.
NOT_KEY_CHARACTERS = re.compile(r"[^a-z0-9]+")


def client_key(key):
    """``ACME Corp.`` -> ``acme-corp``; accented letters lose their accents (``Zürich`` -> ``zurich``)."""
    ascii_key = unicodedata.normalize("NFKD", str(key)).encode("ascii", "ignore").decode("ascii")
    return NOT_KEY_CHARACTERS.sub("-", ascii_key.lower()).strip("-")


def plus_address(base, key, separator="+"):
    """``base`` with ``<separator><client_key(key)>`` added before the ``@``, checked by AWS's rules.

    Raises InvalidInput naming what to change (``base``, ``separator`` or ``key``) and the rule broken.
    """
    problem = email_problem(base)
    _require("base", f"the base address {base!r} {problem}" if problem else None)
    if separator not in PLUS_ADDRESS_SEPARATORS:
        _require("separator", f"separator must be one of {' '.join(PLUS_ADDRESS_SEPARATORS)}, not {separator!r}")
    if key is None or (isinstance(key, str) and not key.strip()):
        _require("key", f"the client key is required, not {key!r}")
    normalised = client_key(key)
    _require("key", None if normalised else f"the client key {key!r} has no letters or digits to use")
    local, domain = base.split("@")
    email = f"{local}{separator}{normalised}@{domain}"
    if len(email) > EMAIL_MAX_LENGTH:
        room = EMAIL_MAX_LENGTH - len(base) - len(separator)
        _require(
            "key",
            f"{email} would be {len(email)} characters, and AWS allows {EMAIL_MAX_LENGTH}: "
            f"shorten the client key to at most {max(room, 0)} characters or use a shorter base address",
        )
    problem = email_problem(email)
    _require("key", f"{email} {problem}" if problem else None)
    return email


def account_name_problem(name):
    if not isinstance(name, str) or not name:
        return "must be 1 to 50 characters long"
    if len(name) > ACCOUNT_NAME_MAX_LENGTH:
        return f"must be 1 to {ACCOUNT_NAME_MAX_LENGTH} characters long, not {len(name)}"
    if not all(" " <= ch <= "~" for ch in name):
        return "must be printable ASCII (no tabs, newlines or accented letters)"
    return None


def account_id_problem(account_id):
    if not isinstance(account_id, str) or not ACCOUNT_ID_PATTERN.match(account_id):
        return "must be an AWS account id of exactly 12 digits (quote it in YAML so leading zeros survive)"
    return None


def _require(option, problem):
    if problem:
        raise InvalidInput(option, problem)


def require_email(email, option="email"):
    _require(option, email_problem(email))
    return email


def require_account_name(name, option="name"):
    _require(option, account_name_problem(name))
    return name


def require_account_id(account_id, option="account_id"):
    _require(option, account_id_problem(account_id))
    return account_id


# Alternate contacts, from the Account Management API reference (AlternateContact).
CONTACT_FIELD_MAX_LENGTH = {"name": 64, "title": 50, "email": 254, "phone": 25}
CONTACT_PHONE_PATTERN = re.compile(r"^[\s0-9()+-]+\Z")
CONTACT_EMAIL_PATTERN = re.compile(r"^\s*[\w+=.#|!&-]+@[\w.-]+\.\w+\s*\Z", re.ASCII)
CONTACT_FIELD_RULES = {
    "phone": (CONTACT_PHONE_PATTERN, "must be digits, spaces and ( ) + - only"),
    "email": (CONTACT_EMAIL_PATTERN, "must be an email address like ops@example.com"),
}


def contact_field_problem(field, value):
    """The AlternateContact rule that ``value`` (its name, title, email or phone) breaks, or None."""
    limit = CONTACT_FIELD_MAX_LENGTH[field]
    if not isinstance(value, str) or not value:
        return "is required"
    if len(value) > limit:
        return f"must be 1 to {limit} characters long, not {len(value)}"
    pattern, rule = CONTACT_FIELD_RULES.get(field, (None, None))
    if pattern is not None and not pattern.match(value):
        return rule
    return None


def require_contact_field(field, value, option):
    _require(option, contact_field_problem(field, value))
    return value


# CreateAccount's RoleName.
ROLE_NAME_PATTERN = re.compile(r"^[\w+=,.@-]{1,64}\Z", re.ASCII)


def role_name_problem(role_name):
    if not isinstance(role_name, str) or not ROLE_NAME_PATTERN.match(role_name):
        return "must be 1 to 64 characters of letters, digits and + = , . @ _ -"
    return None


def require_role_name(role_name, option="role_name"):
    _require(option, role_name_problem(role_name))
    return role_name


# ServicePrincipal of Organizations' trusted-access calls: the botocore model allows 1 to 128 characters of
# [\w+=,.@-]; the services that support trusted access are all named like account.amazonaws.com (the
# Organizations User Guide's list). A bare service name ("account") is refused here, before AWS refuses it.
SERVICE_PRINCIPAL_MAX_LENGTH = 128
SERVICE_PRINCIPAL_LABEL = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?"
SERVICE_PRINCIPAL_PATTERN = re.compile(rf"^{SERVICE_PRINCIPAL_LABEL}(\.{SERVICE_PRINCIPAL_LABEL})*\.amazonaws\.com\Z")


def service_principal_problem(principal):
    if not isinstance(principal, str) or not principal:
        return "must be a service principal like account.amazonaws.com, not empty"
    if len(principal) > SERVICE_PRINCIPAL_MAX_LENGTH:
        return f"must be at most {SERVICE_PRINCIPAL_MAX_LENGTH} characters long, not {len(principal)}"
    if not SERVICE_PRINCIPAL_PATTERN.match(principal):
        return (
            f"{principal!r} is not a service principal: give the service's lower-case DNS name ending in "
            ".amazonaws.com, like account.amazonaws.com"
        )
    return None


def require_service_principal(principal, option="service_principals"):
    _require(option, service_principal_problem(principal))
    return principal
