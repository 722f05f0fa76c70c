"""The benchmark: onboarding N clients with this collection against amazon.aws alone and a boto3 floor.

    .venv/bin/python benchmarks/run.py                      # N = 1, 10, 100 and the 1,000-account check
    .venv/bin/python benchmarks/run.py --sizes 1 --org-accounts 0 --out build/bench-smoke   # the smoke

For each N, against a sandbox of its own (started here on a free port, reset between sizes): the wall and CPU time
of a first onboarding run (playbooks/onboard.yml -e client=clients), of a no-op re-run with the planner on and off
(-e msp_planner=false), of a run after 5 clients drifted (benchmarks/drift.py), the baseline's first and no-op runs
(benchmarks/baseline.yml), the floor's no-op (benchmarks/floor.py), org-formation's no-op (benchmarks/orgformation.py,
installed from npm into --out), and the API calls of each by action from the sandbox's call log. Then one client's
no-op in an organization of ~1 and of --org-accounts accounts.
Output in --out: results.json, results.md (the tables), bench.png (time against N), logs/ (every run's output);
the ratios are printed last. Nothing is asserted about speed: the figures are reported.
"""

import argparse
import json
import os
import resource
import shutil
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "sandbox"), str(REPO / "tests" / "integration" / "pytest")]

import drift  # noqa: E402
import floor  # noqa: E402
import inventory  # noqa: E402
import orgformation  # noqa: E402
from conftest import run_playbook  # noqa: E402

from msp_sandbox import launcher  # noqa: E402
from msp_sandbox.calllog import READ_PREFIXES  # noqa: E402
from msp_sandbox.client import SandboxClient  # noqa: E402
from msp_sandbox.pytest_fixtures import Aws, _free_port  # noqa: E402

OURS_FIRST = "ours first run"
OURS_NOOP = "ours no-op"
PLANNER_OFF = "ours no-op [planner off]"
DRIFTED = "ours 5 drifted"
DRIFTED_CLIENTS = 5
ORG_FORMATION = "org-formation no-op"
ORG_NOOP = "org check: no-op, "
ORG_NOOP_SMALL = ORG_NOOP + "small org"
ONBOARD = REPO / "playbooks" / "onboard.yml"
BASELINE = BENCH_DIR / "baseline.yml"
# --profile: the slowest tasks of ours' no-op at the end of its log (logs/ours-noop-N.log).
PROFILE = {
    "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
    "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "30",
    "PROFILE_TASKS_SORT_ORDER": "descending",
}
# Ansible settings tried on ours' no-op run (--tune): environment overrides of ansible.cfg.
TUNINGS = {
    "ansible.cfg": {},
    "forks=20": {"ANSIBLE_FORKS": "20"},
    "forks=20, strategy=free": {"ANSIBLE_FORKS": "20", "ANSIBLE_STRATEGY": "free"},
    "pipelining": {"ANSIBLE_PIPELINING": "true"},
}


@dataclass
class Run:
    """One measured run: its time, how it ended, and the API calls it made."""

    label: str
    clients: int
    wall_s: float
    cpu_s: float
    ok: bool
    calls: int
    writes: int
    by_action: dict = field(default_factory=dict)
    note: str = ""
    # Why the run could not be made (org-formation missing or failing against the sandbox): not a failure.
    unavailable: str = ""
    # The drifted run's clients and what each got.
    drift: dict = field(default_factory=dict)

    def per_client(self) -> float:
        return self.calls / self.clients


def state_writes(by_action: dict) -> int:
    """Calls that change AWS: the sandbox's writes (not Get, List, Describe) but for STS, whose sessions change
    nothing (AssumeRole and AssumeRoot count as writes in the call log)."""
    return sum(
        count
        for action, count in by_action.items()
        if not action.startswith("sts:") and not action.split(":", 1)[1].startswith(READ_PREFIXES)
    )


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (ansible-playbook and its workers), not the sandbox's."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    )


