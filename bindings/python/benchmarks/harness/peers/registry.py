"""The description of a peer system, which each module of :mod:`harness.peers` gives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple


@dataclass(frozen=True)
class Peer:
    """One system the comparison runs.

    A module of ``harness/peers/`` defines ``PEER`` (or ``PEERS``, a list)
    and is picked up by itself: adding a peer is adding one file.
    """

    name: str
    """Its id on the command line (``--systems``) and in the JSON."""
    label: str
    """Its name in the report."""
    order: int = 100
    """Where its rows go in the report (kvgraph first)."""
    module: str = ""
    """The Python module it needs; missing, the peer is reported unavailable."""
    also_needs: Tuple[str, ...] = ()
    """Further modules it needs."""
    kernels: Optional[type] = None
    """Its :class:`harness.peers.kernels.Kernels` (graph workloads), if any."""
    kv: Optional[Callable[..., Any]] = None
    """Its KV workload, ``kv(data, args, rec)``, if any."""
    neighbors: Optional[Callable[..., Any]] = None
    """Its per-call neighbour lookup workload, ``neighbors(data, args, rec)``, if any."""
    loads: Optional[Callable[..., Any]] = None
    """Its bulk-load workload (lists, numpy, first load), ``loads(data, args, rec)``, if any."""
    cypher: Optional[type] = None
    """Its :class:`harness.peers.cypher.CypherRows` (the cypher family), if any."""
    server: str = ""
    """The server it talks to (``"redis"`` or ``"falkordb"``), if any."""
