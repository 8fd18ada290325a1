"""The workload families, one module each: ``kv`` (sets, gets, scans),
``graph`` (bulk load and kernels on R-MAT), ``social`` (friends of friends),
``percall`` (one call at a time beside the in-process Rust API) and
``loads`` (bulk loads from lists and numpy, and the first load of a fresh
process) and ``cypher`` (the same openCypher texts in kvgraph, FalkorDB and
Kùzu, the same questions in igraph and networkx). A worker process runs one family for one peer; the family asks
the peer's :class:`harness.peers.Peer` for its part."""