class Bench:
    def __init__(
        self,
        out: Path,
        timeout: float,
        profile: bool = False,
        tunings: list | None = None,
        org_formation: Path | None = None,
    ) -> None:
        self.out = out
        self.org_formation = orgformation.OrgFormation(org_formation, timeout) if org_formation else None
        self.tunings = tunings
        self.profile = profile
        self.timeout = timeout
        self.port = _free_port()
        self.state_dir = out / "sandbox"
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.sandbox = SandboxClient(self.endpoint, timeout=300)
        self.runs: list[Run] = []

    def __enter__(self) -> "Bench":
        launcher.start("127.0.0.1", self.port, self.state_dir)
        return self

    def __exit__(self, *exc) -> None:
        launcher.stop("127.0.0.1", self.port, self.state_dir)

    def fresh_world(self, quota: int) -> Aws:
        world = self.sandbox.reset()
        self.sandbox.configure(organization_account_quota=quota)
        return Aws(self.endpoint, world)

    def measure(self, label: str, clients: int, action, note: str = "") -> Run:
        """Run ``action`` (returns whether it succeeded) and record its time and the calls it made."""
        mark = self.sandbox.mark()
        cpu, start = _cpu_seconds(), time.monotonic()
        ok = action()
        wall, cpu = time.monotonic() - start, _cpu_seconds() - cpu
        summary = self.sandbox.call_summary(since=mark)
        by_action = dict(sorted(summary["by_action"].items()))
        run = Run(
            label, clients, round(wall, 2), round(cpu, 2), ok, summary["total"], state_writes(by_action), by_action
        )
        run.note = note
        self.runs.append(run)
        print(
            f"  {label:<28} N={clients:<4} {wall:8.1f} s wall {cpu:8.1f} s CPU  {run.calls:6d} calls "
            f"({run.per_client():.1f}/client, {run.writes} writes){'' if ok else '  FAILED'}",
            flush=True,
        )
        return run

    def playbook(self, name: str, playbook: Path, inventory_dir: Path, *args: str, env: dict | None = None):
        """A thunk running ansible-playbook as conftest.run_playbook does, its output kept in logs/<name>.log.
        Runs with the same inventory share a work directory: the links a first run wrote are there for the no-op."""

        def action() -> bool:
            work = self.out / "work" / inventory_dir.name
            work.mkdir(parents=True, exist_ok=True)
            rc, output = run_playbook(
                playbook, work, self.endpoint, *args, inventory=inventory_dir, env=env, timeout=self.timeout
            )
            (self.out / "logs").mkdir(exist_ok=True)
            (self.out / "logs" / f"{name}.log").write_text(output)
            return rc == 0

        return action

    def account_ids(self, aws: Aws, names: list[str], mailbox: str) -> dict:
        """The clients' account ids, from their plus-addressed root emails (one ListAccounts)."""
        user, domain = mailbox.split("@")
        pages = aws.management("organizations").get_paginator("list_accounts").paginate()
        by_email = {account["Email"].lower(): account["Id"] for page in pages for account in page["Accounts"]}
        return {name: by_email[f"{user}+{name}@{domain}".lower()] for name in names}

    def size(self, clients: int, tune: bool, quick: bool) -> None:
        print(f"\n== N = {clients}", flush=True)
        aws = self.fresh_world(quota=clients + 10)
        inv = inventory.write_inventory(clients, self.out / f"inventory-{clients}")
        client_arg = ("-e", "client=clients")
        self.measure(OURS_FIRST, clients, self.playbook(f"ours-first-{clients}", ONBOARD, inv, *client_arg))
        msp = inventory.role_catalogue()
        ids = self.account_ids(aws, inventory.client_names(clients), msp["msp_mailbox"])
        creds = aws.world["management"]["credentials"]
        credentials = {key: creds[key] for key in ("aws_access_key_id", "aws_secret_access_key")}
        if not quick:
            self.measure(
                OURS_NOOP,
                clients,
                self.playbook(f"ours-noop-{clients}", ONBOARD, inv, *client_arg, env=PROFILE if self.profile else None),
            )
            self.measure(
                PLANNER_OFF,
                clients,
                self.playbook(f"ours-noop-planner-off-{clients}", ONBOARD, inv, *client_arg, "-e", "msp_planner=false"),
            )
            drifted = dict(list(ids.items())[:DRIFTED_CLIENTS])
            done = drift.inject(self.endpoint, credentials, drifted, msp)
            print("".join(f"  drift: {name}: {what}\n" for name, what in done.items()), end="")
            run = self.measure(DRIFTED, clients, self.playbook(f"ours-drifted-{clients}", ONBOARD, inv, *client_arg))
            run.drift = done

        ids_file = self.out / f"baseline-accounts-{clients}.json"
        ids_file.write_text(json.dumps({"baseline_account_ids": ids}))
        baseline_args = ("-e", f"@{ids_file}")

        def floor_run() -> bool:
            floor.converge(self.endpoint, credentials, list(ids.values()), msp)
            return True

        if quick:  # two ansible-playbook runs less: the floor creates the baseline's roles
            self.measure("floor first run", clients, floor_run)
        else:
            self.measure(
                "baseline first run", clients, self.playbook(f"baseline-first-{clients}", BASELINE, inv, *baseline_args)
            )
        self.measure(
            "baseline no-op", clients, self.playbook(f"baseline-noop-{clients}", BASELINE, inv, *baseline_args)
        )
        self.measure("floor no-op", clients, floor_run)
        if tune:
            for name, env in TUNINGS.items():
                if self.tunings and name not in self.tunings:
                    continue
                self.measure(
                    f"ours no-op [{name}]",
                    clients,
                    self.playbook(
                        f"ours-noop-{clients}-{name.replace(' ', '').replace(',', '_')}",
                        ONBOARD,
                        inv,
                        *client_arg,
                        env=env,
                    ),
                    note=name,
                )
        if self.org_formation and not quick:
            self.org_formation_noop(clients, credentials)

    def org_formation_noop(self, clients: int, credentials: dict) -> None:
        """org-formation's init (writes organization.yml, creates its state bucket), an update, and the measured
        update, the no-op; when it cannot run, a run that says why (the benchmark goes on)."""
        tool = self.org_formation
        reason = tool.unavailable()
        if reason:
            self.not_measured(ORG_FORMATION, clients, reason)
            return
        work = tool.home / f"work-{clients}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)

        def step(name: str, command: str) -> str:
            log = self.out / "logs" / f"org-formation-{name}-{clients}.log"
            return tool.run(work, self.endpoint, credentials, log, command, orgformation.TEMPLATE)

        self.sandbox.add_fault(**orgformation.SUPPORT_FAULT)
        try:
            reason = step("init", "init") or step("update", "update")
            if reason:
                self.not_measured(ORG_FORMATION, clients, reason)
                return
            reasons = []

            def noop() -> bool:
                reasons.append(step("noop", "update"))
                return not reasons[-1]

            run = self.measure(ORG_FORMATION, clients, noop)
            run.unavailable = reasons[-1]
        finally:
            self.sandbox.clear_faults()

    def not_measured(self, label: str, clients: int, reason: str) -> None:
        self.runs.append(Run(label, clients, 0.0, 0.0, False, 0, 0, unavailable=reason))
        print(f"  {label:<28} N={clients:<4} not measured: {reason}", flush=True)

    def organization_size(self, accounts: int, repeat: int) -> None:
        """One client's no-op in an organization of ~1 account, then of ``accounts``."""
        print(f"\n== one client's no-op, organization of ~1 and of {accounts} accounts", flush=True)
        aws = self.fresh_world(quota=accounts + 20)
        inv = inventory.write_inventory(1, self.out / "inventory-org")
        args = ("-e", "client=clients")
        self.measure("org check: first run", 1, self.playbook("org-first", ONBOARD, inv, *args))
        for attempt in range(1, repeat + 1):
            self.measure(ORG_NOOP_SMALL, 1, self.playbook(f"org-noop-small-{attempt}", ONBOARD, inv, *args))
        self.seed_accounts(aws, accounts)
        for attempt in range(1, repeat + 1):
            self.measure(
                f"{ORG_NOOP}{accounts} accounts",
                1,
                self.playbook(f"org-noop-big-{attempt}", ONBOARD, inv, *args),
            )

    def seed_accounts(self, aws: Aws, accounts: int) -> None:
        """Fill the organization up to ``accounts`` accounts through CreateAccount, four requests at a time."""
        org = aws.management("organizations", retries=5)
        existing = sum(len(page["Accounts"]) for page in org.get_paginator("list_accounts").paginate())
        self.sandbox.configure(create_account_in_progress_polls=0)
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(
                pool.map(
                    lambda index: org.create_account(
                        AccountName=f"Filler {index}", Email=f"filler+{index}@msp.example"
                    ),
                    range(existing, accounts),
                )
            )
        total = sum(len(page["Accounts"]) for page in org.get_paginator("list_accounts").paginate())
        print(
            f"  seeded {accounts - existing} accounts in {time.monotonic() - start:.0f} s: {total} in the organization"
        )


