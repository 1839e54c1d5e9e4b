"""Drive wrk against a URL and sample the server's memory while it runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

# wrk's done() hook prints the figures as JSON so nothing parses its table.
DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d,' ..
    ' "max_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d,' ..
    ' "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status,
    e.timeout))
end
"""

# One random path per request, from a format with one %d and a range.
RANDOM = """
init = function(args)
  math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1e6) + #tostring({{}}))
end
request = function()
  return wrk.format("GET", string.format({fmt}, math.random(0, {top})))
end
"""


def ensure_wrk() -> str:
    """Return wrk's path, installing Debian's package first when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("wrk is missing: run `apt-get install -y wrk` as root.")
    print("wrk is missing: installing it with apt-get ...", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return shutil.which("wrk") or "/usr/bin/wrk"


def tree_rss_bytes(root: int) -> int:
    """Sum the resident memory of a process and all its descendants."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name may hold spaces; the fields after ")" do not.
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    members, todo = set(), [root]
    while todo:
        pid = todo.pop()
        members.add(pid)
        todo.extend(p for p, parent in parents.items() if parent == pid)
    total = 0
    for pid in members:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


class RssSampler(threading.Thread):
    """Record the peak RSS of a process tree until stopped."""

    def __init__(self, pid: int, every: float = 0.5):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak = pid, every, 0
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            self.peak = max(self.peak, tree_rss_bytes(self.pid))
            self._stop_event.wait(self.every)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        self.peak = max(self.peak, tree_rss_bytes(self.pid))
        return self.peak


class Wrk:
    def __init__(self, threads: int):
        self.binary = ensure_wrk()
        self.threads = threads
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-wrk-"))

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _script(self, path_format: str | None, count: int) -> Path:
        lua = DONE
        if path_format:
            lua += RANDOM.format(fmt=json.dumps(path_format), top=count - 1)
        script = self.tmp / f"s{abs(hash((path_format, count)))}.lua"
        script.write_text(lua)
        return script

    def run(
        self,
        url: str,
        *,
        connections: int,
        seconds: float,
        server_pid: int | None = None,
        path_format: str | None = None,
        count: int = 1,
    ) -> dict:
        """Load url (or random paths on its host) and return the figures."""
        threads = min(self.threads, connections)
        command = [
            self.binary,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(self._script(path_format, count)),
            url,
        ]
        sampler = RssSampler(server_pid) if server_pid else None
        if sampler:
            sampler.start()
        started = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True)
        wall = time.monotonic() - started
        rss = sampler.stop() if sampler else 0
        line = next(
            (x for x in done.stdout.splitlines() if x.startswith("BENCHJSON ")), None
        )
        if done.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed: {done.stdout}\n{done.stderr}")
        raw = json.loads(line.removeprefix("BENCHJSON "))
        errors = sum(raw[k] for k in ("connect", "read", "write", "status", "timeout"))
        return {
            "rps": raw["requests"] / (raw["duration_us"] / 1e6),
            "p50_ms": raw["p50_us"] / 1000,
            "p99_ms": raw["p99_us"] / 1000,
            "max_ms": raw["max_us"] / 1000,
            "requests": raw["requests"],
            "errors": errors,
            "error_kinds": {
                k: raw[k] for k in ("connect", "read", "write", "status", "timeout")
            },
            "rss_mb": rss / 2**20,
            "wall_s": wall,
        }
