"""The planner (aws_client_plan, issue 10) against the modules it stands in for: its verdict per client is what the
onboarding's per-resource modules report in check mode, a client it cannot read runs its tasks, the audit reads the
same with and without it, and its reads stay within a per-client budget.

Four clients the organization creates are onboarded once for the module (``estate``), two with alternate contacts,
two in another OU, one keeping its root user's credentials. Then, in seeded rounds (``rounds``), random clients get
random hand-made drift through boto3, dealt from a shuffled deck of the seven kinds the issue names; drift
accumulates, and one client is never touched. After each round's drift the planner runs (the module, with the
arguments onboard.yml gives it) and so do the modules in check mode with the planner off:

- round 1: ``audit.yml -e msp_planner=false``, which runs the onboarding's roles in check mode and words each
  module's result as a drift entry: the planner's entries must be the same, client by client. The same audit with
  the planner on, which takes the sections of the clients in sync from its plan, must write the same report
  (``audits``);
- round 2: ``onboard.yml --check --diff -e msp_planner=false``: the clients with changed tasks (the play recap).

Last (``converged``), one drifted client's bulk IAM read is made to fail for the planner (a fault rule on its account),
``onboard.yml`` runs with the planner on: that client's verdict is an error, it runs its tasks with the others that
drifted, the clients in sync run none, and a plan after it finds every client in sync, within the call budget.
"""

import json
import random
import re
import shutil
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from conftest import REPO, SANDBOX_INVENTORY, ModuleRunner, run_playbook

from msp_sandbox.pytest_fixtures import Aws

MANAGEMENT = "123456789012"
ACCESS_ROLE = "OrganizationAccountAccessRole"
ROLE_PATH = "/msp/"
OUS = ("Clients/Production", "Clients/Onboarding")
ACCOUNT_SUBJECT = "the account (OU, tags, alternate contacts)"
# The clients' roles (two of the sandbox inventory's catalogue, the one with an inline policy among them: every
# kind of drift applies, and each client costs a role less per run) and the managed policies each has.
DEFAULT_ROLES = ["engineer", "oncall"]
ROLE_POLICIES = {
    "MspEngineer": ["PowerUserAccess", "IAMReadOnlyAccess"],
    "MspOnCall": ["ReadOnlyAccess"],
}
INLINE = ("MspEngineer", "EngineerServiceRoles")
DELETED_ROLE = "MspOnCall"


def contact(name: str, number: str) -> dict:
    return {"name": name, "title": "Desk", "email": f"{name.lower().replace(' ', '.')}@example.com", "phone": number}


# The clients: every field the planner reads varies (contacts or none, OU, root credentials deleted or kept). Four,
# as few as show every kind of drift and a client in sync, since every playbook run costs seconds per client.
CLIENTS = {
    "alpha": {"client_alternate_contacts": {"security": contact("Alpha Security", "+1 555 0201")}},
    "bravo": {
        "client_ou": "Clients/Onboarding",
        "client_root_credentials": "keep",
        "client_alternate_contacts": {
            "operations": contact("Bravo Ops", "+1 555 0202"),
            "billing": contact("Bravo Billing", "+1 555 0203"),
        },
    },
    "charlie": {},
    "delta": {"client_ou": "Clients/Onboarding"},
}
WITH_CONTACTS = {host for host, entry in CLIENTS.items() if entry.get("client_alternate_contacts")}
ROOT_DELETED = {host for host, entry in CLIENTS.items() if entry.get("client_root_credentials") != "keep"}

