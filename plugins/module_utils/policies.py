# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""IAM policy documents: the cross-account trust policy, parsing, and comparison by meaning.

Policies are compared with amazon.aws's ``compare_policies`` after :func:`canonical_policy` has written
both sides in one form. ``compare_policies`` alone already ignores key and list order, treats a string
like a one-element list, ``true`` like ``"true"``, numbers like their strings, ``"*"`` like
``{"AWS": "*"}`` and a missing Version like 2008-10-17. It falls short where this module goes further:

- ``arn:<partition>:iam::<id>:root`` equals the bare account id in every partition, not only ``aws``
  (IAM stores a bare id as the ``:root`` ARN, so a policy written for aws-cn or aws-us-gov would
  otherwise never converge);
- action names and condition keys are case-insensitive in IAM (``sts:assumerole``,
  ``aws:multifactorauthpresent``), and Bool values are compared case-insensitively;
- a value repeated in a list, and a Statement given as one object rather than a list, mean the same;
- documents may arrive as JSON text or URL-encoded JSON text, as IAM's API sends them (botocore decodes
  what it knows to be a policy, but a custom trust policy from a user or an older client may not be);
- a statement's ``Sid`` is only a label: a trust made in the console without one means the same.
"""

import json
import re
from urllib.parse import unquote

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput

POLICY_VERSION = "2012-10-17"
ASSUME_ROLE = "sts:AssumeRole"
MFA_PRESENT = "aws:MultiFactorAuthPresent"
MFA_AGE = "aws:MultiFactorAuthAge"
EXTERNAL_ID = "sts:ExternalId"
TRUST_SID = "TrustMspAccounts"

# Principals a trust policy may name: an account's root, a user or a role (with its path), in any partition.
PRINCIPAL_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::(\d{12}):(root|user/[\w+=,.@/-]+|role/[\w+=,.@/-]+)$")
ROOT_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::(\d{12}):root$")
MANAGED_POLICY_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::(aws|\d{12}):policy/([\w+=,.@/-]+)$")
# An AWS-managed policy's short name, optionally with its path (job-function/ViewOnlyAccess).
MANAGED_POLICY_NAME = re.compile(r"^(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,128}$")
EXTERNAL_ID_PATTERN = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
MFA_MAX_AGE_LIMIT = 129600  # 36 hours, STS's longest session: a larger limit could never bite
# Statement keys whose values are lists of names that IAM compares without regard to case.
CASE_INSENSITIVE_LISTS = ("Action", "NotAction")
LIST_KEYS = ("Action", "NotAction", "Resource", "NotResource")
PRINCIPAL_KEYS = ("Principal", "NotPrincipal")


# --- reading documents ----------------------------------------------------------------------------------


def parse_policy(document, option="policy"):
    """A policy as a dict, from a dict, JSON text or URL-encoded JSON text; InvalidInput naming ``option``."""
    if isinstance(document, dict):
        return document
    if not isinstance(document, str):
        raise InvalidInput(option, f"must be a policy document (a dict or JSON text), not {type(document).__name__}")
    text = document.strip()
    if text.startswith("%"):
        # URL-encoded JSON, however it begins (%7B, or %20/%0A for leading white space).
        text = unquote(text).strip()
    try:
        parsed = json.loads(text)
    except ValueError as e:
        raise InvalidInput(option, f"is not valid JSON: {e}") from e
    if not isinstance(parsed, dict):
        raise InvalidInput(option, "must be a JSON object with a Statement")
    return parsed


def statements(document):
    """The statements of a policy as a list, whether Statement is one object or a list."""
    found = (document or {}).get("Statement") or []
    return [found] if isinstance(found, dict) else list(found)


def as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


# --- comparison by meaning ------------------------------------------------------------------------------


def _unique_sorted(values):
    return sorted({_scalar(value) for value in values})


def _scalar(value):
    """IAM keeps condition values and names as strings: true -> "true", 3600 -> "3600"."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if isinstance(value, (int, float)) else value


def _principal_value(value):
    match = ROOT_ARN.match(value) if isinstance(value, str) else None
    return match.group(1) if match else value


def _canonical_principal(principal):
    if principal == "*":
        return {"AWS": ["*"]}
    if not isinstance(principal, dict):
        return principal
    return {kind: _unique_sorted(_principal_value(v) for v in as_list(values)) for kind, values in principal.items()}


