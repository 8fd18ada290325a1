"""The side-by-side comparison of kvgraph with its peers (run by ``compare.py``).

- ``peers/``: one module per system, each defining ``PEER`` (a
  :class:`harness.peers.registry.Peer`) with the workloads it implements;
  ``peers/kernels.py`` is the graph-kernel interface.
- ``workloads/``: one module per workload family (``kv``, ``graph``,
  ``social``, ``loads``, ``percall``).
- ``data.py``: the deterministic data; ``timing.py``: timing and answer
  checks; ``report.py``: the tables, chart and docs; ``servers.py``: the
  servers peers talk to; ``environment.py``: versions and machine;
  ``run.py``: the orchestrator and the worker entry point.

Adding a peer: a new file in ``peers/``. Adding a workload to existing
peers: a file in ``workloads/``, a field on ``Peer``, and the peers' part.
"""
