"""Shared fixtures for the kvgraph binding tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, List

import pytest

import kvgraph

REPO = Path(__file__).resolve().parents[3]
GRAPHALYTICS = Path(os.environ.get("KVGRAPH_GRAPHALYTICS_DIR", REPO / "tests" / "data" / "graphalytics"))


def pytest_report_header(config: pytest.Config) -> List[str]:
    return [
        f"kvgraph package: {Path(kvgraph.__file__).parent}",
        f"kvgraph library: {kvgraph.library_path()} (version {kvgraph.library_version()})",
    ]


@pytest.fixture
def db() -> Iterator[kvgraph.Engine]:
    """A fresh engine, closed after the test."""
    with kvgraph.Engine() as engine:
        yield engine


@pytest.fixture
def graphalytics_dir() -> Path:
    if not GRAPHALYTICS.is_dir():
        pytest.skip(f"Graphalytics data not found at {GRAPHALYTICS} (set KVGRAPH_GRAPHALYTICS_DIR)")
    return GRAPHALYTICS
