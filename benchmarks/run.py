"""The benchmark: onboarding N clients with this collection against amazon.aws alone and a boto3 floor.

    .venv/bin/python benchmarks/run.py                      # N = 1, 10, 100 and the 1,000-account check
    .venv/bin/python benchmarks/run.py --sizes 1 --org-accounts 0 --out build/bench-smoke   # the smoke

For each N, against a sandbox of its own (started here on a free port, reset between sizes): the wall and CPU time
of a first onboarding run (playbooks/onboard.yml -e client=clients) and of a no-op re-run, the baseline's first and
no-op runs (benchmarks/baseline.yml), the floor's no-op (benchmarks/floor.py), and the API calls of each by action
from the sandbox's call log. Then one client's no-op in an organization of ~1 and of --org-accounts accounts.
Output in --out: results.json, results.md (the tables), bench.png (time against N), logs/ (every run's output);
the ratios are printed last. Nothing is asserted about speed: the figures are reported.
"""

import argparse
import json
import os
import resource
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "sandbox"), str(REPO / "tests" / "integration" / "pytest")]

import floor  # noqa: E402
import inventory  # noqa: E402
from conftest import run_playbook  # noqa: E402

from msp_sandbox import launcher  # noqa: E402
from msp_sandbox.calllog import READ_PREFIXES  # noqa: E402
from msp_sandbox.client import SandboxClient  # noqa: E402
from msp_sandbox.pytest_fixtures import Aws, _free_port  # noqa: E402

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
    def __init__(self, out: Path, timeout: float, profile: bool = False, tunings: list | None = None) -> None:
        self.out = out
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
        self.measure("ours first run", clients, self.playbook(f"ours-first-{clients}", ONBOARD, inv, *client_arg))
        if not quick:
            self.measure(
                "ours no-op",
                clients,
                self.playbook(f"ours-noop-{clients}", ONBOARD, inv, *client_arg, env=PROFILE if self.profile else None),
            )

        msp = inventory.role_catalogue()
        ids = self.account_ids(aws, inventory.client_names(clients), msp["msp_mailbox"])
        ids_file = self.out / f"baseline-accounts-{clients}.json"
        ids_file.write_text(json.dumps({"baseline_account_ids": ids}))
        baseline_args = ("-e", f"@{ids_file}")
        creds = aws.world["management"]["credentials"]
        credentials = {key: creds[key] for key in ("aws_access_key_id", "aws_secret_access_key")}

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


def _find(runs: list[Run], label: str, clients: int) -> Run | None:
    return next((run for run in runs if run.label == label and run.clients == clients), None)


def _best(runs: list[Run], label: str) -> Run | None:
    matching = [run for run in runs if run.label == label and run.ok]
    return min(matching, key=lambda run: run.wall_s) if matching else None


def _organization_pair(runs: list[Run]) -> tuple[Run | None, Run | None]:
    """The best no-op of one client in the small organization and in the large one."""
    large = next((run.label for run in runs if run.label.startswith(ORG_NOOP) and run.label != ORG_NOOP_SMALL), None)
    return _best(runs, ORG_NOOP_SMALL), _best(runs, large) if large else None


def _seconds(run: Run | None) -> str:
    return "-" if run is None else f"{run.wall_s:.1f}" + ("" if run.ok else " (failed)")


def _calls(run: Run | None) -> str:
    return "-" if run is None else f"{run.per_client():.1f}"


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


def markdown(runs: list[Run], sizes: list[int]) -> str:
    lines = [
        "## Wall time (s) and API calls per client",
        "",
        "| N | ours first run | ours no-op | baseline no-op | floor no-op "
        "| calls/client no-op: ours | baseline | floor |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n in sizes:
        ours_first, ours, baseline, low = (
            _find(runs, label, n) for label in ("ours first run", "ours no-op", "baseline no-op", "floor no-op")
        )
        lines.append(
            f"| {n} | {_seconds(ours_first)} | {_seconds(ours)} | {_seconds(baseline)} | {_seconds(low)} "
            f"| {_calls(ours)} | {_calls(baseline)} | {_calls(low)} |"
        )
    lines += ["", "CPU seconds (ansible-playbook and its workers, or the floor script; the sandbox excluded):", ""]
    lines += ["| N | ours first run | ours no-op | baseline first run | baseline no-op | floor no-op |"]
    lines += ["| ---: | ---: | ---: | ---: | ---: | ---: |"]
    for n in sizes:
        cells = [
            _find(runs, label, n)
            for label in ("ours first run", "ours no-op", "baseline first run", "baseline no-op", "floor no-op")
        ]
        lines.append(f"| {n} | " + " | ".join("-" if run is None else f"{run.cpu_s:.1f}" for run in cells) + " |")

    for label in ("ours no-op", "baseline no-op", "floor no-op", "ours first run"):
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


def plot(runs: list[Run], sizes: list[int], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    for label, style in (
        ("ours first run", "o--"),
        ("ours no-op", "o-"),
        ("baseline no-op", "s-"),
        ("floor no-op", "^:"),
    ):
        points = [(n, run.wall_s) for n in sizes if (run := _find(runs, label, n)) and run.ok]
        if points:
            axes.plot(*zip(*points, strict=True), style, label=label)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("clients (N)")
    axes.set_ylabel("wall time (s)")
    axes.set_title("Onboarding N clients against the sandbox: ours and amazon.aws alone")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def ratios(runs: list[Run], sizes: list[int]) -> list[str]:
    lines = []
    for n in sizes:
        ours, baseline, low = (_find(runs, label, n) for label in ("ours no-op", "baseline no-op", "floor no-op"))
        if ours and baseline and low and ours.ok and baseline.ok:
            lines.append(
                f"N={n}: ours no-op / baseline no-op: time {ours.wall_s / baseline.wall_s:.2f}x, "
                f"CPU {ours.cpu_s / baseline.cpu_s:.2f}x, "
                f"calls per client {ours.per_client() / baseline.per_client():.2f}x; ours / floor: time "
                f"{ours.wall_s / low.wall_s:.1f}x, calls per client {ours.per_client() / low.per_client():.2f}x"
            )
    small, big = _organization_pair(runs)
    if small and big:
        lines.append(
            f"one client's no-op, {big.label.removeprefix(ORG_NOOP)} against ~1: wall "
            f"{big.wall_s / small.wall_s:.2f}x, CPU {big.cpu_s / small.cpu_s:.2f}x, calls {big.calls}/{small.calls}"
        )
    return lines


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
        help="the smoke: no no-op of ours, and the floor, not the baseline, creates the baseline's roles",
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
    with Bench(args.out.resolve(), args.timeout, args.profile, tunings) as bench:
        for earlier in args.merge:
            for run in json.loads(earlier.read_text()):
                bench.runs.append(Run(**dict(run, writes=state_writes(run["by_action"]))))
        sizes = sorted(set(sizes) | {run.clients for run in bench.runs if not run.label.startswith("org check")})
        try:
            for n in [int(n) for n in args.sizes.split(",") if n]:
                bench.size(n, tune=n in tune, quick=args.quick)
                report(bench.runs, sizes, bench.out)
            if args.org_accounts > 0:
                bench.organization_size(args.org_accounts, args.org_repeat)
        finally:
            report(bench.runs, sizes, bench.out)
    return 0 if all(run.ok for run in bench.runs) else 1


if __name__ == "__main__":
    sys.exit(main())
