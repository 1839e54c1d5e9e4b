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

# wrk's kinds of socket error, as its summary counts them. "status" is its count
# of answers with a status of 400 or more.
SOCKET_ERRORS = ("connect", "read", "write", "timeout")

# Every thread counts the answers by status, and those whose body does not match
# EXPECT (a Lua pattern; nil checks no body); done() sums the threads and prints
# the figures as JSON so nothing parses wrk's table. The first unexpected answer
# is kept as a sample. The hook costs wrk about nothing next to the socket work.
CHECK = r"""
EXPECT = {expect}
local threads = {{}}
setup = function(thread)
  table.insert(threads, thread)
end
init = function(args)
  statuses, wrong, sample = {{}}, 0, ""
end
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  local good = status < 400 and (EXPECT == nil or string.find(body, EXPECT) ~= nil)
  if status < 400 and not good then
    wrong = wrong + 1
  end
  if not good and sample == "" then
    sample = status .. " " .. string.sub(body, 1, 300)
  end
end
local function quote(s)
  return '"' .. string.gsub(s, '[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end) .. '"'
end
done = function(summary, latency, requests)
  local counts, wrong_all, sample_one = {{}}, 0, ""
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
    wrong_all = wrong_all + thread:get("wrong")
    if sample_one == "" then sample_one = thread:get("sample") end
  end
  local parts = {{}}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d,' ..
    ' "max_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d,' ..
    ' "timeout": %d, "statuses": {{%s}}, "wrong_body": %d, "sample": %s}}\n',
    summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status,
    e.timeout, table.concat(parts, ", "), wrong_all, quote(sample_one)))
end
"""

# One random path per request, from a format with one %d and a range.
RANDOM = """
local seed_init = init
init = function(args)
  seed_init(args)
  math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1e6) + #tostring({{}}))
end
request = function()
  return wrk.format("GET", string.format({fmt}, math.random(0, {top})))
end
"""


# POSTs of a JSON body naming a random id (%d in body_format), with headers.
POST = """
local seed_init = init
init = function(args)
  seed_init(args)
  math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1e6) + #tostring({{}}))
end
local HEADERS = {headers}
request = function()
  return wrk.format("POST", {path}, HEADERS, string.format({body}, math.random(0, {top})))
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a Lua one too (ASCII)


def exactly(text: str) -> str:
    """The Lua pattern matching text and nothing else."""
    magic = set("^$()%.[]*+-?")
    return "^" + "".join("%" + c if c in magic else c for c in text) + "$"


def error_kinds(raw: dict) -> dict:
    """wrk's figures as {kind: count}, zero kinds left out.

    Kinds: connect, read, write, timeout (socket errors), "status NNN" (one per
    status of 400 or more) and wrong_body (a 2xx/3xx answer with another body).
    """
    kinds = {k: raw[k] for k in SOCKET_ERRORS if raw[k]}
    for status, n in sorted(raw["statuses"].items()):
        if int(status) >= 400:
            kinds[f"status {status}"] = n
    if raw["wrong_body"]:
        kinds["wrong_body"] = raw["wrong_body"]
    return kinds


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


def tree_pids(root: int) -> set[int]:
    """A process and all its descendants, from /proc."""
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
    return members


def tree_rss_bytes(root: int) -> int:
    """Sum the resident memory of a process and all its descendants."""
    total = 0
    for pid in tree_pids(root):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def tree_cpu_seconds(roots) -> float:
    """CPU time (user + system) used so far by some process trees, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for root in roots:
        for pid in tree_pids(root):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def settle(
    roots, *, idle: float = 0.05, window: float = 0.5, limit: float = 20.0
) -> dict:
    """Wait until the servers are idle: less than `idle` of a core over `window`.

    A run that overloads a server (the storage rows queue requests for seconds)
    leaves it working after wrk stops; measuring the next subject then would
    charge it for the last one's backlog. Gives up after `limit` seconds and
    says how busy the servers still were.
    """
    started = time.monotonic()
    busy = 1.0
    while time.monotonic() - started < limit:
        before = tree_cpu_seconds(roots)
        time.sleep(window)
        busy = (tree_cpu_seconds(roots) - before) / window
        if busy < idle:
            break
    return {"waited_s": round(time.monotonic() - started, 2), "busy": round(busy, 3)}


