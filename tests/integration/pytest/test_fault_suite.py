"""The fault-injection suite: playbooks/onboard.yml against an AWS that misbehaves, and a controller that dies.

One onboarding of acme (created by the organization) and globex (invited, with the client's own keys) from the
sandbox inventory, at ``-vvv``, meets every fault of AWS at once (module fixture ``faulty_onboarding``):

- 20% of Organizations, IAM, STS and Account Management calls throttled (seeded), each with the service's own
  throttling error and HTTP status (``THROTTLING``);
- every CreateAccount request IN_PROGRESS for 15 polls of DescribeCreateAccountStatus;
- each new account's access role refused (AccessDenied) for its first 3 AssumeRole attempts.

Each test below reads that run's call log for the fault it proves was met (so combining them hides none), and
the run's result in AWS. The same run, and a handover of acme after it (both ``-vvv``), prove that no secret
reaches any output. A second organization proves that onboarding 10 clients survives SIGKILL at seeded
random points and converges, with nothing duplicated.
"""

import contextlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from conftest import ANSIBLE_PLAYBOOK, REPO, SANDBOX_INVENTORY, playbook_env, run_playbook

from msp_sandbox.pytest_fixtures import Aws

MANAGEMENT = "123456789012"
CREATED_ACCESS_ROLE = "OrganizationAccountAccessRole"
INVITED_ACCESS_ROLE = "MspOrganizationAccess"
ROLE_PATH = "/msp/"

# Each service's own throttling answer, as AWS gives it: Organizations (JSON) TooManyRequestsException with
# HTTP 400, IAM and STS (query) Throttling with 400, the Account Management API (REST-JSON) TooManyRequestsException
# with 429 (its model's httpStatusCode).
THROTTLING = {
    "organizations": ("TooManyRequestsException", 400),
    "iam": ("Throttling", 400),
    "sts": ("Throttling", 400),
    "account": ("TooManyRequestsException", 429),
}
THROTTLE_PERCENT = 20
IN_PROGRESS_POLLS = 15
ACCESS_DENIED_ATTEMPTS = 3
# The wait for a new account goes in steps of this many seconds, each one aws_member_account invocation that
# resumes the request: 15 polls take about 40 s instead of the 5 minutes of one invocation's backoff (2 s, x1.5,
# up to 30 s), and every step proves that a waiting run resumes its request instead of sending another.
WAIT_STEP = 3
# The run onboards one client of each kind; hooli (created, like acme) would add time and no other fault.
ONBOARDED = ("acme", "globex")
CREATED = ("acme",)
WAIT_TIMEOUT = 240
# A bound for each playbook run, far above its time here (a stuck run fails instead of holding CI).
RUN_TIMEOUT = 1800


def role_session(aws: Aws, account_id: str, role_name: str, service: str):
    """A client of ``service`` in ``account_id``, through the MSP's access role, as the management account."""
    session = aws.management("sts", retries=3).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{role_name}", RoleSessionName="test-fault-suite"
    )
    return aws.client(service, Aws.assumed(session), retries=3)


def organization_accounts(aws: Aws) -> dict:
    """``{email: [account ids]}`` of the organization's members (a list, to see duplicates)."""
    accounts = {}
    for page in aws.management("organizations", retries=3).get_paginator("list_accounts").paginate():
        for account in page["Accounts"]:
            accounts.setdefault(account["Email"].lower(), []).append(account["Id"])
    return accounts


def organizational_units(aws: Aws) -> list[str]:
    """Every OU path of the organization, once per OU (a duplicate OU shows twice)."""
    org = aws.management("organizations", retries=3)
    paths = []

    def walk(parent_id, prefix):
        for page in org.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent_id):
            for ou in page["OrganizationalUnits"]:
                paths.append(f"{prefix}/{ou['Name']}")
                walk(ou["Id"], f"{prefix}/{ou['Name']}")

    walk(org.list_roots()["Roots"][0]["Id"], "")
    return sorted(paths)


def load_inventory(inventory: Path) -> tuple[dict, dict]:
    """The MSP-wide settings and ``{host: host_vars}`` of the clients group, as the YAML files give them."""
    settings = yaml.safe_load((inventory / "group_vars" / "all" / "msp.yml").read_text())
    hosts = yaml.safe_load((inventory / "hosts.yml").read_text())["all"]["children"]["clients"]["hosts"]
    clients = {host: yaml.safe_load((inventory / "host_vars" / f"{host}.yml").read_text()) for host in hosts}
    return settings, clients


def expected_roles(settings: dict, client: dict) -> dict:
    """``{role name: entry}``: the catalogue entries the client picks, and its own roles, as the inventory says."""
    catalogue = {entry["key"]: entry for entry in settings["msp_role_catalogue"]}
    keys = client.get("client_roles") or settings["msp_default_roles"]
    entries = [catalogue[key] for key in keys] + list(client.get("client_custom_roles") or [])
    return {entry["role_name"]: entry for entry in entries}


def trust_problems(document: dict, entry: dict) -> list[str]:
    """What is wrong with a role's trust policy, read by meaning: exactly one statement allowing sts:AssumeRole to
    the identity account (its root ARN or bare id) with MFA present, and the MFA age limit when the entry has one."""
    statements = document["Statement"]
    if len(statements) != 1:
        return [f"{len(statements)} statements"]
    statement = statements[0]
    problems = []
    principal = statement.get("Principal", {}).get("AWS")
    if principal not in (f"arn:aws:iam::{MANAGEMENT}:root", MANAGEMENT, [f"arn:aws:iam::{MANAGEMENT}:root"]):
        problems.append(f"principal {principal}")
    if statement.get("Effect") != "Allow" or statement.get("Action") not in ("sts:AssumeRole", ["sts:AssumeRole"]):
        problems.append(f"effect/action {statement.get('Effect')} {statement.get('Action')}")
    condition = statement.get("Condition", {})
    if str(condition.get("Bool", {}).get("aws:MultiFactorAuthPresent")).lower() != "true":
        problems.append(f"no MFA condition: {condition}")
    age = condition.get("NumericLessThan", {}).get("aws:MultiFactorAuthAge")
    if str(age) != str(entry.get("mfa_max_age")) and not (age is None and entry.get("mfa_max_age") is None):
        problems.append(f"MFA age {age}, expected {entry.get('mfa_max_age')}")
    return problems


def role_problems(aws: Aws, account_id: str, access_role: str, settings: dict, client: dict) -> list[str]:
    """Every difference between the MSP's roles in the account (path /msp/) and what the inventory asks for."""
    iam = role_session(aws, account_id, access_role, "iam")
    expected = expected_roles(settings, client)
    found = [role for page in iam.get_paginator("list_roles").paginate() for role in page["Roles"]]
    on_path = [role["RoleName"] for role in found if role["Path"] == ROLE_PATH]
    problems = []
    if sorted(on_path) != sorted(expected):
        problems.append(f"roles on {ROLE_PATH}: {sorted(on_path)}, expected {sorted(expected)}")
    for name, entry in expected.items():
        if name not in on_path:
            continue
        role = iam.get_role(RoleName=name)["Role"]
        for problem in trust_problems(role["AssumeRolePolicyDocument"], entry):
            problems.append(f"{name}: trust: {problem}")
        if role.get("MaxSessionDuration", 3600) != entry.get("max_session_duration", 3600):
            problems.append(f"{name}: MaxSessionDuration {role.get('MaxSessionDuration')}")
        managed = {p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]}
        if managed != set(entry.get("managed_policies") or []):
            problems.append(f"{name}: managed policies {sorted(managed)}")
        inline = set(iam.list_role_policies(RoleName=name)["PolicyNames"])
        wanted = entry.get("inline_policies") or {}
        if inline != set(wanted):
            problems.append(f"{name}: inline policies {sorted(inline)}")
        for policy in inline & set(wanted):
            document = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
            if compare_policies(document, wanted[policy]):
                problems.append(f"{name}: inline policy {policy} differs: {document}")
    return problems


def all_role_problems(aws: Aws, sandbox, inventory: Path, ids: dict) -> dict:
    """``{host: problems}`` for the clients of ``ids`` (host to account id)."""
    settings, clients = load_inventory(inventory)
    # The roles are read through the access roles, whose trust is not under test (the handover's tests check it).
    sandbox.configure(trust_enforcement=False)
    try:
        return {
            host: role_problems(
                aws,
                ids[host],
                INVITED_ACCESS_ROLE if clients[host].get("client_join") == "invite" else CREATED_ACCESS_ROLE,
                settings,
                clients[host],
            )
            for host in ids
        }
    finally:
        sandbox.configure(trust_enforcement=True)


def root_email(settings: dict, host: str, client: dict) -> str:
    if client.get("client_email"):
        return client["client_email"].lower()
    local, domain = settings["msp_mailbox"].split("@")
    return f"{local}+{client.get('client_key', host)}@{domain}".lower()


