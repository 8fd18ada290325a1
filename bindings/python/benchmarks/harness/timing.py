"""Timing and answer checks: the :class:`Recorder` a worker measures rows
with, and the cross-system checks of the answers."""

from __future__ import annotations

import gc
import json
import statistics
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from .common import now


def compare_check(row: str, ref: Any, got: Any) -> Optional[str]:
    """None if ``got`` agrees with kvgraph's ``ref`` for ``row``, else why not."""
    if isinstance(got, dict) and "expected" in got and got.get("found") != got["expected"]:
        return f"found {got.get('found')} of {got['expected']} keys"
    if ref is None or got is None:
        return None
    if row.startswith("pagerank"):
        ref_ids = [i for i, _ in ref["top"]]
        got_ids = [i for i, _ in got["top"]]
        if set(ref_ids) != set(got_ids):
            return f"top-{len(ref_ids)} ids differ ({len(set(ref_ids) - set(got_ids))} not shared)"
        rs = dict(ref["top"])
        worst = max(abs(s - rs[i]) / rs[i] for i, s in got["top"])
        tol = got.get("tolerance", 0.01)
        if worst > tol:
            return f"top-{len(ref_ids)} scores differ by up to {worst:.1%} (tolerance {tol:.1%})"
        return None
    if row.startswith("bfs"):
        if "hist" in got:
            if got["hist"] != ref["hist"]:
                return f"depth histogram differs: {got['hist']} vs {ref['hist']}"
            return None
        reach = sum(c for d, c in ref["hist"].items() if int(d) > 0)
        if got["reach"] != reach:
            return f"reached {got['reach']} nodes, kvgraph {reach}"
        return None
    if row.startswith("twohop"):
        if got["sizes"] != ref["sizes"]:
            diff = sum(1 for a, b in zip(got["sizes"], ref["sizes"]) if a != b)
            return f"{diff} of {len(ref['sizes'])} sizes differ (sum {sum(got['sizes'])} vs {sum(ref['sizes'])})"
        return None
    if got != ref:
        return f"{_short(got)} vs kvgraph {_short(ref)}"
    return None


def _short(x: Any) -> str:
    s = json.dumps(x, sort_keys=True)
    return s if len(s) < 120 else s[:117] + "..."


# ---------------------------------------------------------------------------
# the worker side: timing


class Recorder:
    """Runs and records the rows of one (suite, system) worker; writes the
    JSON file after every row so that a timeout keeps what was done."""

    def __init__(self, out: Path, runs: int, budget: float, ref: Dict[str, Any]) -> None:
        self.out = out
        self.runs = runs
        self.budget = budget
        self.ref = ref
        self.rows: Dict[str, Dict[str, Any]] = {}
        self.extra: Dict[str, Any] = {}

    def save(self) -> None:
        self.out.write_text(json.dumps({"rows": self.rows, "extra": self.extra}))

    def skip(self, row: str, status: str, note: str, why: str = "") -> None:
        """Records ``row`` as not run (``status``, and ``why`` for the report)."""
        self.rows[row] = {"status": status, "note": note, **({"why": why} if why else {})}
        self.save()

    def measure(
        self,
        row: str,
        fn: Callable[[], Any],
        check: Callable[[Any], Any] = lambda r: None,
        warmup: Optional[Callable[[], Any]] = None,
        note: str = "",
        ops: Optional[int] = None,
    ) -> Any:
        """Warm-up (``warmup`` or ``fn``; its answer is checked against the
        reference), then timed runs of ``fn`` until ``runs`` are done or the
        row's time budget is spent (at least one). Returns the last result."""
        rec: Dict[str, Any] = {"note": note}
        if ops is not None:
            rec["ops"] = ops
        try:
            if warmup is not None:
                warmup()
                result = None
            else:
                t = now()
                result = fn()
                rec["warmup_s"] = now() - t
                rec["check"] = check(result)
                why = compare_check(row, self.ref.get(row), rec["check"])
                if why is not None:
                    rec.update(status="differs", why=why)
                    self.rows[row] = rec
                    self.save()
                    return result
            times: List[float] = []
            spent = 0.0
            for _ in range(self.runs):
                gc.collect()
                t = now()
                result = fn()
                dt = now() - t
                times.append(dt)
                spent += dt
                if spent > self.budget:
                    break
            rec["times"] = times
            rec["time"] = statistics.median(times)
            if warmup is not None:
                rec["check"] = check(result)
                why = compare_check(row, self.ref.get(row), rec["check"])
                if why is not None:
                    rec.update(status="differs", why=why)
                    rec.pop("time")
            rec.setdefault("status", "ok")
        except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
            rec.update(status="error", why=f"{type(exc).__name__}: {str(exc)[:300]}")
            traceback.print_exc()
            result = None
        self.rows[row] = rec
        self.save()
        return result


