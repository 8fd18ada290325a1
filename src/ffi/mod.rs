//! C ABI (see include/kvgraph.h).
