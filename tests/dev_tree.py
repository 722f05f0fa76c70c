"""Make ``ansible_collections.msp.aws_accounts`` importable from this checkout, for pytest and module runs.

ansible-core imports collections as ``ansible_collections.<namespace>.<name>``; a symlink tree under
build/dev points that name at the repository root, so tests exercise the working copy, not an install.
"""

import contextlib
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEV_TREE = REPO / "build" / "dev"
LINK = DEV_TREE / "ansible_collections" / "msp" / "aws_accounts"


def link_working_copy() -> Path:
    """Create the symlink tree if needed, put it on sys.path, and return its root (for PYTHONPATH)."""
    if not LINK.exists():
        LINK.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # another pytest worker made it first
            LINK.symlink_to(REPO, target_is_directory=True)
    if str(DEV_TREE) not in sys.path:
        sys.path.insert(0, str(DEV_TREE))
    return DEV_TREE
