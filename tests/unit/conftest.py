"""Unit tests import the collection from this checkout (see tests/dev_tree.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dev_tree import link_working_copy

link_working_copy()