# --- the report ----------------------------------------------------------------------------------------------

# The tables' columns: wall time, then calls per client of the no-ops; CPU time.
WALL_COLUMNS = (OURS_FIRST, OURS_NOOP, PLANNER_OFF, DRIFTED, "baseline no-op", "floor no-op", ORG_FORMATION)
CALL_COLUMNS = {OURS_NOOP: "ours", PLANNER_OFF: "planner off", "baseline no-op": "baseline", "floor no-op": "floor"}
CALL_COLUMNS[ORG_FORMATION] = "org-formation"
CPU_COLUMNS = (OURS_FIRST, OURS_NOOP, PLANNER_OFF, DRIFTED, "baseline first run", "baseline no-op", "floor no-op")
CPU_COLUMNS += (ORG_FORMATION,)
DRIFT_TEXT = (
    "After the no-ops, min(5, N) clients drifted by hand (benchmarks/drift.py: a trust policy without its MFA "
    "condition, a managed policy detached, an inline policy changed, an account tag removed, a role deleted) and "
    "onboard.yml ran again with the planner on. *Their tasks + the plan* is what that run would cost if the planner "
    "skipped exactly the clients in sync: the planner-on no-op plus, per drifted client, what a client adds to the "
    "planner-off no-op ({how})."
)

ORG_FORMATION_TEXT = (
    "org-formation's no-op reads nothing of the organization: `update` compares organization.yml's hash with the "
    "one in its state file (S3) and stops there, so it does not see what changed outside it."
)


def _find(runs: list[Run], label: str, clients: int) -> Run | None:
    return next((run for run in runs if run.label == label and run.clients == clients), None)


def _measured(runs: list[Run], label: str, clients: int) -> Run | None:
    run = _find(runs, label, clients)
    return run if run and run.ok else None


def _best(runs: list[Run], label: str) -> Run | None:
    matching = [run for run in runs if run.label == label and run.ok]
    return min(matching, key=lambda run: run.wall_s) if matching else None


def _organization_pair(runs: list[Run]) -> tuple[Run | None, Run | None]:
    """The best no-op of one client in the small organization and in the large one."""
    large = next((run.label for run in runs if run.label.startswith(ORG_NOOP) and run.label != ORG_NOOP_SMALL), None)
    return _best(runs, ORG_NOOP_SMALL), _best(runs, large) if large else None


def _seconds(run: Run | None) -> str:
    if run is None or run.unavailable:
        return "-" if run is None else "n/a"
    return f"{run.wall_s:.1f}" + ("" if run.ok else " (failed)")


def _cpu(run: Run | None) -> str:
    return "-" if run is None else "n/a" if run.unavailable else f"{run.cpu_s:.1f}"


def _calls(run: Run | None) -> str:
    return "-" if run is None else "n/a" if run.unavailable else f"{run.per_client():.1f}"


def _figures(run: Run) -> list[str]:
    return [_seconds(run), _cpu(run), str(run.calls)]


def _times(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}x" if denominator else "-"


def marginal_calls(runs: list[Run], label: str) -> dict:
    """Calls per action a client adds, and the calls a run makes whatever N, from the smallest and largest N."""
    sizes = sorted({run.clients for run in runs if run.label == label and run.ok})
    if len(sizes) < 2:
        return {}
    low, high = _find(runs, label, sizes[0]), _find(runs, label, sizes[-1])
    actions = sorted(set(low.by_action) | set(high.by_action))
    table = {}
    for action in actions:
        slope = (high.by_action.get(action, 0) - low.by_action.get(action, 0)) / (high.clients - low.clients)
        table[action] = {
            "per_client": round(slope, 2),
            "per_run": round(low.by_action.get(action, 0) - slope * low.clients, 1),
        }
    return table


def per_client_cost(runs: list[Run], label: str, clients: int) -> tuple[float, float, str] | None:
    """What a client adds to a run of ``label``: wall seconds, calls, and how that was found (the slope between
    the smallest and largest N, or with one N the run at ``clients`` divided by N, its fixed cost included)."""
    measured = sorted((run for run in runs if run.label == label and run.ok), key=lambda run: run.clients)
    if measured and measured[0].clients != measured[-1].clients:
        low, high = measured[0], measured[-1]
        span = high.clients - low.clients
        how = f"the slope between N = {low.clients} and {high.clients}"
        return (high.wall_s - low.wall_s) / span, (high.calls - low.calls) / span, how
    run = _measured(runs, label, clients)
    if run is None:
        return None
    return run.wall_s / clients, run.per_client(), "the run divided by N, its fixed cost included: an upper bound"


def drift_estimate(runs: list[Run], clients: int) -> dict | None:
    """The drifted run at ``clients`` beside its clients' tasks plus the plan (see DRIFT_TEXT)."""
    noop, drifted = _measured(runs, OURS_NOOP, clients), _measured(runs, DRIFTED, clients)
    cost = per_client_cost(runs, PLANNER_OFF, clients)
    if not (noop and drifted and cost):
        return None
    count = len(drifted.drift) or min(DRIFTED_CLIENTS, clients)
    wall, calls = noop.wall_s + count * cost[0], noop.calls + count * cost[1]
    return {"clients": count, "wall_s": wall, "calls": calls, "how": cost[2], "run": drifted}


def _row(n: int, cells: list[str]) -> str:
    return f"| {n} | " + " | ".join(cells) + " |"


def _header(*columns: str) -> list[str]:
    return ["| N | " + " | ".join(columns) + " |", "| ---: |" + " ---: |" * len(columns)]


def markdown(runs: list[Run], sizes: list[int]) -> str:
    lines = ["## Wall time (s) and API calls per client", ""]
    lines += _header(*WALL_COLUMNS, *(f"calls/client: {name}" for name in CALL_COLUMNS.values()))
    for n in sizes:
        walls = [_seconds(_find(runs, label, n)) for label in WALL_COLUMNS]
        lines.append(_row(n, walls + [_calls(_find(runs, label, n)) for label in CALL_COLUMNS]))
    lines += ["", "CPU seconds (ansible-playbook and its workers, the floor script or node; the sandbox excluded):", ""]
    lines += _header(*CPU_COLUMNS)
    lines += [_row(n, [_cpu(_find(runs, label, n)) for label in CPU_COLUMNS]) for n in sizes]
    unavailable: dict[tuple[str, str], list[int]] = {}
    for run in runs:
        if run.unavailable and run.clients in sizes:
            unavailable.setdefault((run.label, run.unavailable), []).append(run.clients)
    if unavailable:
        lines += ["", "Not measured (n/a):", ""]
        lines += [f"- {label}, N = {', '.join(map(str, ns))}: {reason}" for (label, reason), ns in unavailable.items()]

    for label in (OURS_NOOP, PLANNER_OFF, "baseline no-op", "floor no-op", ORG_FORMATION, OURS_FIRST):
        fit = marginal_calls(runs, label)
        largest = max((run for run in runs if run.label == label and run.ok), key=lambda run: run.clients, default=None)
        if largest is None:
            continue
        lines += ["", f"### {label}: API calls by action", ""]
        if fit:
            lines += [
                "Per client: what each further client adds (the slope between the smallest and largest N); "
                "per run: the rest.",
                "",
            ]
            lines += ["| action | per client | per run |", "| --- | ---: | ---: |"]
            lines += [f"| {action} | {row['per_client']:g} | {row['per_run']:g} |" for action, row in fit.items()]
            total = sum(row["per_client"] for row in fit.values())
            lines.append(f"| **total** | **{total:g}** | **{sum(row['per_run'] for row in fit.values()):g}** |")
        else:
            lines += [f"At N = {largest.clients} (every call of the run divided by N):", ""]
            lines += ["| action | calls per client |", "| --- | ---: |"]
            lines += [f"| {action} | {count / largest.clients:g} |" for action, count in largest.by_action.items()]
            lines.append(f"| **total** | **{largest.per_client():g}** |")
        if label == ORG_FORMATION and not any(
            action.startswith(("organizations:", "iam:")) for action in largest.by_action
        ):
            lines += ["", ORG_FORMATION_TEXT]

    lines += _planner(runs, sizes)

    tuned = [run for run in runs if run.note]
    if tuned:
        lines += [
            "",
            "### Ansible settings on ours' no-op",
            "",
            "| N | settings | wall (s) | CPU (s) |",
            "| ---: | --- | ---: | ---: |",
        ]
        lines += [f"| {run.clients} | {run.note} | {_seconds(run)} | {run.cpu_s:.1f} |" for run in tuned]

    small, big = _organization_pair(runs)
    if small and big:
        lines += ["", "### One client's no-op: organization of ~1 against many accounts (best of the repeats)", ""]
        lines += ["| organization | wall (s) | CPU (s) | calls |", "| --- | ---: | ---: | ---: |"]
        for run in (small, big):
            lines.append(f"| {run.label.removeprefix(ORG_NOOP)} | {run.wall_s:.1f} | {run.cpu_s:.1f} | {run.calls} |")
        grown = Counter(big.by_action)
        grown.subtract(small.by_action)
        lines.append("")
        lines.append(
            "Calls that grew: " + (", ".join(f"{a} +{c}" for a, c in sorted(grown.items()) if c > 0) or "none")
        )
    return "\n".join(lines) + "\n"


def _planner(runs: list[Run], sizes: list[int]) -> list[str]:
    """The planner's section: the no-op with it on and off, and the drifted run beside its estimate."""
    pairs = [
        (n, on, off)
        for n in sizes
        if (on := _measured(runs, OURS_NOOP, n)) and (off := _measured(runs, PLANNER_OFF, n))
    ]
    drifted = [(n, run, drift_estimate(runs, n)) for n in sizes if (run := _find(runs, DRIFTED, n))]
    if not pairs and not drifted:
        return []
    lines = ["", "### The planner: ours' no-op with it on and off, and a run after clients drifted", ""]
    if pairs:
        lines += _header(
            "on: wall (s)", "CPU (s)", "calls", "off: wall (s)", "CPU (s)", "calls", "off / on: wall", "CPU", "calls"
        )
        for n, on, off in pairs:
            ratio = [_times(off.wall_s, on.wall_s), _times(off.cpu_s, on.cpu_s), _times(off.calls, on.calls)]
            lines.append(_row(n, [*_figures(on), *_figures(off), *ratio]))
    if not drifted:
        return lines
    how = next((estimate["how"] for _n, _run, estimate in drifted if estimate), "no planner-off no-op measured")
    lines += ["", DRIFT_TEXT.format(how=how), ""]
    lines += _header(
        "clients drifted",
        "wall (s)",
        "CPU (s)",
        "calls",
        "writes",
        "their tasks + the plan: wall (s)",
        "calls",
        "drifted / that: wall",
        "calls",
    )
    for n, run, estimate in drifted:
        cells = [str(len(run.drift) or min(DRIFTED_CLIENTS, n)), *_figures(run), str(run.writes)]
        if estimate:
            cells += [f"{estimate['wall_s']:.1f}", f"{estimate['calls']:.0f}"]
            cells += [_times(run.wall_s, estimate["wall_s"]), _times(run.calls, estimate["calls"])]
        lines.append(_row(n, cells + ["-"] * (9 - len(cells))))
    n, run, _estimate = drifted[-1]
    if run.drift:
        lines += ["", f"What drifted at N = {n}:", ""] + [f"- {name}: {what}" for name, what in run.drift.items()]
    noop = _measured(runs, OURS_NOOP, n)
    if noop and run.ok:
        lines += ["", f"At N = {n}, the drifted run's calls beside the no-op's (planner on), where they differ:", ""]
        lines += ["| action | no-op | drifted | more |", "| --- | ---: | ---: | ---: |"]
        for action in sorted(set(noop.by_action) | set(run.by_action)):
            before, after = noop.by_action.get(action, 0), run.by_action.get(action, 0)
            if before != after:
                lines.append(f"| {action} | {before} | {after} | {after - before:+d} |")
        lines.append(f"| **total** | **{noop.calls}** | **{run.calls}** | **{run.calls - noop.calls:+d}** |")
    return lines


