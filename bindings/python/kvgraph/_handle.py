"""Ownership of C handles (engine, snapshot, KV iterator).

The library checks every handle it is given: a handle is a token that a
registry maps to the live object, tokens are never reused, and a call that
races a close keeps its object alive until it returns (``src/ffi/mod.rs``).
So the binding passes the token to every call as it is, with no bookkeeping
on the hot path: a call on a closed handle comes back as
``KVG_INVALID_ARGUMENT`` ("... handle is closed or invalid") and raises
:class:`kvgraph.InvalidArgumentError`.

What a :class:`Handle` adds is ownership: the token is closed exactly once
(by :meth:`Handle.close` or when the object is garbage-collected), and
closing a parent (an engine) first closes its children (snapshots and
iterators), so that their memory goes back at once.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, Callable, Optional

__all__ = ["Handle"]


class Handle:
    """Owns the C token ``ptr``, released once with ``closer(ptr)``."""

    __slots__ = ("__weakref__", "ptr", "_closer", "kind", "_lock", "_closed", "_children")

    def __init__(self, ptr: Any, closer: Callable[[Any], object], kind: str, parent: Optional["Handle"] = None) -> None:
        self.ptr = ptr
        """The token, passed to the C calls."""
        self._closer = closer
        self.kind = kind
        """What it is, for messages: ``"engine"``, ``"snapshot"``, ..."""
        self._lock = threading.Lock()
        self._closed = False
        # Made with the first child: most handles never have one.
        self._children: "Optional[weakref.WeakSet[Handle]]" = None
        if parent is not None:
            with parent._lock:
                if parent._children is None:
                    parent._children = weakref.WeakSet()
                parent._children.add(self)
                parent_closed = parent._closed
            if parent_closed:  # closed while this one was being opened
                self.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def close(self) -> None:
        """Close the children, then this handle. Idempotent and thread-safe."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            children = list(self._children) if self._children is not None else []
        for child in children:
            child.close()
        self._closer(self.ptr)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass
