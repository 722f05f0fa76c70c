"""The benchmark's report from made-up runs: per-client slopes, the tables, the plot and the ratios (no sandbox)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import run as bench


def _runs() -> list:
    def made(label: str, n: int, wall: float, per_run: dict, per_client: dict) -> bench.Run:
        by_action = {a: per_run.get(a, 0) + n * per_client.get(a, 0) for a in set(per_run) | set(per_client)}
        total = sum(by_action.values())
        return bench.Run(label, n, wall, wall / 2, True, total, 0, by_action)

    runs = []
    for n in (1, 10):
        runs.append(made("ours first run", n, 10.0 * n, {"organizations:ListRoots": 2}, {"iam:CreateRole": 3}))
        runs.append(made("ours no-op", n, 5.0 * n, {"organizations:ListAccounts": 1}, {"iam:GetRole": 3}))
        runs.append(made("baseline no-op", n, 8.0 * n, {}, {"iam:GetRole": 3, "sts:AssumeRole": 1}))
        runs.append(made("floor no-op", n, 0.1 * n, {}, {"iam:GetRole": 3}))
    runs.append(made("org check: no-op, small org", 1, 4.0, {"organizations:ListAccounts": 1}, {}))
    runs.append(made("org check: no-op, 1000 accounts", 1, 4.2, {"organizations:ListAccounts": 50}, {}))
    return runs


def test_marginal_calls_split_per_client_from_per_run():
    fit = bench.marginal_calls(_runs(), "ours no-op")
    assert fit == {
        "iam:GetRole": {"per_client": 3.0, "per_run": 0.0},
        "organizations:ListAccounts": {"per_client": 0.0, "per_run": 1.0},
    }


def test_markdown_has_a_row_per_size_and_the_organization_check():
    text = bench.markdown(_runs(), [1, 10])
    assert "| 10 | 100.0 | 50.0 | 80.0 | 1.0 | 3.1 | 4.0 | 3.0 |" in text
    assert "| iam:GetRole | 3 | 0 |" in text
    assert "Calls that grew: organizations:ListAccounts +49" in text


def test_ratios_and_plot(tmp_path):
    lines = bench.ratios(_runs(), [1, 10])
    assert lines[-1].startswith("one client's no-op, 1000 accounts against ~1: wall 1.05x")
    assert "N=10: ours no-op / baseline no-op: time 0.62x" in lines[1]
    bench.plot(_runs(), [1, 10], tmp_path / "bench.png")
    assert (tmp_path / "bench.png").read_bytes().startswith(b"\x89PNG")
