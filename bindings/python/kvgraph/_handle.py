"""Thread-safe ownership of C handles.

A :class:`Handle` owns one C pointer (engine, snapshot or KV iterator) and
guarantees that

* no call is made on it after ``close()`` (it raises :class:`kvgraph.Error`
  instead; the check happens on the Python side, so a freed pointer never
  reaches the library);
* the pointer is freed exactly once, and never while another thread is in the
  middle of a call with it: the last user to leave frees it;
* a child (a snapshot or iterator of an engine) is freed before its parent,
  also when the garbage collector finalises both in arbitrary order: the
  parent is freed only once all its children are.
"""

from __future__ import annotations

import threading
import weakref
from typing import Callable, Optional

from ._errors import Error


class Handle:
    """Owns the C pointer ``ptr``, freed by ``closer(ptr)``."""

    __slots__ = (
        "__weakref__",
        "_ptr",
        "_closer",
        "_kind",
        "_parent",
        "_lock",
        "_users",
        "_closed",
        "_children",
        "_open_children",
    )

    def __init__(self, ptr: int, closer: Callable[[int], None], kind: str, parent: Optional["Handle"] = None) -> None:
        self._ptr: Optional[int] = ptr
        self._closer = closer
        self._kind = kind
        self._parent = parent
        self._lock = threading.Lock()
        self._users = 0
        self._closed = False
        self._children: "weakref.WeakSet[Handle]" = weakref.WeakSet()
        self._open_children = 0
        if parent is not None:
            with parent._lock:
                parent._open_children += 1
                parent._children.add(self)

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called (the pointer may still be in use)."""
        return self._closed

    def __enter__(self) -> int:
        """Start a call: return the pointer, or raise if closed."""
        with self._lock:
            if self._closed:
                raise Error(f"{self._kind} is closed")
            self._users += 1
            assert self._ptr is not None
            return self._ptr

    def __exit__(self, *exc: object) -> None:
        """End a call; free the pointer if it was closed meanwhile."""
        with self._lock:
            self._users -= 1
        self._release_if_done()

    def close(self) -> None:
        """Close this handle and its children. Idempotent."""
        with self._lock:
            self._closed = True
            children = list(self._children)
        for child in children:
            child.close()
        self._release_if_done()

    def _release_if_done(self) -> None:
        with self._lock:
            if not self._closed or self._users or self._open_children or self._ptr is None:
                return
            ptr, self._ptr = self._ptr, None
        self._closer(ptr)
        parent, self._parent = self._parent, None
        if parent is not None:
            with parent._lock:
                parent._open_children -= 1
            parent._release_if_done()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass
