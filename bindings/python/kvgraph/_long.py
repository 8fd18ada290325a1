"""Long calls: progress where a person waits, and Ctrl-C.

A bulk load or an analytics kernel over a large graph runs for seconds in
one C call. :func:`run_long` runs such a call on a worker thread (cffi
releases the GIL for the call) while the calling thread waits in short
steps, so that

* Ctrl-C (``KeyboardInterrupt``, delivered to the main thread) interrupts
  the wait at once and is re-raised to the caller. The library call itself
  cannot be stopped half-way and is never left half-done: it runs to its end
  on the worker thread, so the engine stays consistent. Its effect is that
  of the call completing: a bulk load is atomic and becomes visible in full
  when it finishes (or not at all, if it fails); a kernel's result is
  dropped. Call :func:`wait_interrupted` to wait for such calls to finish
  (for instance before closing the engine, although closing is safe
  regardless: the call keeps its objects alive until it returns);
* a progress indicator (``tqdm``, when installed) shows the elapsed time of
  a call that has run for more than :data:`PROGRESS_AFTER` seconds, when
  stderr is a terminal or the caller asked for it (``progress=True``).

Small calls (below the size thresholds of the callers) run directly: a
thread costs tens of microseconds.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, Callable, List, Optional

from ._errors import error_for
from ._lib import last_error

__all__ = ["run_long", "wait_interrupted", "PROGRESS_AFTER", "LONG_EDGES", "LONG_NODES"]

PROGRESS_AFTER = 1.0
"""Seconds a long call runs before its progress indicator appears."""
LONG_EDGES = 1 << 18
"""Bulk loads of at least this many edges run as long calls."""
LONG_NODES = 1 << 16
"""Kernels on snapshots of at least this many nodes run as long calls."""

_STEP = 0.05
_interrupted: List[threading.Event] = []
"""The ``done`` events of calls left running by a Ctrl-C. (Waiting uses
events, not ``Thread.join``: a ``join`` interrupted by Ctrl-C can mark a
running thread as stopped, CPython bpo-45274.)"""
_interrupted_lock = threading.Lock()


def wait_interrupted(timeout: Optional[float] = None) -> bool:
    """Wait for the library calls left running by a Ctrl-C to finish;
    ``True`` if none is left."""
    deadline = None if timeout is None else time.monotonic() + timeout
    with _interrupted_lock:
        pending = list(_interrupted)
    for done in pending:
        done.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
    with _interrupted_lock:
        _interrupted[:] = [done for done in _interrupted if not done.is_set()]
        return not _interrupted


class _Progress:
    """An elapsed-time indicator: tqdm when installed, else one stderr line."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._bar: Any = None
        try:
            from tqdm import tqdm
        except ImportError:
            sys.stderr.write(f"kvgraph: {what} ...\n")
        else:
            self._bar = tqdm(desc=f"kvgraph: {what}", total=None, unit="s", leave=False,
                             bar_format="{desc}: {elapsed}")

    def tick(self) -> None:
        """Redraw (tqdm refreshes the elapsed time)."""
        if self._bar is not None:
            self._bar.refresh()

    def close(self, seconds: float) -> None:
        """Remove the indicator (tqdm) or report the total time."""
        if self._bar is not None:
            self._bar.close()
        else:
            sys.stderr.write(f"kvgraph: {self._what}: done in {seconds:.1f} s\n")


def _show(progress: Optional[bool]) -> bool:
    if progress is not None:
        return progress
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def run_long(call: Callable[[], int], what: str, progress: Optional[bool] = None) -> None:
    """Run ``call`` (a library call returning a status) on a worker thread,
    waiting interruptibly, with a progress indicator after
    :data:`PROGRESS_AFTER` seconds if ``progress`` (``None``: when stderr
    is a terminal).

    Raises:
        kvgraph.Error: the call failed (the subclass for its status).
        KeyboardInterrupt: Ctrl-C while waiting; the call finishes on its own.
    """
    box: List[Any] = []
    done = threading.Event()

    def work() -> None:
        try:
            status = call()
            # The message is per thread: read it here, on the worker.
            box.append(error_for(status, last_error()) if status else None)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiter
            box.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=work, name=f"kvgraph: {what}", daemon=True)
    start = time.monotonic()
    worker.start()
    bar: Optional[_Progress] = None
    show = _show(progress)
    try:
        while not done.wait(_STEP):
            if bar is None and show and time.monotonic() - start >= PROGRESS_AFTER:
                bar = _Progress(what)
            elif bar is not None:
                bar.tick()
    except KeyboardInterrupt:
        with _interrupted_lock:
            _interrupted.append(done)
        raise
    finally:
        if bar is not None:
            bar.close(time.monotonic() - start)
    outcome = box[0]
    if outcome is not None:
        raise outcome
