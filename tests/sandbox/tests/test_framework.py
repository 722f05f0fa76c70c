"""The sandbox's own machinery: launcher, world, call log, fault injection, clock, reset."""

import time

import botocore.exceptions
import pytest

from msp_sandbox import launcher


def test_health_names_the_sandbox_and_its_pid(sandbox):
    health = sandbox.health()
    assert health["service"] == "msp-sandbox"
    assert health["moto"] == "5.2.5"
    assert isinstance(health["pid"], int)


def test_start_reuses_a_healthy_sandbox(sandbox_endpoint, sandbox, tmp_path):
    port = int(sandbox_endpoint.rsplit(":", 1)[1])
    reused = launcher.start("127.0.0.1", port, tmp_path)
    assert reused["pid"] == sandbox.health()["pid"]
    # Nothing was recorded in the other state directory, so stop there must not touch the server.
    assert launcher.stop("127.0.0.1", port, tmp_path) is False
    assert sandbox.health()["status"] == "ok"


def test_world_has_an_all_features_organization_and_standalone_clients(aws, world):
    org = aws.management("organizations")
    description = org.describe_organization()["Organization"]
    assert description["FeatureSet"] == "ALL"
    assert description["MasterAccountId"] == world["management"]["account_id"]
    member_ids = {a["Id"] for a in org.list_accounts()["Accounts"]}
    assert member_ids == {world["management"]["account_id"]}
    for key, client in world["clients"].items():
        assert client["account_id"] not in member_ids
        identity = aws.client_account(key, "sts").get_caller_identity()
        assert identity["Account"] == client["account_id"]
        assert identity["Arn"].endswith(":user/client-admin")


def test_aws_managed_policies_are_loaded(aws):
    iam = aws.management("iam")
    policy = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")["Policy"]
    assert policy["PolicyName"] == "ReadOnlyAccess"


def test_call_log_counts_calls_per_action_and_writes(aws, sandbox):
    mark = sandbox.mark()
    iam = aws.management("iam")
    iam.list_roles()
    iam.list_roles()
    iam.create_role(RoleName="probe", AssumeRolePolicyDocument="{}")
    summary = sandbox.call_summary(since=mark)
    assert summary["by_action"] == {"iam:CreateRole": 1, "iam:ListRoles": 2}
    assert summary["writes"] == 1
    assert summary["writes_by_action"] == {"iam:CreateRole": 1}
    calls = sandbox.calls(since=mark)["calls"]
    assert {c["account"] for c in calls} == {aws.world["management"]["account_id"]}
    assert [c["status"] for c in calls] == [200, 200, 200]


@pytest.mark.parametrize(
    ("service", "action", "code", "status", "call"),
    [
        (
            "organizations",
            "ListAccounts",
            "TooManyRequestsException",
            400,
            lambda a: a.management("organizations").list_accounts(),
        ),
        ("iam", "ListRoles", "Throttling", 400, lambda a: a.management("iam").list_roles()),
        ("sts", "GetCallerIdentity", "ExpiredToken", 403, lambda a: a.management("sts").get_caller_identity()),
        (
            "account",
            "GetAlternateContact",
            "TooManyRequestsException",
            429,
            lambda a: a.management("account").get_alternate_contact(AlternateContactType="BILLING"),
        ),
    ],
    ids=["json", "query-iam", "query-sts", "rest-json"],
)
def test_faults_speak_each_services_protocol(aws, sandbox, service, action, code, status, call):
    sandbox.add_fault(service=service, action=action, error_code=code, status=status, count=1)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(aws)
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    [rule] = sandbox.faults()
    assert rule["fired"] == 1 and rule["exhausted"]


def test_fault_every_kth_and_percent_are_repeatable(aws, sandbox):
    sandbox.add_fault(service="iam", action="ListUsers", error_code="Throttling", every=3)
    iam = aws.management("iam")
    outcomes = []
    for _attempt in range(6):
        try:
            iam.list_users()
            outcomes.append("ok")
        except botocore.exceptions.ClientError:
            outcomes.append("fail")
    assert outcomes == ["ok", "ok", "fail", "ok", "ok", "fail"]

    sandbox.clear_faults()
    runs = []
    for _attempt in range(2):
        sandbox.clear_faults()
        sandbox.add_fault(service="iam", action="ListUsers", error_code="Throttling", percent=50, seed=7)
        run = []
        for _attempt in range(20):
            try:
                iam.list_users()
                run.append(1)
            except botocore.exceptions.ClientError:
                run.append(0)
        runs.append(run)
    assert runs[0] == runs[1]
    assert 0 < sum(runs[0]) < 20


def test_fault_matches_request_parameters_and_caller(aws, sandbox, world):
    globex = world["clients"]["globex"]["account_id"]
    sandbox.add_fault(
        service="iam",
        action="GetUser",
        params={"UserName": "client-admin"},
        account=globex,
        error_code="AccessDenied",
        status=403,
        count=5,
    )
    # The management account's call does not match the account filter.
    aws.management("iam").get_user(UserName="msp-automation")
    with pytest.raises(botocore.exceptions.ClientError):
        aws.client_account("globex", "iam").get_user(UserName="client-admin")
    assert sandbox.faults()[0]["fired"] == 1


def test_latency_and_dropped_connection(aws, sandbox):
    sts = aws.management("sts")
    sandbox.add_fault(service="sts", action="GetCallerIdentity", latency_ms=300, count=1)
    started = time.monotonic()
    sts.get_caller_identity()
    assert time.monotonic() - started >= 0.3

    sandbox.add_fault(service="sts", action="GetCallerIdentity", drop_connection=True, count=1)
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        sts.get_caller_identity()
    assert sts.get_caller_identity()["Account"] == aws.world["management"]["account_id"]


def test_fault_after_the_call_took_effect(aws, sandbox):
    """when=after: the write happens, the caller only sees the error, as after a time-out."""
    iam = aws.management("iam")
    sandbox.add_fault(service="iam", action="CreateRole", error_code="ServiceFailure", status=500, when="after")
    with pytest.raises(botocore.exceptions.ClientError):
        iam.create_role(RoleName="half-done", AssumeRolePolicyDocument="{}")
    assert iam.get_role(RoleName="half-done")["Role"]["RoleName"] == "half-done"


def test_bad_fault_rules_are_refused(sandbox):
    from msp_sandbox.client import SandboxError

    with pytest.raises(SandboxError, match="unknown fault rule fields: colour"):
        sandbox.add_fault(service="iam", error_code="X", colour="red")
    with pytest.raises(SandboxError, match="at most one of count, every and percent"):
        sandbox.add_fault(error_code="X", count=1, every=2)
    with pytest.raises(SandboxError, match="needs error_code"):
        sandbox.add_fault(service="iam")


def test_clock_only_moves_forward(sandbox):
    from msp_sandbox.client import SandboxError

    before = sandbox.request("GET", "/clock")["offset_seconds"]
    after = sandbox.advance_clock(86400)["offset_seconds"]
    assert after - before == 86400
    with pytest.raises(SandboxError):
        sandbox.advance_clock(-1)


def test_moto_reset_forgets_organization_membership(aws, sandbox_endpoint, sandbox):
    """moto's /moto-api/reset kept master_accounts; a former member could not create an organization."""
    import urllib.request

    org = aws.management("organizations")
    created = org.create_account(AccountName="Reset Probe", Email="awsaccounts+reset-probe@msp.example")
    request_id = created["CreateAccountStatus"]["Id"]
    account_id = None
    for _attempt in range(100):
        status = org.describe_create_account_status(CreateAccountRequestId=request_id)["CreateAccountStatus"]
        if status["State"] != "IN_PROGRESS":
            account_id = status["AccountId"]
            break
    assert account_id
    urllib.request.urlopen(urllib.request.Request(f"{sandbox_endpoint}/moto-api/reset", method="POST")).read()
    member = aws.client("organizations", aws_access_key_id="testing", aws_secret_access_key="testing")
    # Act as the former member through moto's account header: it must be free to found an organization.
    member.meta.events.register(
        "before-sign.organizations.*", lambda request, **_: request.headers.__setitem__("x-moto-account-id", account_id)
    )
    assert member.create_organization(FeatureSet="ALL")["Organization"]["MasterAccountId"] == account_id


def test_sandbox_reset_restores_the_world(aws, sandbox, world):
    aws.management("iam").create_role(RoleName="leftover", AssumeRolePolicyDocument="{}")
    sandbox.add_fault(service="iam", error_code="Throttling", count=100)
    fresh = sandbox.reset()
    assert sandbox.faults() == []
    iam = aws.client("iam", fresh["management"]["credentials"])
    assert "leftover" not in {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert fresh["clients"].keys() == world["clients"].keys()


def test_self_check_passes_on_the_pinned_moto_and_names_what_is_missing(monkeypatch):
    from msp_sandbox import selfcheck

    selfcheck.run()  # every internal the extensions hook exists in moto 5.2.5
    hooked = selfcheck.required_internals()
    assert "moto.organizations.models.OrganizationsBackend.create_account" in hooked
    monkeypatch.setattr(
        selfcheck, "required_internals", lambda: [*hooked, "moto.organizations.models.OrganizationsBackend.gone"]
    )
    with pytest.raises(selfcheck.SelfCheckError, match=r"lacks internals .*OrganizationsBackend\.gone"):
        selfcheck.run()
