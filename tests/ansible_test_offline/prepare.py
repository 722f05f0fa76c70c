"""Prepare an offline ansible-test run: seed the pip bootstrap cache and lay out the collection tree.

Usage: python tests/ansible_test_offline/prepare.py BUILD_DIR
Prints the path of the collection inside the tree (where ansible-test must run).
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
NAMESPACE, NAME = "msp", "aws_accounts"
DEPENDENCIES = [("amazon", "aws")]


def pip_versions() -> set[str]:
    """The pip versions this ansible-test bootstraps (read from its source, so no guess goes stale)."""
    import ansible_test

    source = Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
    found = set(re.findall(r"\bpip=['\"]([0-9][0-9.]*)['\"]", source.read_text()))
    if not found:
        raise SystemExit(f"cannot find the pip version ansible-test bootstraps in {source}")
    return found


def seed_bootstrap_cache() -> None:
    cache = Path.home() / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    for version in sorted(pip_versions()):
        target = cache / f"get_pip_{version.replace('.', '_')}.py"
        shutil.copyfile(HERE / "get_pip.py", target)


def collection_files() -> list[str]:
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return [path for path in listing.split("\0") if path and (REPO / path).is_file()]


def lay_out_tree(build_dir: Path) -> Path:
    root = build_dir / "ansible_collections"
    target = root / NAMESPACE / NAME
    if target.exists():
        shutil.rmtree(target)
    for relative in collection_files():
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / relative, destination)
    # The tree lies inside this repository's git work tree, where it is ignored; ansible-test lists a
    # collection's files with git when it finds a repository, so the copy gets one of its own.
    subprocess.run(["git", "init", "--quiet", str(target)], check=True)
    subprocess.run(["git", "-C", str(target), "add", "--all"], check=True)
    for namespace, name in DEPENDENCIES:
        module = __import__(f"ansible_collections.{namespace}.{name}", fromlist=["_"])
        source = Path(next(iter(module.__path__)))
        destination = root / namespace / name
        if destination.exists():
            shutil.rmtree(destination)
        shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def main() -> int:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    seed_bootstrap_cache()
    print(lay_out_tree(Path(sys.argv[1]).resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
