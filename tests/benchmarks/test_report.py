"""The benchmark's report from made-up runs: per-client slopes, the tables, the plot and the ratios (no sandbox)."""

import dataclasses
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import orgformation
import run as bench

UNAVAILABLE = "`org-formation init organization.yml` exited 1: ERROR: made up"


def _made(label: str, n: int, wall: float, per_run: dict, per_client: dict) -> bench.Run:
    by_action = {a: per_run.get(a, 0) + n * per_client.get(a, 0) for a in set(per_run) | set(per_client)}
    total = sum(by_action.values())
    return bench.Run(label, n, wall, wall / 2, True, total, 0, by_action)


def _runs() -> list:
    runs = []
    for n in (1, 10):
        runs.append(_made("ours first run", n, 10.0 * n, {"organizations:ListRoots": 2}, {"iam:CreateRole": 3}))
        runs.append(_made("ours no-op", n, 5.0 * n, {"organizations:ListAccounts": 1}, {"iam:GetRole": 3}))
        runs.append(
            _made("ours no-op [planner off]", n, 6.0 + 8.0 * n, {"organizations:ListAccounts": 1}, {"iam:GetRole": 9})
        )
        drifted = _made(
            "ours 5 drifted",
            n,
            5.0 * n + 10.0,
            {"organizations:ListAccounts": 1, "iam:CreateRole": 1},
            {"iam:GetRole": 3},
        )
        drifted.drift = {f"bench{i:04d}": "made up" for i in range(1, min(5, n) + 1)}
        runs.append(drifted)
        runs.append(_made("baseline no-op", n, 8.0 * n, {}, {"iam:GetRole": 3, "sts:AssumeRole": 1}))
        runs.append(_made("floor no-op", n, 0.1 * n, {}, {"iam:GetRole": 3}))
    runs.append(bench.Run("org-formation no-op", 1, 0.0, 0.0, False, 0, 0, unavailable=UNAVAILABLE))
    runs.append(_made("org-formation no-op", 10, 2.0, {"s3:GetObject": 1, "sts:GetCallerIdentity": 4}, {}))
    runs.append(_made("org check: no-op, small org", 1, 4.0, {"organizations:ListAccounts": 1}, {}))
    runs.append(_made("org check: no-op, 1000 accounts", 1, 4.2, {"organizations:ListAccounts": 50}, {}))
    return runs


def test_marginal_calls_split_per_client_from_per_run():
    fit = bench.marginal_calls(_runs(), "ours no-op")
    assert fit == {
        "iam:GetRole": {"per_client": 3.0, "per_run": 0.0},
        "organizations:ListAccounts": {"per_client": 0.0, "per_run": 1.0},
    }


def test_markdown_has_a_row_per_size_and_the_organization_check():
    text = bench.markdown(_runs(), [1, 10])
    # wall: first run, no-op on, off, 5 drifted, baseline, floor, org-formation; then calls per client
    assert "| 10 | 100.0 | 50.0 | 86.0 | 60.0 | 80.0 | 1.0 | 2.0 | 3.1 | 9.1 | 4.0 | 3.0 | 0.5 |" in text
    assert "| 1 | 10.0 | 5.0 | 14.0 | 15.0 | 8.0 | 0.1 | n/a | 4.0 | 10.0 | 4.0 | 3.0 | n/a |" in text
    assert "| 10 | 50.0 | 25.0 | 43.0 | 30.0 | - | 40.0 | 0.5 | 1.0 |" in text  # CPU
    assert f"- org-formation no-op, N = 1: {UNAVAILABLE}" in text
    assert "| iam:GetRole | 3 | 0 |" in text
    assert "### ours no-op [planner off]: API calls by action" in text
    assert "### org-formation no-op: API calls by action" in text
    assert bench.ORG_FORMATION_TEXT in text
    assert "Calls that grew: organizations:ListAccounts +49" in text


def test_the_planner_section_sets_the_drifted_run_beside_its_clients_tasks_and_the_plan():
    text = bench.markdown(_runs(), [1, 10])
    # no-op on and off: wall, CPU, calls each, then off / on
    assert "| 10 | 50.0 | 25.0 | 31 | 86.0 | 43.0 | 91 | 1.72x | 1.72x | 2.94x |" in text
    # planner off adds 8 s and 9 calls a client (the slope): at N = 10, 50 s + 5 x 8 s and 31 + 5 x 9 calls
    assert "the slope between N = 1 and 10" in text
    assert "| 10 | 5 | 60.0 | 30.0 | 32 | 0 | 90.0 | 76 | 0.67x | 0.42x |" in text
    assert "| 1 | 1 | 15.0 | 7.5 | 5 | 0 | 13.0 | 13 | 1.15x | 0.38x |" in text
    assert "- bench0005: made up" in text
    assert "| iam:CreateRole | 0 | 1 | +1 |" in text
    assert "| iam:GetRole | 30 | 30 |" not in text  # only the actions whose counts differ
    assert "| **total** | **31** | **32** | **+1** |" in text


def test_with_one_size_a_client_costs_the_planner_off_run_divided_by_n():
    runs = [run for run in _runs() if run.clients == 10]
    estimate = bench.drift_estimate(runs, 10)
    assert (estimate["wall_s"], estimate["calls"]) == (50.0 + 5 * 8.6, 31 + 5 * 9.1)
    assert "upper bound" in estimate["how"]


def test_ratios_and_plot(tmp_path):
    lines = bench.ratios(_runs(), [1, 10])
    assert lines[-1].startswith("one client's no-op, 1000 accounts against ~1: wall 1.05x")
    assert any(line.startswith("N=10: ours no-op / baseline no-op: time 0.62x") for line in lines)
    assert f"N=1: org-formation no-op not measured: {UNAVAILABLE}" in lines
    assert "N=10: planner off / planner on (no-op): wall 1.72x, CPU 1.72x, calls 2.94x" in lines
    assert "N=10: ours no-op (planner on) / org-formation no-op: wall 25.00x, CPU 25.00x, calls 31/5" in lines
    assert "N=10: 5 drifted / their tasks + the plan: wall 0.67x, calls 0.42x" in lines
    bench.plot(_runs(), [1, 10], tmp_path / "bench.png")
    assert (tmp_path / "bench.png").read_bytes().startswith(b"\x89PNG")


def test_merge_reads_results_from_before_the_planner(tmp_path):
    """An earlier results.json has neither the new labels nor the new fields: its columns stay empty."""
    old = [dataclasses.asdict(run) for run in _runs() if run.label in ("ours no-op", "baseline no-op", "floor no-op")]
    for run in old:
        del run["unavailable"], run["drift"]
    (tmp_path / "results.json").write_text(json.dumps(old))
    runs = bench.load_runs(tmp_path / "results.json")
    assert runs[0].unavailable == "" and runs[0].drift == {}
    assert "| 10 | - | 50.0 | - | - | 80.0 | 1.0 | - | 3.1 | - | 4.0 | 3.0 | - |" in bench.markdown(runs, [1, 10])
    assert bench.ratios(runs, [1, 10])[1].startswith("N=10: ours no-op / baseline no-op")
    bench.plot(runs, [1, 10], tmp_path / "bench.png")


def test_org_formation_without_node_or_npm_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    tool = orgformation.OrgFormation(tmp_path / "org-formation", timeout=60)
    assert tool.unavailable() == "node and npm not found on PATH"
    assert not (tmp_path / "org-formation").exists()