def create_requests(aws: Aws) -> list[dict]:
    org = aws.management("organizations", retries=3)
    return [
        status
        for page in org.get_paginator("list_create_account_status").paginate()
        for status in page["CreateAccountStatuses"]
    ]


def summary_of(calls: list[dict]) -> dict:
    """Counts of the calls by ``(service:action, outcome)``: ok, injected (the fault rules'), or the error code."""
    return Counter(
        (
            f"{c['service']}:{c['action']}",
            "injected" if c["injected"] else ("ok" if c["status"] < 400 else c["error_code"]),
        )
        for c in calls
    )


# --- one onboarding through every fault of AWS at once ----------------------------------------------------------


@pytest.fixture(scope="module")
def faulty_onboarding(sandbox_client, sandbox_endpoint, tmp_path_factory):
    """The sandbox inventory's clients onboarded at -vvv through throttling, slow CreateAccount and refused
    access roles. ``{"rc", "output", "calls", "rules", "world", "ids", "inventory", "dir"}``.

    Module-scoped (one onboarding for every test that reads it), so it uses ``sandbox_client``: the
    ``sandbox`` fixture would reset the sandbox."""
    sandbox_client.reset()
    world = sandbox_client.world()
    run_dir = tmp_path_factory.mktemp("faulty-onboarding")
    inventory = run_dir / "inventory"
    shutil.copytree(SANDBOX_INVENTORY, inventory)
    msp_file = inventory / "group_vars" / "all" / "msp.yml"
    msp = yaml.safe_load(msp_file.read_text())
    msp.update(msp_wait_timeout=WAIT_TIMEOUT, member_account_wait_step=WAIT_STEP)
    msp_file.write_text(yaml.safe_dump(msp, sort_keys=False))
    sandbox_client.configure(
        create_account_in_progress_polls=IN_PROGRESS_POLLS,
        new_account_access_denied_attempts=ACCESS_DENIED_ATTEMPTS,
    )
    for seed, (service, (code, status)) in enumerate(THROTTLING.items(), start=8):
        sandbox_client.add_fault(
            service=service,
            error_code=code,
            status=status,
            message="Rate exceeded (injected by test_fault_suite)",
            percent=THROTTLE_PERCENT,
            seed=seed,
        )
    mark = sandbox_client.mark()
    try:
        rc, output = run_playbook(
            "onboard.yml",
            run_dir,
            sandbox_endpoint,
            "-vvv",
            "-e",
            f"client={','.join(ONBOARDED)}",
            inventory=inventory,
            timeout=RUN_TIMEOUT,
        )
        rules = sandbox_client.faults()
    finally:
        sandbox_client.clear_faults()
        sandbox_client.configure(create_account_in_progress_polls=2, new_account_access_denied_attempts=0)
    calls = sandbox_client.calls(since=mark)["calls"]
    settings, clients = load_inventory(inventory)
    by_email = organization_accounts(Aws(sandbox_endpoint, world))
    ids = {host: by_email.get(root_email(settings, host, clients[host]), [None])[0] for host in ONBOARDED}
    return {
        "rc": rc,
        "output": output,
        "calls": calls,
        "rules": rules,
        "world": world,
        "ids": ids,
        "inventory": inventory,
        "dir": run_dir,
    }


def test_throttled_onboarding_converges_with_the_right_roles(faulty_onboarding, sandbox_client, sandbox_endpoint):
    run = faulty_onboarding
    assert run["rc"] == 0, run["output"][-6000:]
    # Every service was throttled, with its own code and status, on about a fifth of its calls.
    injected = [c for c in run["calls"] if c["injected"]]
    for service, (code, status) in THROTTLING.items():
        hits = [c for c in injected if c["service"] == service]
        assert hits, f"no {service} call was throttled"
        assert {(c["error_code"], c["status"]) for c in hits} == {(code, status)}, hits
    # About a fifth of the calls overall (a service with few calls, STS, may see fewer by chance of the seed).
    assert all(rule["fired"] for rule in run["rules"]), run["rules"]
    fired, matched = (sum(rule[field] for rule in run["rules"]) for field in ("fired", "matched"))
    assert 0.1 < fired / matched < 0.3, run["rules"]
    aws = Aws(sandbox_endpoint, run["world"])
    assert all(run["ids"].values()), run["ids"]
    assert all_role_problems(aws, sandbox_client, run["inventory"], run["ids"]) == {host: [] for host in run["ids"]}