KINDS = (
    "trust edited",
    "policy attached or detached",
    "inline policy changed",
    "tag removed",
    "contact changed",
    "account moved",
    "role deleted",
)
SEED = 10
# Per round, how many clients drift, how many kinds each, and what runs the modules in check mode: the rounds deal
# the whole deck of seven, and leave one client in sync for the converging run to skip. The audit runs while half the
# clients are in sync, so that its run with the planner writes their sections from the plan.
AUDIT = "audit.yml"
CHECK = "onboard.yml --check"
ROUNDS = ((2, 2, AUDIT), (1, 3, CHECK))
# What the planner may read per client (a no-op plan): its access role session and bulk IAM read, its tags, three
# alternate contacts when it sets any, and its root user's credentials (a root session and four reads) when the
# onboarding deletes them.
ROLE_READS = ("iam:GetAccountAuthorizationDetails", "iam:ListRoles")
ROOT_READS = ("iam:GetLoginProfile", "iam:ListAccessKeys", "iam:ListMFADevices", "iam:ListSigningCertificates")


# --- the estate ----------------------------------------------------------------------------------------------------


def write_inventory(directory: Path) -> Path:
    """The sandbox inventory's MSP settings with CLIENTS, without MSP-wide contacts (so only some clients have any),
    with DEFAULT_ROLES, and without engineers (their users and links are not the planner's and cost every run)."""
    inventory = directory / "inventory"
    shutil.copytree(SANDBOX_INVENTORY / "group_vars", inventory / "group_vars")
    msp_file = inventory / "group_vars" / "all" / "msp.yml"
    msp = yaml.safe_load(msp_file.read_text())
    del msp["msp_alternate_contacts"]
    msp.update(msp_default_roles=DEFAULT_ROLES, msp_engineers=[])
    assert tuple(msp["msp_organizational_units"]) == OUS, msp["msp_organizational_units"]
    msp_file.write_text(yaml.safe_dump(msp, sort_keys=False))
    hosts = {"all": {"children": {"clients": {"hosts": {host: {} for host in CLIENTS}}}, "hosts": {"localhost": None}}}
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts))
    (inventory / "host_vars").mkdir()
    for host, entry in CLIENTS.items():
        entry = {"client_name": f"{host.title()} Ltd", "client_tags": {"client": host}, **entry}
        (inventory / "host_vars" / f"{host}.yml").write_text(yaml.safe_dump(entry))
    return inventory


def planner_task() -> dict:
    """onboard.yml's aws_client_plan task, as the playbook file has it."""
    plays = yaml.safe_load((REPO / "playbooks" / "onboard.yml").read_text())
    tasks = [task for play in plays for task in play.get("tasks") or [] if "msp.aws_accounts.aws_client_plan" in task]
    assert len(tasks) == 1, tasks
    return tasks[0]


def planner_arguments(directory: Path, inventory: Path, endpoint: str) -> dict:
    """The planner's arguments exactly as onboard.yml templates them for ``-e client=clients`` (a playbook that
    validates the inventory as onboard.yml does, then writes the task's arguments to a file)."""
    dest = directory / "planner-arguments.json"
    playbook = [
        {"ansible.builtin.import_playbook": str(REPO / "playbooks" / "validate_clients.yml")},
        {
            "name": "Write the planner's arguments",
            "hosts": "localhost",
            "gather_facts": False,
            "roles": ["msp.aws_accounts.msp"],
            "tasks": [
                {
                    "ansible.builtin.copy": {"dest": str(dest), "content": "{{ planner_args | to_json }}"},
                    "vars": {"planner_args": planner_task()["msp.aws_accounts.aws_client_plan"]},
                }
            ],
        },
    ]
    path = directory / "planner-arguments.yml"
    path.write_text(yaml.safe_dump(playbook, sort_keys=False))
    rc, output = run_playbook(path, directory, endpoint, "-e", "client=clients", inventory=inventory)
    assert rc == 0, output[-4000:]
    return json.loads(dest.read_text())