def hist(depths: Any) -> Dict[str, int]:
    import numpy as np

    d = np.asarray(depths)
    d = d[d >= 0]
    values, counts = np.unique(d, return_counts=True)
    return {str(int(v)): int(c) for v, c in zip(values, counts)}


def hist_from_layers(sizes: List[int]) -> Dict[str, int]:
    return {str(i): int(c) for i, c in enumerate(sizes) if c}


def top_k(scores: Any, k: int = 10) -> List[Tuple[int, float]]:
    import numpy as np

    s = np.asarray(scores, dtype=np.float64)
    total = s.sum()
    idx = np.lexsort((np.arange(s.size), -s))[:k]
    return [(int(i), float(s[i] / total)) for i in idx]


def components(labels: Any) -> Dict[str, int]:
    import numpy as np

    _, counts = np.unique(np.asarray(labels), return_counts=True)
    return {"components": int(counts.size), "largest": int(counts.max())}


def fof_names(names: Any) -> List[str]:
    return sorted(x.decode() if isinstance(x, bytes) else str(x) for x in names)


def normalise_topk(check: Any, ref: Any) -> Any:
    """Scores of a top-k that does not come with the full vector: scale them
    so that the best one matches kvgraph's, then compare shapes."""
    if not check or not check.get("normalise") or not ref:
        return check
    top = check["top"]
    if not top or not ref.get("top"):
        return check
    scale = ref["top"][0][1] / top[0][1] if top[0][1] else 1.0
    return {"top": [(i, s * scale) for i, s in top], "tolerance": 0.05, "scaled": True}


def record_once(rec: Recorder, row: str, fn: Callable[[], Any], check: Callable[[Any], Any], note: str = "") -> Any:
    """Time one run of ``fn`` with no warm-up (a first call in a fresh
    process) and record it as ``row``, checked like :meth:`Recorder.measure`."""
    entry: Dict[str, Any] = {"note": note}
    try:
        t = now()
        result = fn()
        dt = now() - t
        entry.update(times=[dt], time=dt, check=check(result), status="ok")
        why = compare_check(row, rec.ref.get(row), entry["check"])
        if why is not None:
            entry.update(status="differs", why=why)
            entry.pop("time")
    except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
        entry.update(status="error", why=f"{type(exc).__name__}: {str(exc)[:300]}")
        traceback.print_exc()
        result = None
    rec.rows[row] = entry
    rec.save()
    return result


class Reloader:
    """A timed load that frees what its previous run made first (so that
    repeated runs do not pile up memory); ``value`` is what the last run made."""

    def __init__(self, make: Callable[[], Any], free: Callable[[Any], None]) -> None:
        self.make, self.free = make, free
        self.value: Any = None

    def __call__(self) -> Any:
        self.drop()
        self.value = self.make()
        return self.value

    def drop(self) -> None:
        """Frees the last run's value, if any."""
        if self.value is not None:
            self.free(self.value)
            self.value = None
            gc.collect()