def _canonical_condition(condition):
    canonical = {}
    for operator, tests in (condition or {}).items():
        keys = {}
        for key, values in (tests or {}).items():
            cleaned = [_scalar(v) for v in as_list(values)]
            if operator.startswith("Bool"):
                cleaned = [v.lower() if isinstance(v, str) else v for v in cleaned]
            keys[key.lower()] = _unique_sorted(cleaned)
        canonical[operator] = keys
    return canonical


def _canonical_statement(statement):
    canonical = {}
    for key, value in statement.items():
        if key == "Sid":
            continue  # a label only: it changes nothing the statement means
        if key in CASE_INSENSITIVE_LISTS:
            canonical[key] = _unique_sorted(v.lower() if isinstance(v, str) else v for v in as_list(value))
        elif key in LIST_KEYS:
            canonical[key] = _unique_sorted(as_list(value))
        elif key in PRINCIPAL_KEYS:
            canonical[key] = _canonical_principal(value)
        elif key == "Condition":
            canonical[key] = _canonical_condition(value)
        else:
            canonical[key] = value
    return canonical


def canonical_policy(document):
    """One written form for every way of writing the same policy (see the module docstring)."""
    document = parse_policy(document)
    canonical = {key: value for key, value in document.items() if key != "Statement"}
    canonical["Statement"] = [_canonical_statement(statement) for statement in statements(document)]
    return canonical


def policies_differ(current, desired):
    """True when the two policies mean different things; a missing current policy always differs."""
    if current is None or desired is None:
        return current is not desired
    return compare_policies(canonical_policy(current), canonical_policy(desired))


# --- the cross-account trust policy ---------------------------------------------------------------------


def account_root_arn(partition, account_id):
    return f"arn:{partition}:iam::{account_id}:root"


def build_trust_policy(
    partition,
    trusted_account_ids=None,
    trusted_principals=None,
    require_mfa=True,
    mfa_max_age=None,
    external_id=None,
):
    """The trust policy that lets the MSP's accounts (or only the named principals) assume the role.

    Accounts are written as ``:root`` ARNs, the form IAM stores, so what AWS returns reads like what was
    sent. MFA is a Bool on aws:MultiFactorAuthPresent (absent for long-term keys and "false" for role
    sessions, so neither passes); ``mfa_max_age`` adds NumericLessThan on aws:MultiFactorAuthAge.
    """
    principals = sorted({account_root_arn(partition, account) for account in trusted_account_ids or []})
    principals += sorted(set(trusted_principals or []))
    statement = {
        "Sid": TRUST_SID,
        "Effect": "Allow",
        "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
        "Action": ASSUME_ROLE,
    }
    condition = {}
    if require_mfa:
        condition["Bool"] = {MFA_PRESENT: "true"}
        if mfa_max_age:
            condition["NumericLessThan"] = {MFA_AGE: str(mfa_max_age)}
    if external_id:
        condition["StringEquals"] = {EXTERNAL_ID: external_id}
    if condition:
        statement["Condition"] = condition
    return {"Version": POLICY_VERSION, "Statement": [statement]}


def principal_problems(trusted_account_ids, trusted_principals):
    """(option, rule) pairs for account ids and principal ARNs that are not well formed."""
    problems = []
    for account_id in trusted_account_ids or []:
        if not isinstance(account_id, str) or not re.match(r"^\d{12}$", account_id):
            problems.append(("trusted_account_ids", f"{account_id!r} is not a 12-digit account id (quote it in YAML)"))
    for arn in trusted_principals or []:
        if not PRINCIPAL_ARN.match(arn if isinstance(arn, str) else ""):
            problems.append(("trusted_principals", f"{arn!r} is not an IAM user or role ARN (arn:aws:iam::<id>:...)"))
    return problems