def test_slow_create_account_is_waited_for_and_sent_once(faulty_onboarding, sandbox_endpoint):
    run = faulty_onboarding
    assert run["rc"] == 0, run["output"][-6000:]
    counts = summary_of(run["calls"])
    # Each request answered IN_PROGRESS to 15 polls (then the next read, often the next step's ListAccounts, found
    # it finished).
    assert counts[("organizations:DescribeCreateAccountStatus", "ok")] >= len(CREATED) * IN_PROGRESS_POLLS
    # One CreateAccount per new account reached AWS (a throttled submission never did: it is refused before).
    assert counts[("organizations:CreateAccount", "ok")] == len(CREATED), counts
    requests = create_requests(Aws(sandbox_endpoint, run["world"]))
    assert sorted(r["State"] for r in requests) == ["SUCCEEDED"] * len(CREATED), requests
    assert sorted(r["AccountId"] for r in requests) == sorted(run["ids"][host] for host in CREATED)
    # The wait went on in steps, each resuming the request; the run said what it waited for.
    assert "is still IN_PROGRESS" in run["output"], run["output"][-3000:]


def test_a_refused_access_role_is_retried_until_the_roles_are_made(faulty_onboarding):
    run = faulty_onboarding
    assert run["rc"] == 0, run["output"][-6000:]
    # AWS's own refusals (not the throttling rules'): the sandbox's new-account fault, 3 per created account.
    denied = [c for c in run["calls"] if c["action"] == "AssumeRole" and c["error_code"] == "AccessDenied"]
    assert not any(c["injected"] for c in denied)
    assert len(denied) == len(CREATED) * ACCESS_DENIED_ATTEMPTS, denied
    # ...and the roles exist (test_throttled_onboarding_converges_with_the_right_roles compares them).
    counts = summary_of(run["calls"])
    # acme's three catalogue roles; globex's two and the access role its own keys create.
    assert counts[("iam:CreateRole", "ok")] == 3 + 2 + 1, counts


# --- no secret in any output ------------------------------------------------------------------------------------

NEW_ROOT_EMAIL = "it@acme.example"
# What the sessions the runs open look like, since the sandbox lists none of them: moto's session tokens
# (moto.sts.utils), temporary access key ids (AssumeRole's and AssumeRoot's), and secret keys (40 characters of
# base64 with upper- and lower-case letters and digits, unlike a SHA-1 or an MFA seed).
SESSION_TOKEN = re.compile(r"FQoGZXIvYXdzEBYaD[A-Za-z0-9/+=]*")
SESSION_KEY_ID = re.compile(r"\bASIA[A-Z0-9]{16}\b")
CREDENTIAL_FIELDS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
BASE64_40 = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


def secret_keys(text: str) -> list[str]:
    return [found for found in BASE64_40.findall(text) if all(re.search(c, found) for c in ("[A-Z]", "[a-z]", "[0-9]"))]


def world_secrets(world: dict, key_ids: bool) -> dict:
    """``{secret: what it is}`` from the sandbox's world: the secret keys of the MSP's automation user and of the
    clients' own users, and every part of the clients' (globex's is its client_credentials, no_log as a whole);
    with ``key_ids``, the MSP's key id instead."""
    secrets = {}
    for who, entry in [("management", world["management"]), *world["clients"].items()]:
        for field, value in entry["credentials"].items():
            # The credentials hold the user's ARN too, which AWS's own refusals name: not a secret.
            if field not in CREDENTIAL_FIELDS:
                continue
            if (who == "management" and field == "aws_access_key_id") == key_ids:
                secrets[value] = f"{who} {field}"
    return secrets


def leaks(outputs: dict, secrets: dict, patterns: dict) -> dict:
    """``{what the secret is: [where it appeared]}`` over ``outputs`` (``{source: text}``), for the ``secrets``
    (``{secret: what}``) and ``patterns`` (``{what: function of a text to what it finds}``); in a playbook's output,
    where is the task that printed it."""
    found = {}
    for source, text in outputs.items():
        sections = text.split("\nTASK [") if "PLAY RECAP" in text else [text]
        for section in sections:
            where = f"{source}: {section.split(']', 1)[0]}" if len(sections) > 1 else source
            for secret, what in secrets.items():
                if secret in section:
                    found.setdefault(what, []).append(where)
            for what, find in patterns.items():
                if find(section):
                    found.setdefault(what, []).append(where)
    return found


