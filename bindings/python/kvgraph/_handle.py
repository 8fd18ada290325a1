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

Every library call goes through ``with handle as ptr:``, so entering and
leaving is on the hot path of every operation (a ``kv.get`` costs about two
microseconds in all). Under the GIL it therefore takes no lock: a call in
progress is an entry in the list ``_active`` (``append`` and ``pop`` are
atomic), and the call checks ``_closed`` *after* registering itself while
``close`` sets ``_closed`` *before* looking at ``_active`` (under the lock
that also guards the release), so either the closer sees the call and leaves
the freeing to it, or the call sees the close and never touches the pointer.
On an interpreter without the GIL (free-threaded CPython) that argument needs
memory-ordering guarantees Python does not promise, so there entering and
leaving take the lock instead (:class:`_LockedHandle`).
"""

from __future__ import annotations

import sys
import threading
import weakref
from ctypes import c_void_p
from typing import Any, Callable, List, Optional

from ._errors import Error

__all__ = ["Handle"]


_is_gil_enabled: Callable[[], bool] = getattr(sys, "_is_gil_enabled", lambda: True)
_GIL = _is_gil_enabled()


class Handle:
    """Owns the C pointer ``ptr``, freed by ``closer(ptr)``.

    Without the GIL, ``Handle(...)`` builds a :class:`_LockedHandle`.
    """

    __slots__ = (
        "__weakref__",
        "_ptr",
        "_cptr",
        "_closer",
        "_kind",
        "_parent",
        "_lock",
        "_active",
        "_closed",
        "_children",
        "_open_children",
    )

    def __new__(cls, *args: Any, **kwargs: Any) -> "Handle":
        return super().__new__(cls if _GIL or cls is not Handle else _LockedHandle)

    def __init__(self, ptr: int, closer: Callable[[c_void_p], object], kind: str, parent: Optional["Handle"] = None) -> None:
        self._ptr: Optional[int] = ptr
        # Handed to ctypes as is: converting an int to a void pointer on
        # every call costs more than the rest of the entry.
        self._cptr = c_void_p(ptr)
        self._closer = closer
        self._kind = kind
        self._parent = parent
        self._lock = threading.Lock()
        self._active: List[None] = []  # one entry per call in progress
        self._closed = False
        # Created with the first child: most handles (snapshots, scans) never
        # have one, and a WeakSet costs more than the rest of a handle.
        self._children: "Optional[weakref.WeakSet[Handle]]" = None
        self._open_children = 0
        if parent is not None:
            with parent._lock:
                parent._open_children += 1
                if parent._children is None:
                    parent._children = weakref.WeakSet()
                parent._children.add(self)

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called (the pointer may still be in use)."""
        return self._closed

    @property
    def _users(self) -> int:
        """Calls in progress."""
        return len(self._active)

    def __enter__(self) -> c_void_p:
        """Start a call: return the pointer, or raise if closed."""
        active = self._active
        active.append(None)
        if self._closed:
            active.pop()
            self._release_if_done()
            raise Error(f"{self._kind} is closed")
        return self._cptr

    def __exit__(self, *exc: object) -> None:
        """End a call; free the pointer if it was closed meanwhile."""
        self._active.pop()
        if self._closed:
            self._release_if_done()

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(ptr, *args)`` inside ``with self as ptr:`` (one Python call
        instead of two on the hottest paths)."""
        active = self._active
        active.append(None)
        try:
            if self._closed:
                raise Error(f"{self._kind} is closed")
            return fn(self._cptr, *args)
        finally:
            active.pop()
            if self._closed:
                self._release_if_done()

    def close(self) -> None:
        """Close this handle and its children. Idempotent."""
        with self._lock:
            self._closed = True
            children = list(self._children) if self._children is not None else ()
        for child in children:
            child.close()
        self._release_if_done()

    def _release_if_done(self) -> None:
        with self._lock:
            if not self._closed or self._active or self._open_children or self._ptr is None:
                return
            self._ptr = None
        self._closer(self._cptr)
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


class _LockedHandle(Handle):
    """:class:`Handle` whose calls register under the lock (no GIL)."""

    __slots__ = ()

    def __enter__(self) -> c_void_p:
        with self._lock:
            if self._closed:
                raise Error(f"{self._kind} is closed")
            self._active.append(None)
            return self._cptr

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._active.pop()
            if not self._closed:
                return
        self._release_if_done()

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        with self as ptr:
            return fn(ptr, *args)

