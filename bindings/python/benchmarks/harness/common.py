"""Small helpers shared by every part of the harness: clock, log, formats, paths."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent.parent
"""bindings/python/benchmarks."""
REPO = HERE.parents[2]
"""The repository root."""


def now() -> float:
    return time.perf_counter()


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def fmt_time(s: Optional[float]) -> str:
    if s is None:
        return "—"
    if s >= 100:
        return f"{s:.0f} s"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    return f"{s * 1e6:.1f} µs"


def fmt_ratio(r: Optional[float]) -> str:
    if r is None:
        return "—"
    if r >= 100:
        return f"{r:.0f}×"
    if r >= 10:
        return f"{r:.1f}×"
    return f"{r:.2f}×"


def fmt_rate(ops: float, seconds: float) -> str:
    rate = ops / seconds
    if rate >= 1e6:
        return f"{rate / 1e6:.2f} M/s"
    if rate >= 1e3:
        return f"{rate / 1e3:.0f} k/s"
    return f"{rate:.0f} /s"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