def written_files(directory: Path, skip: Path) -> dict:
    """``{path: text}`` of every file under ``directory`` but ``skip`` (the inventory copy)."""
    return {
        str(path.relative_to(directory)): path.read_text(errors="replace")
        for path in directory.rglob("*")
        if path.is_file() and skip not in path.parents
    }


@pytest.fixture(scope="module")
def outputs_at_vvv(faulty_onboarding, sandbox_client, sandbox_endpoint):
    """acme, onboarded by ``faulty_onboarding``, handed over at -vvv (run 1 mails the one-time code, run 2 with
    it completes). ``{"outputs": {source: text}, "code"}``: the three runs' outputs and every file they wrote, and
    the one-time code."""
    run = faulty_onboarding
    assert run["rc"] == 0, run["output"][-6000:]
    # AWS keeps a created account four days before it may leave.
    sandbox_client.advance_clock(5 * 24 * 3600)
    confirmed = ("-e", f"new_root_email={NEW_ROOT_EMAIL}", "-e", f"handover_confirm={run['ids']['acme']}")

    def hand_over(*args):
        return run_playbook(
            "handover.yml",
            run["dir"],
            sandbox_endpoint,
            *("-vvv", "-e", "client=acme", *confirmed, *args),
            env={"MSP_HANDOVER_DIR": str(run["dir"] / "reports")},
            inventory=run["inventory"],
            timeout=RUN_TIMEOUT,
        )

    rc, mailed = hand_over()
    assert rc == 0, mailed[-4000:]
    code = sandbox_client.request("GET", "/outbox", query={"to": NEW_ROOT_EMAIL})["messages"][-1]["code"]
    rc, completed = hand_over("-e", f"root_email_otp={code}")
    assert rc == 0, completed[-4000:]
    assert json.loads((run["dir"] / "reports" / "acme" / "handover.json").read_text())["status"] == "completed"
    outputs = {"onboarding": run["output"], "handover (code mailed)": mailed, "handover (completed)": completed}
    outputs.update(written_files(run["dir"], run["inventory"]))
    return {"outputs": outputs, "code": code}


def test_no_secret_key_token_code_or_client_credential_in_any_output_at_vvv(outputs_at_vvv, faulty_onboarding):
    secrets = world_secrets(faulty_onboarding["world"], key_ids=False)
    secrets[outputs_at_vvv["code"]] = "the root email's one-time code"
    patterns = {"a session token": SESSION_TOKEN.search, "a secret key": secret_keys}
    assert leaks(outputs_at_vvv["outputs"], secrets, patterns) == {}


def test_no_access_key_id_in_any_output_at_vvv(outputs_at_vvv, faulty_onboarding):
    # The collection's modules hide the key id (common.quiet_access_key); the engineer_access role's amazon.aws
    # tasks, which show their arguments from -vvv on, are no_log at that verbosity.
    secrets = world_secrets(faulty_onboarding["world"], key_ids=True)
    assert leaks(outputs_at_vvv["outputs"], secrets, {"a session's key id": SESSION_KEY_ID.search}) == {}


# --- ten clients, the controller killed at random points -----------------------------------------------------

TENANTS = 10
KILL_SEED = 8
KILLED_RUNS = 3
# Each killed run dies after this many of its own write calls (AssumeRole included), drawn with KILL_SEED: early
# (accounts being created), in the middle (roots, roles) or late (the engineers' access), as chance has it.
KILL_AFTER_WRITES = (1, 150)
MAX_RERUNS = 3


def tenant_inventory(directory: Path, count: int) -> Path:
    """The sandbox inventory's MSP settings with ``count`` clients whose accounts the organization creates."""
    inventory = directory / "inventory"
    shutil.copytree(SANDBOX_INVENTORY / "group_vars", inventory / "group_vars")
    hosts = {f"tenant{number:02d}": {} for number in range(1, count + 1)}
    (inventory / "hosts.yml").write_text(
        yaml.safe_dump({"all": {"children": {"clients": {"hosts": hosts}}, "hosts": {"localhost": None}}})
    )
    (inventory / "host_vars").mkdir()
    for number, host in enumerate(hosts, start=1):
        entry = {"client_name": f"Tenant {number:02d}", "client_tags": {"client": host}}
        (inventory / "host_vars" / f"{host}.yml").write_text(yaml.safe_dump(entry))
    return inventory


