"""playbooks/audit.yml's per-client checks against the sandbox: the onboarding's drift, roles trusting accounts other
than the MSP's, MSP roles without MFA, the root user's credentials, and the engineers' groups.

Every client of the sandbox inventory is onboarded once for the module (acme and hooli created, globex invited), and
centralised root access is enabled. A clean estate audits clean; then one hand-made change of each kind is made
with boto3 and one audit reports each for the right client and fails, and an audit with audit_fail_on_drift=false
passes with the same report. No audit writes: the only non-read calls in the call log are the sessions the audit
opens (sts:AssumeRole into the client accounts, sts:AssumeRoot for the read-only root audit).
"""

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import run_playbook

from msp_sandbox.pytest_fixtures import Aws

MANAGEMENT = "123456789012"
FOREIGN = "999999999999"
# The calls that open a session: the sandbox counts every action not named Get/List/Describe as a write.
SESSIONS = {"sts:AssumeRole", "sts:AssumeRoot"}


def member(aws: Aws, account_id: str, service: str):
    """A client of the created account ``account_id``, through its OrganizationAccountAccessRole."""
    sts = aws.management("sts")
    role = f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole"
    return aws.client(service, Aws.assumed(sts.assume_role(RoleArn=role, RoleSessionName="test-drift")))


def enable_root_access(aws: Aws) -> None:
    """Centralised root access, as playbooks/onboard.yml enables it with msp_root_access (idempotent here)."""
    aws.management("organizations").enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    iam = aws.management("iam")
    enabled = set(iam.list_organizations_features().get("EnabledFeatures", []))
    if "RootCredentialsManagement" not in enabled:
        iam.enable_organizations_root_credentials_management()
    if "RootSessions" not in enabled:
        iam.enable_organizations_root_sessions()