def _machine_busy_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine so far, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def settle_machine(
    *, idle: float = 0.25, window: float = 0.5, limit: float = 30.0
) -> dict:
    """Wait until the whole machine is idle: under `idle` of a core over `window`.

    For a row whose figure is the time a burst takes on the machine's cores
    (row 12): the work earlier rows leave behind (a database's checkpoint,
    a server's teardown) must not be charged to it. Gives up after `limit`
    seconds and says how busy the machine still was (in cores).
    """
    cores = os.cpu_count() or 1
    started = time.monotonic()
    busy = float(cores)
    while time.monotonic() - started < limit:
        before_busy, before_total = _machine_busy_jiffies()
        time.sleep(window)
        after_busy, after_total = _machine_busy_jiffies()
        total = after_total - before_total
        busy = cores * (after_busy - before_busy) / total if total else 0.0
        if busy < idle:
            break
    return {"waited_s": round(time.monotonic() - started, 2), "busy": round(busy, 3)}


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
        self._scripts: dict[tuple, Path] = {}

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _script(
        self,
        path_format: str | None,
        count: int,
        expect: str | None,
        post: tuple | None = None,
    ) -> Path:
        key = (path_format, count, expect, post)
        if key not in self._scripts:
            lua = CHECK.format(expect=json.dumps(expect) if expect else "nil")
            if post:
                path, body_format, headers = post
                table = ", ".join(
                    f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers
                )
                lua += POST.format(
                    headers="{" + table + "}",
                    path=_lua_string(path),
                    body=_lua_string(body_format),
                    top=count - 1,
                )
            elif path_format:
                lua += RANDOM.format(fmt=json.dumps(path_format), top=count - 1)
            self._scripts[key] = self.tmp / f"s{len(self._scripts)}.lua"
            self._scripts[key].write_text(lua)
        return self._scripts[key]

    def run(
        self,
        url: str,
        *,
        connections: int,
        seconds: float,
        server_pid: int | None = None,
        path_format: str | None = None,
        count: int = 1,
        expect: str | None = None,
        post: tuple | None = None,
    ) -> dict:
        """Load url (or random paths on its host) and return the figures.

        expect is a Lua pattern every 2xx/3xx body must match (see exactly()).
        post = (path, body_format, ((header, value), ...)) sends POSTs of
        body_format with a random number in 0..count-1 for its %d.
        """
        threads = min(self.threads, connections)
        command = [
            self.binary,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(self._script(path_format, count, expect, post)),
            url,
        ]
        sampler = RssSampler(server_pid) if server_pid else None
        if sampler:
            sampler.start()
        started = time.monotonic()
        done = subprocess.run(
            command, capture_output=True, encoding="utf-8", errors="replace"
        )
        wall = time.monotonic() - started
        rss = sampler.stop() if sampler else 0
        line = next(
            (x for x in done.stdout.splitlines() if x.startswith("BENCHJSON ")), None
        )
        if done.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed: {done.stdout}\n{done.stderr}")
        raw = json.loads(line.removeprefix("BENCHJSON "))
        kinds = error_kinds(raw)
        return {
            "rps": raw["requests"] / (raw["duration_us"] / 1e6),
            "p50_ms": raw["p50_us"] / 1000,
            "p99_ms": raw["p99_us"] / 1000,
            "max_ms": raw["max_us"] / 1000,
            "requests": raw["requests"],
            "errors": sum(kinds.values()),
            "error_kinds": kinds,
            "statuses": raw["statuses"],
            **({"error_sample": raw["sample"]} if raw["sample"] else {}),
            "rss_mb": rss / 2**20,
            "wall_s": wall,
        }