def process_tree(root: int) -> set[int]:
    """``root`` and every process below it, from /proc (Ansible's workers leave the group: they call setsid)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                # The fields after the command's closing parenthesis: state, ppid, ...
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid not in tree:
            tree.add(pid)
            todo.extend(children.get(pid, []))
    return tree


def kill_everything(proc: subprocess.Popen) -> None:
    """SIGKILL for ansible-playbook's process group and every process it started, as when a controller or an
    execution node dies: the tree is stopped first (SIGSTOP), so nothing forks or completes a call meanwhile."""
    stopped: set[int] = set()
    while new := process_tree(proc.pid) - stopped:
        for pid in new:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        stopped |= new
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    for pid in stopped:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.communicate(timeout=60)


def run_until_killed(inventory: Path, run_dir: Path, endpoint: str, sandbox, kill_after: int) -> tuple[int | None, str]:
    """onboard.yml for every tenant, killed once the sandbox logged ``kill_after`` writes of it. ``(rc, output)``;
    rc None when it was killed, the run's own when it ended first."""
    log = run_dir / f"run-{time.monotonic_ns()}.log"
    mark = sandbox.mark()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                str(ANSIBLE_PLAYBOOK),
                "-i",
                str(inventory),
                str(REPO / "playbooks" / "onboard.yml"),
                "-e",
                "client=clients",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=playbook_env(run_dir, endpoint),
            cwd=REPO,
            start_new_session=True,
        )
        rc = None
        deadline = time.monotonic() + RUN_TIMEOUT
        while rc is None:
            if sandbox.call_summary(since=mark)["writes"] >= kill_after:
                kill_everything(proc)
                break
            if time.monotonic() > deadline:
                kill_everything(proc)
                raise AssertionError(f"onboard.yml ran for more than {RUN_TIMEOUT} s:\n{log.read_text()[-4000:]}")
            time.sleep(0.1)
            rc = proc.poll()
    return rc, log.read_text()


def test_onboarding_killed_at_random_points_converges_without_duplicates(
    sandbox, sandbox_endpoint, world, aws, tmp_path
):
    sandbox.configure(organization_account_quota=TENANTS + 5)
    inventory = tenant_inventory(tmp_path, TENANTS)
    settings, clients = load_inventory(inventory)
    rng = random.Random(KILL_SEED)
    mark = sandbox.mark()
    runs = []
    # The killed runs, then re-runs until one succeeds; a run to be killed that ends first (it had fewer writes
    # left than drawn) counts as a re-run.
    for attempt in range(KILLED_RUNS + MAX_RERUNS):
        if attempt < KILLED_RUNS:
            kill_after = rng.randint(*KILL_AFTER_WRITES)
            rc, output = run_until_killed(inventory, tmp_path, sandbox_endpoint, sandbox, kill_after)
        else:
            rc, output = run_playbook(
                "onboard.yml",
                tmp_path,
                sandbox_endpoint,
                "-e",
                "client=clients",
                inventory=inventory,
                timeout=RUN_TIMEOUT,
            )
        runs.append(f"killed after {kill_after} writes" if rc is None else f"ended with rc {rc}")
        if rc == 0:
            break
    history = ", ".join(runs)
    assert rc == 0, f"{history}\n{output[-6000:]}"
    assert runs.count("ended with rc 0") == 1 and len([run for run in runs if run.startswith("killed")]) >= 2, history

    # Exactly one account per tenant, each made by one CreateAccount: none was sent again for an account that
    # existed or was being created.
    accounts = organization_accounts(aws)
    emails = {root_email(settings, host, client): host for host, client in clients.items()}
    assert {email: ids for email, ids in accounts.items() if email in emails} == {
        email: [ids[0]] for email, ids in accounts.items() if email in emails
    }, accounts
    assert sorted(accounts) == sorted([*emails, world["management"]["email"].lower()]), accounts
    calls = sandbox.calls(since=mark)["calls"]
    assert summary_of(calls)[("organizations:CreateAccount", "ok")] == TENANTS, history
    requests = create_requests(aws)
    assert len(requests) == TENANTS and {r["State"] for r in requests} == {"SUCCEEDED"}, requests
    # Each OU once; every role as the inventory says, none twice.
    assert organizational_units(aws) == ["/Clients", "/Clients/Onboarding", "/Clients/Production"]
    ids = {host: accounts[email][0] for email, host in emails.items()}
    assert all_role_problems(aws, sandbox, inventory, ids) == {host: [] for host in clients}
    assert summary_of(calls)[("iam:CreateRole", "ok")] == 3 * TENANTS, history
