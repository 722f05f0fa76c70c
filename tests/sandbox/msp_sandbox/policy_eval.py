"""Pure evaluation of IAM role trust policies (no moto, no server), as the IAM User Guide describes it.

Sources (IAM User Guide): "Policy evaluation logic", "IAM JSON policy elements: Principal",
"IAM JSON policy elements: Condition operators" and "AWS global condition context keys".

- An explicit Deny wins; otherwise some Allow statement must match, else the request is implicitly denied.
- Multiple values for one condition key are OR-ed; multiple keys and multiple operators are AND-ed.
- A key missing from the request context makes a condition false, except for negated operators
  (StringNotEquals, ArnNotLike, ...), which are then true, ``...IfExists`` (true) and ``Null``.
- Condition key names and action names are not case-sensitive; string values are (unless IgnoreCase).
- An operator this evaluator does not know fails closed: an Allow statement does not apply, a Deny
  statement does.  (AWS refuses such a policy when it is written; moto stores it anyway.)
"""

import ipaddress
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import unquote

ACCOUNT_ID = re.compile(r"^\d{12}$")


class UnknownOperator(ValueError):
    """A condition operator outside the documented set."""


@dataclass
class Caller:
    """Who makes the request, as the trust policy's Principal element and aws:PrincipalArn see it.

    ``principal_arn`` is the identity's ARN: a user's ARN, the role's ARN for a role session (not the
    session's ARN, as aws:PrincipalArn documents), or ``arn:aws:iam::<account>:root``.
    """

    account: str
    principal_arn: str
    kind: str  # "user", "role" or "root"
    session_arn: str | None = None  # arn:aws:sts::<account>:assumed-role/<role>/<session> for role sessions

    @property
    def arn(self) -> str:
        """The ARN AWS names in an AccessDenied message: the session's ARN for a role session."""
        return self.session_arn or self.principal_arn


@dataclass
class Decision:
    effect: str  # "Allow", "Deny" or "ImplicitDeny"
    statement: str | None = None  # Sid, or the statement's index, that decided
    notes: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.effect == "Allow"


def parse_document(document) -> dict:
    """A policy document as moto stores it: a dict, a JSON string, or a URL-encoded JSON string."""
    if isinstance(document, dict):
        return document
    if not document:
        return {}
    text = str(document)
    for candidate in (text, unquote(text)):
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        return value if isinstance(value, dict) else {}
    return {}


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM wildcards: ``*`` any run of characters, ``?`` exactly one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def action_matches(patterns, action: str) -> bool:
    return any(_glob(str(p), action, ignore_case=True) for p in _as_list(patterns))


def _principal_value_matches(value: str, caller: Caller) -> bool:
    value = value.strip()
    if value == "*":
        return True
    if ACCOUNT_ID.match(value):
        value = f"arn:aws:iam::{value}:root"
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return False  # a unique principal id (AIDA.../AROA...) or garbage: not resolvable here
    service, account, resource = parts[2], parts[4], parts[5]
    if service == "iam" and resource == "root":
        # The account principal delegates to the whole account; whether the caller's own identity
        # policies allow sts:AssumeRole is the other half of cross-account evaluation, out of scope here.
        return caller.account == account
    if service == "iam" and resource.startswith("role/"):
        return caller.kind == "role" and caller.principal_arn == value
    if service == "iam" and resource.startswith("user/"):
        return caller.kind == "user" and caller.principal_arn == value
    if service == "sts" and resource.startswith("assumed-role/"):
        return caller.session_arn == value
    return False


def principal_matches(principal, caller: Caller) -> bool:
    """Principal: "*", {"AWS": value-or-list}; Service/Federated/CanonicalUser never name an IAM caller."""
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return any(_principal_value_matches(str(v), caller) for v in _as_list(principal.get("AWS")))


# --- condition operators -------------------------------------------------------------------------


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _date(text: str) -> float | None:
    number = _number(text)
    if number is not None:
        return number
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _compare(convert, test):
    def match(context: str, policy: str) -> bool:
        left, right = convert(context), convert(policy)
        return left is not None and right is not None and test(left, right)

    return match


def _arn_like(context: str, policy: str) -> bool:
    """Each of the six colon-separated parts is matched on its own (ArnEquals and ArnLike are the same)."""
    left, right = context.split(":", 5), policy.split(":", 5)
    return len(left) == len(right) == 6 and all(_glob(p, c) for c, p in zip(left, right, strict=True))


def _ip(context: str, policy: str) -> bool:
    try:
        return ipaddress.ip_address(context) in ipaddress.ip_network(policy, strict=False)
    except ValueError:
        return False


def _bool(context: str, policy: str) -> bool:
    return context.lower() == policy.lower()