def plot(runs: list[Run], sizes: list[int], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    for label, style in (
        (OURS_FIRST, "o--"),
        (OURS_NOOP, "o-"),
        (PLANNER_OFF, "o:"),
        (DRIFTED, "D-"),
        ("baseline no-op", "s-"),
        ("floor no-op", "^:"),
        (ORG_FORMATION, "v-."),
    ):
        points = [(n, run.wall_s) for n in sizes if (run := _measured(runs, label, n))]
        if points:
            axes.plot(*zip(*points, strict=True), style, label=label)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("clients (N)")
    axes.set_ylabel("wall time (s)")
    axes.set_title("Onboarding N clients against the sandbox: ours, amazon.aws alone, org-formation")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def ratios(runs: list[Run], sizes: list[int]) -> list[str]:
    lines = []
    for n in sizes:
        ours, baseline, low = (_find(runs, label, n) for label in (OURS_NOOP, "baseline no-op", "floor no-op"))
        if ours and baseline and low and ours.ok and baseline.ok:
            lines.append(
                f"N={n}: ours no-op / baseline no-op: time {ours.wall_s / baseline.wall_s:.2f}x, "
                f"CPU {ours.cpu_s / baseline.cpu_s:.2f}x, "
                f"calls per client {ours.per_client() / baseline.per_client():.2f}x; ours / floor: time "
                f"{ours.wall_s / low.wall_s:.1f}x, calls per client {ours.per_client() / low.per_client():.2f}x"
            )
        on, off, org = (_find(runs, label, n) for label in (OURS_NOOP, PLANNER_OFF, ORG_FORMATION))
        if on and off and on.ok and off.ok:
            lines.append(
                f"N={n}: planner off / planner on (no-op): wall {_times(off.wall_s, on.wall_s)}, "
                f"CPU {_times(off.cpu_s, on.cpu_s)}, calls {_times(off.calls, on.calls)}"
            )
        if org and org.unavailable:
            lines.append(f"N={n}: org-formation no-op not measured: {org.unavailable}")
        elif on and org and on.ok and org.ok:
            lines.append(
                f"N={n}: ours no-op (planner on) / org-formation no-op: wall {_times(on.wall_s, org.wall_s)}, "
                f"CPU {_times(on.cpu_s, org.cpu_s)}, calls {on.calls}/{org.calls}"
            )
        estimate = drift_estimate(runs, n)
        if estimate:
            run = estimate["run"]
            lines.append(
                f"N={n}: {estimate['clients']} drifted / their tasks + the plan: wall "
                f"{_times(run.wall_s, estimate['wall_s'])}, calls {_times(run.calls, estimate['calls'])}"
            )
    small, big = _organization_pair(runs)
    if small and big:
        lines.append(
            f"one client's no-op, {big.label.removeprefix(ORG_NOOP)} against ~1: wall "
            f"{big.wall_s / small.wall_s:.2f}x, CPU {big.cpu_s / small.cpu_s:.2f}x, calls {big.calls}/{small.calls}"
        )
    return lines


def load_runs(path: Path) -> list[Run]:
    """The runs of an earlier results.json, from before the planner's runs and org-formation too."""
    return [Run(**dict(run, writes=state_writes(run["by_action"]))) for run in json.loads(path.read_text())]


def report(runs: list[Run], sizes: list[int], out: Path) -> None:
    (out / "results.json").write_text(json.dumps([asdict(run) for run in runs], indent=1) + "\n")
    (out / "results.md").write_text(markdown(runs, sizes))
    plot(runs, sizes, out / "bench.png")
    print("\n" + (out / "results.md").read_text())
    print(f"Output: {out}/results.md, results.json, bench.png, logs/\n")
    print("\n".join(ratios(runs, sizes)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,10,100", help="the numbers of clients, comma-separated")
    parser.add_argument("--org-accounts", type=int, default=1000, help="the large organization's accounts (0: skip)")
    parser.add_argument("--org-repeat", type=int, default=2, help="no-op runs per organization size (the best counts)")
    parser.add_argument("--tune", default="10", help="sizes at which to try Ansible settings on the no-op (or none)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="the smoke: no no-op or drifted run of ours, no org-formation, and the floor, not the baseline, "
        "creates the baseline's roles",
    )
    parser.add_argument(
        "--org-formation",
        default="",
        help="where org-formation is (or is installed from npm: default OUT/org-formation); none: leave it out",
    )
    parser.add_argument("--tunings", default="", help="which of TUNINGS to try, separated by ';' (default: all)")
    parser.add_argument("--profile", action="store_true", help="ours' no-op lists its slowest tasks in its log")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "bench")
    parser.add_argument("--merge", type=Path, nargs="*", default=[], help="results.json of earlier runs to report with")
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="seconds any one playbook run may take")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.sizes.split(",") if n]
    tune = {int(n) for n in args.tune.split(",") if n.isdigit()}
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    tunings = [name.strip() for name in args.tunings.split(";") if name.strip()]
    org_formation = None if args.org_formation == "none" else Path(args.org_formation or args.out / "org-formation")
    with Bench(
        args.out.resolve(), args.timeout, args.profile, tunings, org_formation and org_formation.resolve()
    ) as bench:
        for earlier in args.merge:
            bench.runs += load_runs(earlier)
        sizes = sorted(set(sizes) | {run.clients for run in bench.runs if not run.label.startswith("org check")})
        try:
            for n in [int(n) for n in args.sizes.split(",") if n]:
                bench.size(n, tune=n in tune, quick=args.quick)
                report(bench.runs, sizes, bench.out)
            if args.org_accounts > 0:
                bench.organization_size(args.org_accounts, args.org_repeat)
        finally:
            report(bench.runs, sizes, bench.out)
    return 0 if all(run.ok or run.unavailable for run in bench.runs) else 1


if __name__ == "__main__":
    sys.exit(main())