@pytest.fixture(scope="module")
def estate(sandbox_client, sandbox_endpoint, tmp_path_factory):
    """CLIENTS onboarded: ``{aws, ids, inventory, dir, plan}``, ``plan()`` the planner's result and its calls."""
    sandbox_client.reset()
    # New accounts at once: the onboarding's wait for them is not under test here (the next reset restores it).
    sandbox_client.configure(create_account_in_progress_polls=0)
    world = sandbox_client.world()
    directory = tmp_path_factory.mktemp("planner")
    inventory = write_inventory(directory)
    # The planner's arguments come from the inventory alone: worked out while the clients are onboarded.
    with ThreadPoolExecutor(max_workers=1) as pool:
        arguments = pool.submit(planner_arguments, directory, inventory, sandbox_endpoint)
        rc, output = run_playbook(
            "onboard.yml", directory, sandbox_endpoint, "-e", "client=clients", inventory=inventory
        )
        arguments = arguments.result()
    assert rc == 0, output[-4000:]
    aws = Aws(sandbox_endpoint, world)
    emails = {a["Email"]: a["Id"] for a in aws.management("organizations").list_accounts()["Accounts"]}
    ids = {host: emails[f"awsaccounts+{host}@msp.example"] for host in CLIENTS}
    assert [entry["host"] for entry in arguments["clients"]] == list(CLIENTS), arguments
    runner = ModuleRunner(sandbox_endpoint, world, directory)

    def plan() -> tuple[dict, list[dict]]:
        mark = sandbox_client.mark()
        result = runner("aws_client_plan", **arguments)
        assert not result.failed, result
        return dict(result), sandbox_client.calls(since=mark)["calls"]

    return {"aws": aws, "ids": ids, "inventory": inventory, "dir": directory, "plan": plan}


# --- drift by hand -------------------------------------------------------------------------------------------------


def member(aws: Aws, account_id: str, service: str):
    """A client of ``service`` in a created account, through its OrganizationAccountAccessRole."""
    sts = aws.management("sts")
    role = f"arn:aws:iam::{account_id}:role/{ACCESS_ROLE}"
    return aws.client(service, Aws.assumed(sts.assume_role(RoleArn=role, RoleSessionName="test-planner")))


def ou_ids(org) -> dict:
    """``{OU path: id}`` of OUS (the OUs under /Clients)."""
    root = org.list_roots()["Roots"][0]["Id"]
    clients = next(
        ou["Id"]
        for ou in org.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]
        if ou["Name"] == "Clients"
    )
    return {
        f"Clients/{ou['Name']}": ou["Id"]
        for ou in org.list_organizational_units_for_parent(ParentId=clients)["OrganizationalUnits"]
    }


