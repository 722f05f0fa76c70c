"""Make ``ansible_collections.msp.aws_accounts`` importable from this checkout for pytest.

ansible-core imports collections as ``ansible_collections.<namespace>.<name>``; a symlink tree under
build/dev points that name at the repository root, so unit tests exercise the working copy.
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEV_TREE = REPO / "build" / "dev"
LINK = DEV_TREE / "ansible_collections" / "msp" / "aws_accounts"

if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(REPO, target_is_directory=True)
if str(DEV_TREE) not in sys.path:
    sys.path.insert(0, str(DEV_TREE))