# operator -> (positive match of one context value against one policy value, negated?)
_OPERATORS = {
    "StringEquals": (lambda c, p: c == p, False),
    "StringNotEquals": (lambda c, p: c == p, True),
    "StringEqualsIgnoreCase": (lambda c, p: c.casefold() == p.casefold(), False),
    "StringNotEqualsIgnoreCase": (lambda c, p: c.casefold() == p.casefold(), True),
    "StringLike": (lambda c, p: _glob(p, c), False),
    "StringNotLike": (lambda c, p: _glob(p, c), True),
    "NumericEquals": (_compare(_number, lambda a, b: a == b), False),
    "NumericNotEquals": (_compare(_number, lambda a, b: a == b), True),
    "NumericLessThan": (_compare(_number, lambda a, b: a < b), False),
    "NumericLessThanEquals": (_compare(_number, lambda a, b: a <= b), False),
    "NumericGreaterThan": (_compare(_number, lambda a, b: a > b), False),
    "NumericGreaterThanEquals": (_compare(_number, lambda a, b: a >= b), False),
    "DateEquals": (_compare(_date, lambda a, b: a == b), False),
    "DateNotEquals": (_compare(_date, lambda a, b: a == b), True),
    "DateLessThan": (_compare(_date, lambda a, b: a < b), False),
    "DateLessThanEquals": (_compare(_date, lambda a, b: a <= b), False),
    "DateGreaterThan": (_compare(_date, lambda a, b: a > b), False),
    "DateGreaterThanEquals": (_compare(_date, lambda a, b: a >= b), False),
    "Bool": (_bool, False),
    "IpAddress": (_ip, False),
    "NotIpAddress": (_ip, True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
}


def _policy_values(value) -> list[str]:
    return ["true" if v is True else "false" if v is False else str(v) for v in _as_list(value)]


def condition_operator_matches(operator: str, block: dict, context: dict[str, list[str]]) -> bool:
    """One operator with its keys (AND); raises UnknownOperator for anything undocumented."""
    if not isinstance(block, dict):
        raise UnknownOperator(f"{operator}: its value must be an object of condition keys")
    qualifier, _colon, name = operator.rpartition(":")
    if qualifier not in ("", "ForAnyValue", "ForAllValues"):
        raise UnknownOperator(operator)
    if_exists = name.endswith("IfExists") and name != "IfExists"
    base = name[: -len("IfExists")] if if_exists else name
    for key, raw in block.items():
        values = context.get(key.lower())
        expected = _policy_values(raw)
        if base == "Null":
            if qualifier or if_exists:
                raise UnknownOperator(operator)
            # "true": the key is absent; "false": it is present.  Several values are OR-ed.
            if not any((v.lower() == "true") == (values is None) for v in expected):
                return False
            continue
        if base not in _OPERATORS:
            raise UnknownOperator(operator)
        match, negated = _OPERATORS[base]
        hits = [any(match(v, p) for p in expected) for v in values or ()]
        ones = [not hit if negated else hit for hit in hits]  # per context value, for the set operators
        if values is None:
            if if_exists:
                continue
            # Missing key: no match, so positive operators fail and negated ones hold; for the set
            # operators ForAllValues holds on the empty set and ForAnyValue does not.
            result = qualifier == "ForAllValues" or (not qualifier and negated)
        elif qualifier == "ForAllValues":
            result = all(ones)
        elif qualifier == "ForAnyValue":
            result = any(ones)
        else:
            result = not any(hits) if negated else any(hits)
        if not result:
            return False
    return True


def conditions_match(condition, context: dict[str, list[str]]) -> bool:
    if not condition:
        return True
    if not isinstance(condition, dict):
        raise UnknownOperator("Condition must be an object")
    return all(condition_operator_matches(op, block, context) for op, block in condition.items())


def evaluate(document, action: str, caller: Caller, context: dict[str, list[str] | str]) -> Decision:
    """Evaluate a trust (resource-based) policy for ``action`` by ``caller`` with request ``context``."""
    keys = {k.lower(): [v] if isinstance(v, str) else list(v) for k, v in context.items()}
    policy = parse_document(document)
    allowed_by = None
    notes: list[str] = []
    for index, statement in enumerate(_as_list(policy.get("Statement"))):
        if not isinstance(statement, dict):
            continue
        label = str(statement.get("Sid") or index)
        effect = statement.get("Effect")
        if "Action" in statement:
            acts = action_matches(statement["Action"], action)
        else:
            acts = "NotAction" in statement and not action_matches(statement["NotAction"], action)
        if not acts:
            continue
        if "Principal" in statement:
            names = principal_matches(statement["Principal"], caller)
        else:
            names = "NotPrincipal" in statement and not principal_matches(statement["NotPrincipal"], caller)
        if not names:
            continue
        try:
            applies = conditions_match(statement.get("Condition"), keys)
        except UnknownOperator as exc:
            notes.append(f"statement {label}: unknown condition operator {exc}; fails closed")
            applies = effect == "Deny"
        if not applies:
            continue
        if effect == "Deny":
            return Decision("Deny", label, notes)
        if effect == "Allow" and allowed_by is None:
            allowed_by = label
    if allowed_by is not None:
        return Decision("Allow", allowed_by, notes)
    return Decision("ImplicitDeny", None, notes)