def seed_root(endpoint: str, account_id: str, **counts) -> None:
    body = json.dumps({"account_id": account_id, **counts}).encode()
    request = urllib.request.Request(
        f"{endpoint}/_sandbox/root-credentials", data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def audit(sandbox_client, endpoint, tmp_path, *args):
    """Run the audit; ``(rc, output, audit.md, audit.json, calls)``, the calls being the run's call-log summary."""
    mark = sandbox_client.mark()
    rc, output = run_playbook("audit.yml", tmp_path, endpoint, *args)
    report = tmp_path / "audit"
    markdown = (report / "audit.md").read_text() if (report / "audit.md").exists() else ""
    data = json.loads((report / "audit.json").read_text()) if (report / "audit.json").exists() else {}
    return rc, output, markdown, data, sandbox_client.call_summary(since=mark)


def assert_read_only(calls):
    """Nothing written: every call is a read, or opens a session."""
    assert set(calls["writes_by_action"]) <= SESSIONS, calls["writes_by_action"]


def sections(data):
    return {section["host"]: section for section in data["client_sections"]}


@pytest.fixture(scope="module")
def estate(sandbox_client, sandbox_endpoint, tmp_path_factory):
    """Every sandbox client onboarded, root access enabled: ``{"aws": Aws, "ids": {client: account id}}``."""
    sandbox_client.reset()
    world = sandbox_client.world()
    rc, output = run_playbook(
        "onboard.yml", tmp_path_factory.mktemp("onboard"), sandbox_endpoint, "-e", "client=clients"
    )
    assert rc == 0, output[-4000:]
    aws = Aws(sandbox_endpoint, world)
    enable_root_access(aws)
    emails = {
        account["Email"]: account["Id"] for account in aws.management("organizations").list_accounts()["Accounts"]
    }
    ids = {
        "acme": emails["awsaccounts+acme@msp.example"],
        "hooli": emails["awsaccounts+hooli@msp.example"],
        "globex": "210987654321",
    }
    return {"aws": aws, "ids": ids}


def test_a_clean_estate_has_no_finding(estate, sandbox_client, sandbox_endpoint, tmp_path):
    rc, output, markdown, data, calls = audit(sandbox_client, sandbox_endpoint, tmp_path)
    assert rc == 0, output[-6000:]
    assert data["findings"] == [], data["findings"]
    assert data["sections"] == ["coverage", "clients", "engineers"]
    clients = sections(data)
    assert sorted(clients) == ["acme", "globex", "hooli"]
    for host, section in clients.items():
        assert section["account_id"] == estate["ids"][host]
        assert section["drift"] == [] and section["foreign_trust"] == [] and section["no_mfa"] == [], section
        assert section["roles_read"] and section["error"] is None, section
        assert section["root"]["state"] == "none", section["root"]
    # The inventory's root policy: created accounts delete by default, invited ones keep.
    assert clients["acme"]["root"]["policy"] == "delete" and clients["globex"]["root"]["policy"] == "keep"
    assert data["engineers"]["drift"] == []
    assert "### acme (account " in markdown and "Nothing found: the account is as the onboarding leaves it." in markdown
    assert "## Engineers' access (identity account)" in markdown and "No drift." in markdown
    assert_read_only(calls)


def make_drift(aws: Aws, endpoint: str, ids: dict) -> None:
    """One hand-made change of each kind the audit must see."""
    acme_iam = member(aws, ids["acme"], "iam")
    hooli_iam = member(aws, ids["hooli"], "iam")
    org = aws.management("organizations")
    # acme: a role's trust edited by hand (its MFA condition dropped), a managed policy attached, a tag removed.
    trust = acme_iam.get_role(RoleName="MspAdmin")["Role"]["AssumeRolePolicyDocument"]
    for statement in trust["Statement"]:
        statement.pop("Condition", None)
    acme_iam.update_assume_role_policy(RoleName="MspAdmin", PolicyDocument=json.dumps(trust))
    acme_iam.attach_role_policy(RoleName="MspEngineer", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    org.untag_resource(ResourceId=ids["acme"], TagKeys=["cost-centre"])
    # acme's root user got a password and an access key (client_root_credentials: delete): a finding.
    seed_root(endpoint, ids["acme"], login_profile=True, access_keys=1)
    # globex: a contact changed.
    aws.management("account").put_alternate_contact(
        AccountId=ids["globex"],
        AlternateContactType="OPERATIONS",
        Name="Someone Else",
        Title="Ops",
        EmailAddress="ops@elsewhere.example",
        PhoneNumber="+1 555 0000",
    )
    # hooli: moved to another OU, an inline policy changed, a role deleted, a role trusting a foreign account.
    root_id = org.list_roots()["Roots"][0]["Id"]
    clients_ou = next(
        ou
        for ou in org.list_organizational_units_for_parent(ParentId=root_id)["OrganizationalUnits"]
        if ou["Name"] == "Clients"
    )
    onboarding_ou = next(
        ou
        for ou in org.list_organizational_units_for_parent(ParentId=clients_ou["Id"])["OrganizationalUnits"]
        if ou["Name"] == "Onboarding"
    )
    parent = org.list_parents(ChildId=ids["hooli"])["Parents"][0]["Id"]
    org.move_account(AccountId=ids["hooli"], SourceParentId=parent, DestinationParentId=onboarding_ou["Id"])
    hooli_iam.put_role_policy(
        RoleName="HooliAnalyst",
        PolicyName="ReportsBucket",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        ),
    )
    for attached in hooli_iam.list_attached_role_policies(RoleName="MspOnCall")["AttachedPolicies"]:
        hooli_iam.detach_role_policy(RoleName="MspOnCall", PolicyArn=attached["PolicyArn"])
    for name in hooli_iam.list_role_policies(RoleName="MspOnCall")["PolicyNames"]:
        hooli_iam.delete_role_policy(RoleName="MspOnCall", PolicyName=name)
    hooli_iam.delete_role(RoleName="MspOnCall")
    hooli_iam.create_role(
        RoleName="VendorAudit",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": FOREIGN}, "Action": "sts:AssumeRole"}],
            }
        ),
    )
    # hooli's root user has an MFA device (client_root_credentials: keep): information, no finding.
    seed_root(endpoint, ids["hooli"], mfa_devices=1)
    # The engineers: msp-oncall's policy edited by hand in the identity account (here the management account).
    iam = aws.management("iam")
    policy = next(
        p
        for p in iam.list_policies(Scope="Local", PathPrefix="/msp-aws-accounts/")["Policies"]
        if p["PolicyName"].startswith("msp-oncall")
    )
    iam.create_policy_version(
        PolicyArn=policy["Arn"],
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
        ),
        SetAsDefault=True,
    )