def drift(aws: Aws, host: str, account_id: str, kinds: list[str], rng: random.Random) -> tuple[set, list[str]]:
    """Make the ``kinds`` of drift in the client's account; ``(the subjects they must show under, what was done)``."""
    iam = member(aws, account_id, "iam")
    org = aws.management("organizations")
    # A deleted role is not edited too: the other kinds pick among the roles that stay.
    roles = [name for name in ROLE_POLICIES if not ("role deleted" in kinds and name == DELETED_ROLE)]
    subjects, done = set(), []
    for kind in kinds:
        if kind == "trust edited":
            name = rng.choice(roles)
            trust = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
            for statement in trust["Statement"]:
                statement.pop("Condition", None)
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
            subjects.add(f"the role {ROLE_PATH}{name}")
            done.append(f"{name}: MFA condition dropped from its trust")
        elif kind == "policy attached or detached":
            name = rng.choice(roles)
            if rng.random() < 0.5:
                policy = "AdministratorAccess"
                iam.attach_role_policy(RoleName=name, PolicyArn=f"arn:aws:iam::aws:policy/{policy}")
                done.append(f"{name}: {policy} attached")
            else:
                policy = rng.choice(ROLE_POLICIES[name])
                iam.detach_role_policy(RoleName=name, PolicyArn=f"arn:aws:iam::aws:policy/{policy}")
                done.append(f"{name}: {policy} detached")
            subjects.add(f"the role {ROLE_PATH}{name}")
        elif kind == "inline policy changed":
            name, policy = INLINE
            document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
            iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=json.dumps(document))
            subjects.add(f"the role {ROLE_PATH}{name}")
            done.append(f"{name}: inline {policy} rewritten")
        elif kind == "tag removed":
            key = rng.choice(["client", "managed-by"])
            org.untag_resource(ResourceId=account_id, TagKeys=[key])
            subjects.add(ACCOUNT_SUBJECT)
            done.append(f"tag {key} removed")
        elif kind == "contact changed":
            kind_of = rng.choice(sorted(CLIENTS[host]["client_alternate_contacts"]))
            aws.management("account").put_alternate_contact(
                AccountId=account_id,
                AlternateContactType=kind_of.upper(),
                Name="Someone Else",
                Title="Nobody",
                EmailAddress="someone@elsewhere.example",
                PhoneNumber="+1 555 0000",
            )
            subjects.add(ACCOUNT_SUBJECT)
            done.append(f"{kind_of} contact changed")
        elif kind == "account moved":
            ous = ou_ids(org)
            here = org.list_parents(ChildId=account_id)["Parents"][0]["Id"]
            there = next(path for path, ou_id in ous.items() if ou_id != here)
            org.move_account(AccountId=account_id, SourceParentId=here, DestinationParentId=ous[there])
            subjects.add(ACCOUNT_SUBJECT)
            done.append(f"moved to {there}")
        elif kind == "role deleted":
            name = DELETED_ROLE
            for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
                iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
            for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
                iam.delete_role_policy(RoleName=name, PolicyName=policy)
            iam.delete_role(RoleName=name)
            subjects.add(f"the role {ROLE_PATH}{name}")
            done.append(f"{name} deleted")
        else:
            raise AssertionError(kind)
    return subjects, done


