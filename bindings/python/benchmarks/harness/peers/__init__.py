"""The systems compared: one module per peer, each defining ``PEER`` (or
``PEERS``), collected here in report order."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Dict, List

from .registry import Peer

__all__ = ["Peer", "PEERS", "LABEL", "KV_SYSTEMS", "GRAPH_SYSTEMS", "systems_with"]


def _discover() -> Dict[str, Peer]:
    found: List[Peer] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name in ("registry", "kernels", "cypher") or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.extend(getattr(module, "PEERS", [getattr(module, "PEER", None)]))
    return {p.name: p for p in sorted((p for p in found if p is not None), key=lambda p: (p.order, p.name))}


PEERS: Dict[str, Peer] = _discover()
"""Every peer by name, kvgraph first."""
LABEL: Dict[str, str] = {name: p.label for name, p in PEERS.items()}
"""Report names."""


def systems_with(workload: str) -> List[str]:
    """Names of the peers that implement ``workload`` (a :class:`Peer` field)."""
    return [name for name, p in PEERS.items() if getattr(p, workload) is not None]


KV_SYSTEMS = systems_with("kv")
GRAPH_SYSTEMS = systems_with("kernels")
