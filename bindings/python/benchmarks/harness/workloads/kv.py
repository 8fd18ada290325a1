"""KV workloads: N sets then N gets of 16-byte keys / 100-byte values, then
prefix scans (each peer's ``kv`` runs them)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import List

from ..data import kv_keys_values, scan_prefixes
from ..peers import PEERS
from ..timing import Recorder


@dataclass
class KvData:
    """The keys, values and scan prefixes every KV peer uses."""

    keys: List[bytes]
    values: List[bytes]
    prefixes: List[bytes]
    n: int = field(init=False)
    """Number of keys."""
    warm: int = field(init=False)
    """Keys of the warm-up runs."""
    sample: range = field(init=False)
    """Indices whose values are read back and compared."""

    def __post_init__(self) -> None:
        self.n = len(self.keys)
        self.warm = max(self.n // 10, 1)
        self.sample = range(0, self.n, max(self.n // 10_000, 1))


def worker(system: str, args: argparse.Namespace, rec: Recorder) -> None:
    """Run the KV rows of ``system``."""
    keys, values, checksum = kv_keys_values(args.kv_keys)
    rec.extra["checksum"] = checksum
    run = PEERS[system].kv
    assert run is not None, f"{system} has no KV workload"
    run(KvData(keys, values, scan_prefixes(args.scans)), args, rec)
