"""Where the tests find the repository's files."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "engine" / "fixtures"
CORPUS_DIR = REPO_ROOT / "tests" / "data" / "corpus"
PROCESSES = REPO_ROOT / "processes"