class Deck:
    """The seven kinds, shuffled; dealt until used up, then shuffled again. A client gets only kinds that apply to it
    (a contact changes only where the inventory sets contacts) and each kind once."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.cards: list[str] = []

    def deal(self, host: str, count: int) -> list[str]:
        hand = []
        while len(hand) < count:
            if not self.cards:
                self.cards = self.rng.sample(KINDS, len(KINDS))
            fits = [k for k in self.cards if k not in hand and (k != "contact changed" or host in WITH_CONTACTS)]
            if not fits:
                self.cards = []
                continue
            hand.append(fits[0])
            self.cards.remove(fits[0])
        return hand


# --- reading the runs ----------------------------------------------------------------------------------------------


def recap(output: str) -> dict:
    """``{host: changed count}`` from the play recap."""
    tail = output.split("PLAY RECAP")[-1]
    return {host: int(n) for host, n in re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", tail, re.MULTILINE)}


def changed_clients(output: str) -> set:
    return {host for host, changed in recap(output).items() if host in CLIENTS and changed}


def task_result(output: str, task_name: str) -> dict:
    """The result a task printed at -v (``ok: [localhost] => {...}``)."""
    section = output.split(f"TASK [{task_name}]", 1)[1]
    start = section.index("=> ", section.index("ok: [localhost]")) + 3
    return json.JSONDecoder().raw_decode(section[start:])[0]


def verdicts(plan: dict) -> dict:
    return {client["host"]: client for client in plan["clients"]}


def drifted_hosts(plan: dict) -> set:
    return {host for host, verdict in verdicts(plan).items() if verdict["verdict"] != "in_sync"}


def sections(report: dict) -> dict:
    return {section["host"]: section for section in report["client_sections"]}


def audit(endpoint: str, directory: Path, inventory: Path, planner: bool) -> tuple[str, str, dict]:
    """audit.yml for every client, reporting without failing: ``(output, audit.md, audit.json)``."""
    out = directory / ("audit-planner" if planner else "audit-modules")
    rc, output = run_playbook(
        "audit.yml",
        directory,
        endpoint,
        *("-e", "client=clients", "-e", "audit_fail_on_drift=false", "-e", f"audit_output_dir={out}"),
        *("-e", f"msp_planner={str(planner).lower()}"),
        inventory=inventory,
    )
    assert rc == 0, output[-4000:]
    return output, (out / "audit.md").read_text(), json.loads((out / "audit.json").read_text())


# --- the rounds ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rounds(estate, sandbox_client, sandbox_endpoint):
    """Each round: ``{made, drifted, plan, oracle, writes, output}``: ``made`` the round's drift (``{host: {kinds,
    subjects, done}}``), ``drifted`` all of it so far, ``plan`` the planner's result, ``oracle`` what the modules
    said in check mode (CHECK: the clients with changed tasks; AUDIT: both audits' reports), ``writes`` the
    oracle's write calls and ``output`` its run's."""
    # Who drifts and how from one generator, the edits' details (which role, tag, contact) from another: the deal
    # depends on the seed alone.
    rng, details = random.Random(SEED), random.Random(SEED + 1)
    deck = Deck(rng)
    drifted: dict = {}
    results = []
    for clients, kinds_each, oracle_run in ROUNDS:
        untouched = [host for host in CLIENTS if host not in drifted]
        made = {}
        for host in sorted(rng.sample(untouched, clients)):
            kinds = deck.deal(host, kinds_each)
            subjects, done = drift(estate["aws"], host, estate["ids"][host], kinds, details)
            made[host] = {"kinds": kinds, "subjects": subjects, "done": done}
        drifted.update(made)
        plan, _calls = estate["plan"]()
        mark = sandbox_client.mark()
        if oracle_run == CHECK:
            rc, output = run_playbook(
                "onboard.yml",
                estate["dir"],
                sandbox_endpoint,
                *("--check", "--diff", "-e", "client=clients", "-e", "msp_planner=false"),
                inventory=estate["inventory"],
            )
            assert rc == 0, output[-4000:]
            oracle = {"changed": changed_clients(output)}
        else:
            # With the planner too, at once (both only read): the audit's own test below compares the two.
            with ThreadPoolExecutor(max_workers=2) as pool:
                modules, planned = pool.map(
                    lambda planner: audit(sandbox_endpoint, estate["dir"], estate["inventory"], planner), (False, True)
                )
            output = modules[0]
            oracle = {"markdown": modules[1], "report": modules[2], "with planner": planned[1:]}
        writes = [c for c in sandbox_client.calls(since=mark)["calls"] if c["is_write"]]
        results.append(
            {"made": made, "drifted": dict(drifted), "plan": plan, "oracle": oracle, "writes": writes, "output": output}
        )
    return results


def describe(made: dict) -> str:
    return "; ".join(f"{host}: {', '.join(entry['done'])}" for host, entry in sorted(made.items()))


def test_the_rounds_deal_every_kind_of_drift_and_leave_a_client_in_sync(rounds):
    dealt = Counter(kind for one in rounds for entry in one["made"].values() for kind in entry["kinds"])
    assert set(dealt) == set(KINDS), dealt
    assert 0 < len(rounds[-1]["drifted"]) < len(CLIENTS), rounds[-1]["drifted"]


@pytest.mark.parametrize("number", range(1, len(ROUNDS) + 1))
def test_the_planner_finds_what_the_modules_find_in_check_mode(rounds, number):
    one = rounds[number - 1]
    plan, drifted = one["plan"], one["drifted"]
    what = describe(drifted)
    assert plan["organization"] == [], plan["organization"]
    # The planner: exactly the clients drifted so far, each with the differences of what was edited by hand.
    assert drifted_hosts(plan) == set(drifted), what
    assert sorted(plan["in_sync"]) == sorted(set(CLIENTS) - set(drifted)), what
    assert sorted(plan["to_run"]) == sorted(drifted), what
    for host, verdict in verdicts(plan).items():
        subjects = {difference["subject"] for difference in verdict["differences"]}
        if host in drifted:
            assert verdict["verdict"] == "drift" and verdict["error"] is None, verdict
            assert subjects == drifted[host]["subjects"], (what, verdict["differences"])
        else:
            assert subjects == set() and verdict["drift"] == [], verdict
    # The modules in check mode (the planner off) change the same clients, and wrote nothing but sessions.
    if "changed" in one["oracle"]:
        assert one["oracle"]["changed"] == set(drifted), (what, recap(one["output"]))
    else:
        report = sections(one["oracle"]["report"])
        assert {host for host, section in report.items() if section["drift"]} == set(drifted), what
        # Entry by entry, as the audit words the modules' results and the planner's differences.
        for host, verdict in verdicts(plan).items():
            assert verdict["drift"] == report[host]["drift"], host
    written = {f"{c['service']}:{c['action']}" for c in one["writes"]}
    assert written <= {"sts:AssumeRole", "sts:AssumeRoot"}, written


# --- the audit, with and without the planner -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def audits(rounds):
    """The audited round's drift audited without the planner (the round's oracle) and with it."""
    oracle = audited(rounds)["oracle"]
    return {"planner": oracle["with planner"], "modules": (oracle["markdown"], oracle["report"])}


def audited(rounds: list[dict]) -> dict:
    return next(one for one, (*_deal, oracle_run) in zip(rounds, ROUNDS, strict=True) if oracle_run == AUDIT)


def without_time(markdown: str, report: dict) -> tuple[list[str], dict]:
    lines = markdown.splitlines()
    made = [index for index, line in enumerate(lines) if line.startswith("Made ")]
    assert len(made) == 1, lines[:6]
    timeless = {key: value for key, value in report.items() if key != "generated_at"}
    return lines[: made[0]] + lines[made[0] + 1 :], timeless


def test_the_audit_reports_the_same_with_and_without_the_planner(audits, rounds):
    drifted = audited(rounds)["drifted"]
    assert 0 < len(drifted) < len(CLIENTS), drifted
    markdown, report = without_time(*audits["planner"])
    expected_markdown, expected_report = without_time(*audits["modules"])
    # The drift is in the report (so the comparison compares something): an entry per subject edited by hand.
    for host, entry in drifted.items():
        section = sections(report)[host]
        assert {found["subject"] for found in section["drift"]} == entry["subjects"], (host, section["drift"])
        assert any(finding.startswith(f"Client {host} ") for finding in report["findings"]), report["findings"]
    assert report == expected_report
    assert markdown == expected_markdown


# --- converging, through a fault ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def converged(audits, rounds, estate, sandbox_client, sandbox_endpoint):
    """One drifted client's GetAccountAuthorizationDetails refused once (the planner's), then onboard.yml (planner on,
    -v to see the plan); then a plan of the converged estate. ``{faulty, drifted, output, plan, calls, rules,
    after, after_calls}``."""
    drifted = rounds[-1]["drifted"]
    faulty = random.Random(SEED).choice(sorted(drifted))
    sandbox_client.add_fault(
        service="iam",
        action="GetAccountAuthorizationDetails",
        account=estate["ids"][faulty],
        error_code="AccessDenied",
        status=403,
        message="Denied (injected by test_planner)",
        count=1,
    )
    mark = sandbox_client.mark()
    try:
        rc, output = run_playbook(
            "onboard.yml", estate["dir"], sandbox_endpoint, "-v", "-e", "client=clients", inventory=estate["inventory"]
        )
        rules = sandbox_client.faults()
    finally:
        sandbox_client.clear_faults()
    assert rc == 0, output[-6000:]
    calls = sandbox_client.calls(since=mark)["calls"]
    after, after_calls = estate["plan"]()
    return {
        "faulty": faulty,
        "drifted": drifted,
        "output": output,
        "plan": task_result(output, planner_task()["name"]),
        "calls": calls,
        "rules": rules,
        "after": after,
        "after_calls": after_calls,
    }


def test_a_client_the_planner_cannot_read_runs_its_tasks_and_converges(converged, estate):
    faulty, plan = converged["faulty"], converged["plan"]
    assert [rule["fired"] for rule in converged["rules"]] == [1], converged["rules"]
    verdict = verdicts(plan)[faulty]
    assert verdict["verdict"] == "error" and "AccessDenied" in verdict["error"], verdict
    assert verdict["differences"] == [], verdict
    # The others are judged as before: drift where drifted, in sync elsewhere.
    others = {host: v["verdict"] for host, v in verdicts(plan).items() if host != faulty}
    assert others == {host: "drift" if host in converged["drifted"] else "in_sync" for host in others}, others
    assert sorted(plan["to_run"]) == sorted(converged["drifted"]), plan["to_run"]
    assert (
        f"Running their tasks: {', '.join(h for h in CLIENTS if h in converged['drifted'])}." in converged["output"]
    ), converged["output"][-6000:]
    # The run fixed exactly the drifted clients (the errored one with them), and the plan after it finds none.
    assert changed_clients(converged["output"]) == set(converged["drifted"]), recap(converged["output"])
    assert converged["after"]["to_run"] == [], converged["after"]["clients"]
    assert converged["after"]["in_sync"] == list(CLIENTS), converged["after"]


def test_clients_in_sync_run_no_task(converged, estate):
    """In the converging run, an account in sync sees the planner's reads and nothing else: no module opened a
    session into it (each would read its roles, or its root user, again)."""
    in_sync = [host for host in CLIENTS if host not in converged["drifted"]]
    assert in_sync, converged["drifted"]
    for host in CLIENTS:
        seen = Counter(
            f"{c['service']}:{c['action']}" for c in converged["calls"] if c["account"] == estate["ids"][host]
        )
        planner = Counter(ROLE_READS) + (Counter(ROOT_READS) if host in ROOT_DELETED else Counter())
        if host in in_sync:
            assert seen == planner, (host, seen)
        else:
            assert seen - planner, (host, seen)  # the modules read (and wrote) more in the drifted accounts


def test_a_no_op_plan_stays_within_the_call_budget(converged, estate):
    calls = converged["after_calls"]
    per_client = {
        host: Counter(f"{c['service']}:{c['action']}" for c in calls if c["account"] == estate["ids"][host])
        for host in CLIENTS
    }
    management = Counter(f"{c['service']}:{c['action']}" for c in calls if c["account"] == MANAGEMENT)
    clients, contacts, roots = len(CLIENTS), len(WITH_CONTACTS), len(ROOT_DELETED)
    budget = {
        "sts:AssumeRole": clients,
        "organizations:ListTagsForResource": clients,
        "account:GetAlternateContact": 3 * contacts,
        "sts:AssumeRoot": roots,
    }
    measured = (
        f"{len(calls)} calls for {clients} clients ({contacts} with contacts, {roots} root reads): "
        f"management {dict(sorted(management.items()))}; per client "
        f"{ {host: sum(counter.values()) for host, counter in per_client.items()} }"
    )
    for host, counter in per_client.items():
        allowed = Counter(ROLE_READS) + (Counter(ROOT_READS) if host in ROOT_DELETED else Counter())
        assert counter == allowed, (host, measured)
    for action, most in budget.items():
        assert management[action] <= most, (action, measured)
    assert management["organizations:ListAccounts"] == 1, measured
    # Everything else is organization-wide, once: the accounts, the OU tree (a call per level), the accounts under
    # each wanted OU, trusted access.
    organization_wide = set(management) - set(budget)
    assert sum(management[action] for action in organization_wide) <= 3 + 2 * len(OUS), measured
    # The only errors are the answers for what is not there: no root password, a contact type the client leaves unset.
    errors = {c["error_code"] for c in calls if c["status"] >= 400}
    assert errors <= {"NoSuchEntity", "ResourceNotFoundException"}, (errors, measured)
