"""Exceptions raised by :mod:`kvgraph`, one per ``kvg_status`` code."""

from __future__ import annotations

from typing import Dict, Optional, Type

__all__ = [
    "Error",
    "NotFoundError",
    "ConflictError",
    "InvalidArgumentError",
    "BufferTooSmallError",
    "OutOfMemoryError",
    "PanicError",
    "IoError",
    "KVG_OK",
    "KVG_NOT_FOUND",
    "KVG_CONFLICT",
    "KVG_INVALID_ARGUMENT",
    "KVG_BUFFER_TOO_SMALL",
    "KVG_OUT_OF_MEMORY",
    "KVG_PANIC",
    "KVG_IO_ERROR",
]

# Values of the C enum ``kvg_status`` (include/kvgraph.h).
KVG_OK = 0
KVG_NOT_FOUND = 1
KVG_CONFLICT = 2
KVG_INVALID_ARGUMENT = 3
KVG_BUFFER_TOO_SMALL = 4
KVG_OUT_OF_MEMORY = 5
KVG_PANIC = 6
KVG_IO_ERROR = 7


class Error(Exception):
    """Base class of every error raised by kvgraph.

    Attributes:
        status: the ``kvg_status`` code of the failed C call (an ``int``);
            :data:`KVG_INVALID_ARGUMENT` for errors detected on the Python side
            such as a closed engine.
        message: the library's message (``kvg_last_error()``), or a
            Python-side description.
    """

    status: int
    message: str

    def __init__(self, message: str, status: int = KVG_INVALID_ARGUMENT) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, message={self.message!r})"


class NotFoundError(Error, KeyError):
    """A key, node, edge or property does not exist (``KVG_NOT_FOUND``).

    Also a :class:`KeyError`, so ``del db.kv[k]`` and ``db.kv[k]`` behave like
    a dict.
    """

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.message


class ConflictError(Error):
    """The operation lost to the current state (``KVG_CONFLICT``)."""


class InvalidArgumentError(Error, ValueError):
    """An argument is malformed or out of range (``KVG_INVALID_ARGUMENT``).

    Also a :class:`ValueError`.
    """


class BufferTooSmallError(Error):
    """A result buffer was too short (``KVG_BUFFER_TOO_SMALL``).

    The binding sizes buffers itself and retries, so this is rarely seen.
    """


class OutOfMemoryError(Error, MemoryError):
    """The library could not allocate (``KVG_OUT_OF_MEMORY``)."""


class PanicError(Error):
    """A Rust panic was caught at the C boundary (``KVG_PANIC``)."""


class IoError(Error, OSError):
    """A file of a durable engine could not be read or written (disk full,
    failing fsync, a directory locked by another engine) or holds damaged
    data (``KVG_IO_ERROR``); the message names the file and, for damage,
    the byte offset. Also an :class:`OSError`."""

    def __str__(self) -> str:  # OSError would format its own arguments
        return self.message


_BY_STATUS: Dict[int, Type[Error]] = {
    KVG_NOT_FOUND: NotFoundError,
    KVG_CONFLICT: ConflictError,
    KVG_INVALID_ARGUMENT: InvalidArgumentError,
    KVG_BUFFER_TOO_SMALL: BufferTooSmallError,
    KVG_OUT_OF_MEMORY: OutOfMemoryError,
    KVG_PANIC: PanicError,
    KVG_IO_ERROR: IoError,
}


def error_for(status: int, message: Optional[str]) -> Error:
    """The exception for a non-OK ``status`` with ``message`` (or a default)."""
    cls = _BY_STATUS.get(status, Error)
    if not message:
        message = f"kvgraph call failed with status {status}"
    return cls(message, status)