def trust_input_problems(trusted_account_ids, trusted_principals, require_mfa, mfa_max_age, external_id):
    """(option, rule) pairs for trust options AWS (or the console) would refuse, or that could never let
    anyone in, in option order. ``require_mfa`` None means its default, true."""
    require_mfa = require_mfa is not False
    problems = principal_problems(trusted_account_ids, trusted_principals)
    if trusted_account_ids and trusted_principals:
        problems.append(
            (
                "trusted_principals",
                "cannot be combined with trusted_account_ids: a trusted account lets in all of its users and roles, "
                "which would make the named principals pointless",
            )
        )
    for arn in trusted_principals or []:
        match = PRINCIPAL_ARN.match(arn if isinstance(arn, str) else "")
        if match and match.group(2) == "root":
            problems.append(
                ("trusted_principals", f"{arn!r} is a whole account: give its id in trusted_account_ids instead")
            )
        elif match and match.group(2).startswith("role/") and require_mfa:
            problems.append(
                (
                    "trusted_principals",
                    f"{arn!r} is a role, and a role session carries aws:MultiFactorAuthPresent=false, so with "
                    "require_mfa it could never get in: name users, or set require_mfa=false (with an external_id)",
                )
            )
    if mfa_max_age is not None:
        if not require_mfa:
            problems.append(("mfa_max_age", "needs require_mfa=true: an MFA age is only set when MFA was used"))
        elif not 0 < mfa_max_age <= MFA_MAX_AGE_LIMIT:
            problems.append(("mfa_max_age", f"must be 1 to {MFA_MAX_AGE_LIMIT} seconds, not {mfa_max_age}"))
    if external_id is not None and not EXTERNAL_ID_PATTERN.match(external_id):
        problems.append(("external_id", "must be 2 to 1224 characters of letters, digits and +=,.@:/-"))
    return problems


# --- reading a trust policy: who gets in, and what guards the door --------------------------------------


def _pattern_matches(pattern, name):
    """IAM's matching of an action pattern: case-insensitive, ``*`` any run of characters, ``?`` one."""
    if not isinstance(pattern, str):
        return False
    expression = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern.lower())
    return re.fullmatch(expression, name.lower(), re.DOTALL) is not None


def _covers_assume_role(statement):
    """Whether the statement's Action (or NotAction) takes in sts:AssumeRole."""
    if "NotAction" in statement:
        return not any(_pattern_matches(p, ASSUME_ROLE) for p in as_list(statement.get("NotAction")))
    return any(_pattern_matches(p, ASSUME_ROLE) for p in as_list(statement.get("Action")))


def _allows_assume_role(statement):
    return statement.get("Effect") == "Allow" and _covers_assume_role(statement)


def _aws_principals(statement):
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        return [str(p) for p in as_list(principal.get("AWS"))]
    return []


def principal_account(principal):
    """The account a principal (account id, :root, user or role ARN) belongs to; None for '*' or unknown."""
    if re.match(r"^\d{12}$", principal):
        return principal
    match = PRINCIPAL_ARN.match(principal) or re.match(r"^arn:aws(?:-[a-z]+)*:(?:iam|sts)::(\d{12}):", principal)
    return match.group(1) if match else None


def _condition_tests(statement):
    """(operator, key, [values as strings]) of each test of a statement's Condition."""
    for operator, tests in (statement.get("Condition") or {}).items():
        for key, values in (tests or {}).items() if isinstance(tests, dict) else ():
            yield operator, key, [str(_scalar(v)) for v in as_list(values)]


def _guard_of(operator, key, values):
    """Which guard one condition test proves, or None when it is no guard.

    Only the plain operators count: an ``…IfExists`` test passes when the key is absent (long-term keys
    carry no aws:MultiFactorAuthPresent, and an ExternalId need not be sent), and a wildcard ExternalId
    lets in whoever sends any.
    """
    key = key.lower()
    if not values:
        return None
    if key == MFA_PRESENT.lower() and operator == "Bool" and all(v.lower() == "true" for v in values):
        return "mfa"
    if key == MFA_AGE.lower() and operator in ("NumericLessThan", "NumericLessThanEquals"):
        return "mfa_max_age"
    if key == EXTERNAL_ID.lower() and operator == "StringEquals":
        return "external_id"
    if key == EXTERNAL_ID.lower() and operator == "StringLike" and not any("*" in v or "?" in v for v in values):
        return "external_id"
    return None


def statement_guards(statement):
    """What a trust statement demands: MFA, an MFA age limit, an ExternalId (the values), other conditions.

    ``other_conditions`` holds every condition that proves none of the three guards, as the policy writes
    it (conditions on other keys, and IfExists or wildcard forms of the known ones).
    """
    found = {"mfa": [], "mfa_max_age": [], "external_id": []}
    other = {}
    for operator, key, values in _condition_tests(statement):
        guard = _guard_of(operator, key, values)
        if guard:
            found[guard] += values
        else:
            other.setdefault(operator, {})[key] = statement["Condition"][operator][key]
    guards = [name for name in ("mfa", "mfa_max_age", "external_id") if found[name]]
    if other:
        guards.append("other_conditions")
    ages = found["mfa_max_age"]
    return {
        "require_mfa": bool(found["mfa"]),
        "mfa_max_age": min(int(float(age)) for age in ages) if ages else None,
        "external_ids": sorted(set(found["external_id"])),
        "other_conditions": other,
        "guards": guards or ["none"],
    }


def _lets_in(principal, account, wanted_accounts, wanted_principals):
    """Whether a trust principal admits one of the wanted accounts or principals."""
    if principal == "*" or account in wanted_accounts or principal in wanted_principals:
        return True
    whole_account = bool(ROOT_ARN.match(principal) or principal.isdigit())
    return whole_account and account in {principal_account(p) for p in wanted_principals}


def _denies(statement, principal, account):
    """Whether a Deny statement on sts:AssumeRole names this principal (or its whole account, or everyone)."""
    if statement.get("Effect") != "Deny" or not _covers_assume_role(statement):
        return False
    for denied in _aws_principals(statement):
        whole_account = bool(ROOT_ARN.match(denied) or denied.isdigit())
        if denied in ("*", principal) or (whole_account and account and principal_account(denied) == account):
            return True
    return False


def trust_grants(document, own_account_id=None, account_ids=None, principals=None):
    """Each Allow statement of a trust policy that lets in the accounts or principals asked about.

    With neither ``account_ids`` nor ``principals``, any principal outside ``own_account_id`` counts.
    A ``*`` principal lets in everyone. Each grant carries the Deny statements on sts:AssumeRole that
    name its principal, its account or everyone (``denied_by``); ``blocked`` is true when one of them
    has no Condition, so the grant can never be used. Deny statements with conditions are listed but
    not evaluated: the answer errs on the side of reporting access, which is what an audit must see.
    """
    wanted_accounts = set(account_ids or [])
    wanted_principals = set(principals or [])
    grants = []
    every = statements(document)
    for statement in every:
        if not _allows_assume_role(statement):
            continue
        for principal in _aws_principals(statement):
            account = principal_account(principal)
            if wanted_accounts or wanted_principals:
                matched = _lets_in(principal, account, wanted_accounts, wanted_principals)
            else:
                matched = principal == "*" or (account is not None and account != own_account_id)
            if matched:
                denies = [s for s in every if _denies(s, principal, account)]
                grant = dict(statement_guards(statement), principal=principal, account_id=account)
                grant["denied_by"] = denies
                grant["blocked"] = any(not s.get("Condition") for s in denies)
                grants.append(grant)
    return grants


def grant_is_unguarded(grant):
    """A way in that demands neither MFA nor an ExternalId, and that no unconditional Deny closes."""
    return not (grant["require_mfa"] or grant["external_ids"] or grant.get("blocked"))


def requires_external_id(document):
    """True when every statement that allows AssumeRole demands an ExternalId: the console cannot switch in."""
    allowing = [s for s in statements(document) if _allows_assume_role(s)]
    return bool(allowing) and all(statement_guards(s)["external_ids"] for s in allowing)


def requires_mfa(document):
    """True when some statement that allows AssumeRole demands MFA (the CLI profile then needs mfa_serial)."""
    return any(statement_guards(s)["require_mfa"] for s in statements(document) if _allows_assume_role(s))


def external_ids(document):
    """The ExternalIds the statements that allow AssumeRole demand, sorted."""
    allowing = [s for s in statements(document) if _allows_assume_role(s)]
    return sorted({value for s in allowing for value in statement_guards(s)["external_ids"]})


# --- managed policies -----------------------------------------------------------------------------------


def managed_policy_arn(name_or_arn, partition, option="managed_policies"):
    """The ARN of a managed policy: full ARNs as given, AWS-managed short names in the caller's partition."""
    if not isinstance(name_or_arn, str) or not name_or_arn:
        raise InvalidInput(option, f"{name_or_arn!r} is not a policy name or ARN")
    if name_or_arn.startswith("arn:"):
        if not MANAGED_POLICY_ARN.match(name_or_arn):
            raise InvalidInput(option, f"{name_or_arn!r} is not a managed policy ARN (arn:aws:iam::<id|aws>:policy/…)")
        return name_or_arn
    if not MANAGED_POLICY_NAME.match(name_or_arn):
        raise InvalidInput(option, f"{name_or_arn!r} is not an AWS-managed policy name (like ReadOnlyAccess)")
    return f"arn:{partition}:iam::aws:policy/{name_or_arn}"