@pytest.fixture(scope="module")
def drifted(estate, sandbox_client, sandbox_endpoint, tmp_path_factory):
    """The drift made, then audited twice at once (both only read): failing, and with audit_fail_on_drift=false.
    ``calls`` is the call log of both runs."""
    make_drift(estate["aws"], sandbox_endpoint, estate["ids"])
    mark = sandbox_client.mark()
    runs = [
        (tmp_path_factory.mktemp("failing"),),
        (tmp_path_factory.mktemp("reporting"), "-e", "audit_fail_on_drift=false"),
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        failing, reporting = pool.map(lambda run: audit(sandbox_client, sandbox_endpoint, *run), runs)
    return {
        "failing": failing,
        "reporting": reporting,
        "ids": estate["ids"],
        "calls": sandbox_client.call_summary(since=mark),
    }


def findings_of(findings, host, ids):
    return [finding for finding in findings if finding.startswith(f"Client {host} (account {ids[host]})")]


def test_each_drift_is_reported_for_its_client_and_fails_the_run(drifted):
    rc, output, markdown, data, _calls = drifted["failing"]
    ids = drifted["ids"]
    assert rc != 0, output[-6000:]
    findings = data["findings"]
    assert f"The audit found {len(findings)} problem(s)" in output, output[-6000:]
    for finding in findings:  # every finding is a line of the failure message
        assert json.dumps(finding)[1:-1] in output, finding
    acme = findings_of(findings, "acme", ids)
    assert any("the role /msp/MspAdmin differs" in f and "trust_policy" in f for f in acme), acme
    assert any("/msp/MspAdmin lets the MSP's " in f and "without MFA" in f for f in acme), acme
    assert any(
        "the role /msp/MspEngineer differs" in f
        and "managed_policies: -arn:aws:iam::aws:policy/AdministratorAccess" in f
        for f in acme
    ), acme
    assert any(
        "the account (OU, tags, alternate contacts) differs" in f and "tags.cost-centre: (none) -> 4711" in f
        for f in acme
    ), acme
    assert any(
        "the root user has a password, 1 access key(s) although client_root_credentials is delete" in f for f in acme
    ), acme
    assert len(acme) == 5, acme
    globex = findings_of(findings, "globex", ids)
    assert len(globex) == 1 and "alternate_contacts.operations.name: Someone Else -> MSP Operations" in globex[0], (
        globex
    )
    hooli = findings_of(findings, "hooli", ids)
    assert any("parent: /Clients/Onboarding -> /Clients/Production" in f for f in hooli), hooli
    assert any(
        "the role /msp/HooliAnalyst differs" in f and "ReportsBucket.Statement[0].Action: s3:* ->" in f for f in hooli
    ), hooli
    assert any("the role /msp/MspOnCall differs" in f and "missing: a run would create it" in f for f in hooli), hooli
    assert any(f"VendorAudit trusts accounts other than the MSP's: {FOREIGN}" in f for f in hooli), hooli
    assert len(hooli) == 4, hooli
    engineers = [f for f in findings if f.startswith("Engineers' access")]
    assert len(engineers) == 1 and "policy msp-oncall" in engineers[0], engineers
    assert len(findings) == 11, findings
    # The report for people: each client's section with the modules' diffs, the root state, the engineers.
    clients = sections(data)
    assert clients["hooli"]["root"]["state"] == "present" and clients["hooli"]["root"]["policy"] == "keep"
    assert "1 MFA device(s) - kept, as the inventory says (information)." in markdown, markdown
    assert "a password, 1 access key(s) - a finding: onboarding deletes them for this client." in markdown
    assert "  - tags.cost-centre: (none) -\\> 4711" in markdown, markdown
    assert f"| {clients['hooli']['foreign_trust'][0]['arn']} | {FOREIGN} |" in markdown, markdown


def test_without_failing_on_drift_the_same_is_reported(drifted):
    failing, reporting = drifted["failing"], drifted["reporting"]
    rc, output, markdown, data, _calls = reporting
    assert rc == 0, output[-6000:]
    assert "The audit found" not in output
    assert data["findings"] == failing[3]["findings"]
    assert data["client_sections"] == failing[3]["client_sections"]
    assert markdown.split("\n", 3)[3] == failing[2].split("\n", 3)[3]  # all but the time it was made


def test_the_audits_wrote_nothing(drifted):
    assert_read_only(drifted["calls"])
    assert drifted["calls"]["by_action"]["sts:AssumeRoot"] == 6  # the read-only root audit, per client and run
