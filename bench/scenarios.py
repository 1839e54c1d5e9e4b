"""The scenarios: each measured against its reference in the same run."""

from __future__ import annotations

import collections
import http.client
import json
import random
import shutil
import statistics
import subprocess
import threading
import time
from pathlib import Path

from bench.load import Wrk, settle, tree_pids, tree_rss_bytes
from bench.servers import PY, ROOT


def summarise(runs: list[dict]) -> dict:
    """Median of each figure over the rounds; errors summed, RSS at its peak."""
    out = {
        k: statistics.median(r[k] for r in runs) for k in ("rps", "p50_ms", "p99_ms")
    }
    out["errors"] = sum(r["errors"] for r in runs)
    kinds: dict[str, int] = {}
    for r in runs:
        for kind, n in r["error_kinds"].items():
            kinds[kind] = kinds.get(kind, 0) + n
    out["error_kinds"] = kinds
    sample = next((r["error_sample"] for r in runs if "error_sample" in r), None)
    if sample:
        out["error_sample"] = sample
    out["requests"] = sum(r["requests"] for r in runs)
    out["rss_mb"] = max(r["rss_mb"] for r in runs)
    out["runs"] = runs
    return out


def alternate(
    wrk: Wrk,
    targets: dict,
    *,
    rounds: int,
    seconds: float,
    warmup: float,
    connections: int,
) -> dict:
    """Warm every target up, then measure them in turn, rotating the order."""
    for url, _pid, extra in targets.values():
        wrk.run(url, connections=connections, seconds=warmup, **extra)
    runs = {name: [] for name in targets}
    names = list(targets)
    servers = {pid for _url, pid, _extra in targets.values()}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            url, pid, extra = targets[name]
            settled = settle(servers)
            result = wrk.run(
                url, connections=connections, seconds=seconds, server_pid=pid, **extra
            )
            print(
                f"  {name:<14} round {r + 1}: {result['rps']:8.0f} req/s "
                f"p50 {result['p50_ms']:6.1f} ms p99 {result['p99_ms']:6.1f} ms "
                f"errors {result['errors']}",
                flush=True,
            )
            result["settled"] = settled
            runs[name].append(result)
    return {name: summarise(results) for name, results in runs.items()}


def engine_alone(seconds: float, env: dict, servers=()) -> dict:
    """Run bench.engine_alone once the servers (idle, but up) have settled."""
    settled = settle(servers)
    done = subprocess.run(
        [PY, "-m", "bench.engine_alone", str(seconds)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "settled": settled}


COLD_SOURCE = """
function h(context) {{ return ResponseBuilder.text("cold {i}"); }}
function init(context) {{ routeRegistry.registerRoute("/bench/cold", "h", "GET"); }}
"""


def _get(
    port: int,
    path: str,
    headers: dict | None = None,
    method: str = "GET",
    body: bytes | None = None,
) -> tuple[int, bytes, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()
    return response.status, data, elapsed


def cold_vs_warm(port: int, token: str, rounds: int, warm_requests: int = 15) -> dict:
    """Upload a new version, time its first answer, then warm answers."""
    auth = {"Authorization": f"Token {token}", "Content-Type": "application/javascript"}
    cold, warm, stale = [], [], 0
    for i in range(rounds + 1):
        source = COLD_SOURCE.format(i=i).encode()
        status, data, _ = _get(port, "/system/scripts/bench-cold", auth, "PUT", source)
        if status not in (200, 201):
            raise RuntimeError(f"upload failed: {status} {data[:300]!r}")
        expected = f"cold {i}".encode()
        # Every worker notices a new version within SCRIPT_ROUTE_REFRESH_SECONDS
        # (0.5 s); until then a request may still get the previous one.
        give_up = time.monotonic() + 5
        while True:
            status, data, elapsed = _get(port, "/bench/cold")
            if data == expected:
                break
            stale += 1
            if time.monotonic() > give_up:
                raise RuntimeError(f"version {i} never went live: {data[:200]!r}")
            time.sleep(0.005)
        times = [_get(port, "/bench/cold")[2] for _ in range(warm_requests)]
        if i == 0:
            continue  # the first upload also creates the route: not counted
        cold.append(elapsed)
        warm.append(statistics.median(times))
    return {
        "cold_ms": statistics.median(cold),
        "warm_ms": statistics.median(warm),
        "cold_max_ms": max(cold),
        "cold_all_ms": cold,
        "warm_all_ms": warm,
        "stale_answers": stale,
    }


def host_calls(port: int, calls: int, rounds: int) -> dict:
    """Time one request making `calls` cached sharedStorage reads, and one making none.

    The difference, divided by `calls`, is the round trip of one synchronous
    host call (R6) through the real server, ops and channel. Sequential
    requests, medians of `rounds`, alternating the two.
    """
    with_calls, without = [], []
    expect = f"ok {calls}".encode()
    for _ in range(3):  # warm up: contexts built, JIT warm
        _get(port, f"/bench/hostcalls?n={calls}")
    for _ in range(rounds):
        status, data, ms = _get(port, f"/bench/hostcalls?n={calls}")
        if status != 200 or data != expect:
            raise RuntimeError(f"host calls: {status} {data[:200]!r}")
        with_calls.append(ms)
        without.append(_get(port, "/bench/hostcalls?n=0")[2])
    busy, idle = statistics.median(with_calls), statistics.median(without)
    return {
        "calls": calls,
        "rounds": rounds,
        "request_ms": busy,
        "empty_request_ms": idle,
        "us_per_call": (busy - idle) * 1000 / calls,
    }


def seed_scripts(count: int, env: dict) -> str:
    done = subprocess.run(
        [PY, "-m", "bench.seed", str(count)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"seeding failed:\n{done.stderr}")
    return done.stdout.strip()


def many_scripts(
    wrk: Wrk, port: int, pid: int, count: int, seconds: float, warmup: float
) -> dict:
    extra = {"path_format": "/r/%d", "count": count, "expect": r"^route %d+$"}
    url = f"http://127.0.0.1:{port}/"
    wrk.run(url, connections=16, seconds=warmup, **extra)
    settled = settle([pid])
    result = wrk.run(url, connections=16, seconds=seconds, server_pid=pid, **extra)
    result["settled"] = settled
    result["rss_after_mb"] = tree_rss_bytes(pid) / 2**20
    return result


# -- profiling (make bench PROFILE=1): extra runs, never counted in the figures --


def _tool(name: str) -> str | None:
    """A console script of the venv running the bench, else one on PATH."""
    beside = Path(PY).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def _shown(path: Path) -> str:
    """The path from the project's root, as the JSON and the output give it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _workers(pid: int) -> list[int]:
    """The worker processes uvicorn --workers N spawned under pid."""
    found = []
    for child in sorted(tree_pids(pid) - {pid}):
        try:
            if b"multiprocessing-fork" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
        except OSError:
            pass
    return found


def profile_server(
    wrk: Wrk,
    url: str,
    pid: int,
    extra: dict,
    *,
    connections: int,
    seconds: int,
    stem: Path,
    rate: int = 100,
) -> dict:
    """Load url while py-spy samples the server's workers; write the profile.

    py-spy record --gil keeps the samples of threads holding the GIL: the
    workers' Python work, which R3 says is what limits a process. (Without
    --gil, py-spy's idle detection does not work on this kernel: threads
    waiting on a queue show as busy.) Writes stem.speedscope.json (every thread
    of every process; open it at https://www.speedscope.app) and stem.txt: the
    load during the profile, where the GIL went by thread and by function, and
    one `py-spy dump` of every worker under load. The load starts a second
    before the sampling and ends a second after it.
    """
    py_spy = _tool("py-spy")
    if py_spy is None:
        return {"skipped": "py-spy is not installed (make bench installs .[bench])"}
    load: dict = {}

    def drive():
        try:
            load.update(
                wrk.run(url, connections=connections, seconds=seconds + 2, **extra)
            )
        except Exception as exc:  # noqa: BLE001 - reported with the profile
            load["failed"] = str(exc)

    driver = threading.Thread(target=drive)
    driver.start()
    time.sleep(1)
    speedscope = stem.with_name(stem.name + ".speedscope.json")
    workers = _workers(pid)
    record = subprocess.run(
        [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--gil",
            "--duration",
            str(seconds),
            "--rate",
            str(rate),
            "--format",
            "speedscope",
            "--output",
            str(speedscope),
        ],
        capture_output=True,
        text=True,
    )
    dumps = [
        subprocess.run(
            [py_spy, "dump", "--pid", str(worker)], capture_output=True, text=True
        )
        for worker in workers
    ]
    driver.join()
    if record.returncode != 0 or not speedscope.exists():
        return {"skipped": f"py-spy record failed: {record.stderr.strip()[-500:]}"}
    said = [x for x in record.stderr.splitlines() if "Samples:" in x]
    text = stem.with_name(stem.name + ".txt")
    lines = [
        f"py-spy record --gil --subprocesses --rate {rate} --duration {seconds}"
        f" --pid {pid} (uvicorn, workers {workers})",
        f"load: wrk -c{connections} {url}, not counted in the results: "
        + (
            load.get("failed")
            or f"{load['rps']:.0f} req/s, p99 {load['p99_ms']:.1f} ms,"
            f" errors {load['errors']} {load['error_kinds'] or ''}"
        ),
        *(said[-1:]),
        "",
        speedscope_summary(speedscope, rate * seconds * max(len(workers), 1)),
        f"== py-spy dump of each worker under load ({len(workers)} processes)",
        *(d.stdout.rstrip() or d.stderr.rstrip() for d in dumps),
    ]
    text.write_text("\n".join(lines) + "\n")
    return {
        "speedscope": _shown(speedscope),
        "summary": _shown(text),
        "seconds": seconds,
        "rate": rate,
        "workers": workers,
        "load": {k: v for k, v in load.items() if k != "statuses"},
    }


def _where(frame: dict) -> tuple[str, str]:
    """("function (file)", "function (file:line)"), the file relative to the
    project or site-packages."""
    path = frame.get("file") or ""
    if path.startswith(f"{ROOT}/") and "/site-packages/" not in path:
        path = path.removeprefix(f"{ROOT}/")
    elif "/site-packages/" in path:
        path = path.split("/site-packages/", 1)[1]
    elif "/lib/python3." in path:
        path = "stdlib/" + path.split("/lib/python3.", 1)[1].split("/", 1)[-1]
    return (
        f"{frame['name']} ({path})",
        f"{frame['name']} ({path}:{frame.get('line') or 0})",
    )


# Frames every sample of a thread goes through (how processes, threads and the
# event loop start): left out of the "total time" ranking.
_STARTUP = tuple(
    f"({where}"
    for where in (
        "<string>)",
        "stdlib/multiprocessing/",
        "stdlib/threading.py)",
        "stdlib/asyncio/runners.py)",
        "uvicorn/_subprocess.py)",
        "uvicorn/supervisors/",
        "uvicorn/server.py)",
        "uvicorn/_compat.py)",
    )
)


def speedscope_summary(path: Path, possible: int, top: int = 25) -> str:
    """Samples by thread, then the top functions by own and by total time.

    possible is how many samples the workers' GILs could have given (rate x
    seconds x workers): a thread's samples over it is its share of the GIL.
    """
    data = json.loads(path.read_text())
    frames = data["shared"]["frames"]
    by_thread: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    total: collections.Counter = collections.Counter()
    samples = 0
    for profile in data["profiles"]:
        thread = profile["name"].split('"')[1] if '"' in profile["name"] else ""
        thread = thread or "(unnamed: mini-racer callbacks)"
        for stack in profile["samples"]:
            names = [
                _where(frames[i])
                for i in stack
                if not frames[i]["name"].startswith("process ")
            ]
            if not names:
                continue
            samples += 1
            by_thread[thread] += 1
            own[names[-1][1]] += 1
            for function in {function for function, _line in names}:
                if not any(mark in function for mark in _STARTUP):
                    total[function] += 1
    if not samples:
        return "no samples held the GIL\n"
    lines = [
        f"{samples} samples held the GIL, of {possible} possible"
        f" ({samples / possible:.0%} of the workers' GIL time;"
        " percentages below are of the samples)",
        "",
        "== samples by thread (all workers)",
        *(f"{n:7d} {n / samples:6.1%}  {t}" for t, n in by_thread.most_common()),
    ]
    for title, counter in (
        ("own time (the line itself)", own),
        ("total time (the function and what it calls, any line)", total),
    ):
        lines += ["", f"== top {top} by {title}"]
        lines += [
            f"{n:7d} {n / samples:6.1%}  {f}" for f, n in counter.most_common(top)
        ]
    return "\n".join(lines) + "\n"


def profile_engine(seconds: float, env: dict, stem: Path) -> dict:
    """Run the engine-alone scenario under pyinstrument.

    Writes stem.txt (the call tree) and stem.speedscope.json.
    """
    pyinstrument = _tool("pyinstrument")
    if pyinstrument is None:
        return {
            "skipped": "pyinstrument is not installed (make bench installs .[bench])"
        }
    session = stem.with_name(stem.name + ".pyisession")
    done = subprocess.run(
        [
            pyinstrument,
            "--renderer",
            "pyisession",
            "--outfile",
            str(session),
            "-m",
            "bench.engine_alone",
            str(seconds),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 or not session.exists():
        return {"skipped": f"pyinstrument failed: {done.stderr.strip()[-500:]}"}
    out = {"load": json.loads(done.stdout.strip().splitlines()[-1])}
    for renderer, suffix in (("text", ".txt"), ("speedscope", ".speedscope.json")):
        target = stem.with_name(stem.name + suffix)
        options = ["--no-color", "--unicode"] if renderer == "text" else []
        subprocess.run(
            [pyinstrument, "--load", str(session), "--renderer", renderer]
            + options
            + ["--outfile", str(target)],
            check=True,
            capture_output=True,
        )
        out[renderer] = _shown(target)
    session.unlink()
    return out


GUARD_SOURCE = """/**
 * @execution pre-processing
 * @methods POST
 */
if (!o.name) {
  $.cancelRequest(o.uri + ' has no name');
}
"""


def store_triggers(port: int, pid: int, token: str, cfg: dict) -> dict:
    """POST one entity to a collection with one pre-processing trigger, and to
    one without: what the trigger costs a store write (issue 15's row)."""
    auth = {"Authorization": f"Token {token}"}
    js = {**auth, "Content-Type": "application/javascript"}
    status, data, _ = _get(
        port, "/system/scripts/bench-guard", js, "PUT", GUARD_SOURCE.encode()
    )
    if status not in (200, 201):
        raise RuntimeError(f"upload failed: {status} {data[:300]!r}")
    trigger = {
        "uri": "/system/triggers/bench-guard",
        "onReferenceTo": "/bench-guarded",
        "methods": ["POST"],
        "script": "bench-guard",
    }
    headers = {**auth, "Content-Type": "application/json"}
    status, data, _ = _get(
        port, "/system/triggers", headers, "POST", json.dumps(trigger).encode()
    )
    if status not in (200, 201):
        raise RuntimeError(f"trigger failed: {status} {data[:300]!r}")
    # One connection, the two POSTs taking turns request by request: both
    # sides then see the same state of the machine, and the difference of
    # their p50s is what the trigger adds (rounds of wrk on each side in
    # turn drifted apart by a millisecond or more between rounds).
    return paired_posts(
        port,
        pid,
        headers,
        {"with_trigger": "bench-guarded", "no_trigger": "bench-plain"},
        rounds=cfg["rounds"],
        seconds=2 * cfg["seconds"],
        warmup=cfg["warmup"],
    )


def paired_posts(
    port: int,
    pid: int,
    headers: dict,
    targets: dict,
    *,
    rounds: int,
    seconds: float,
    warmup: float,
) -> dict:
    """POST one entity (a random id of 10,000) to each collection in turn on
    one kept-alive connection; per round and side, p50, p99 and the side's
    requests/s (its requests over the time they took). Summarised as
    alternate() does."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    names = list(targets)

    def post(name: str) -> tuple[float, int]:
        collection = targets[name]
        body = json.dumps(
            {"uri": f"/{collection}/{random.randrange(10_000)}", "name": "pump"}
        )
        started = time.perf_counter()
        conn.request("POST", f"/store/{collection}", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return time.perf_counter() - started, response.status

    def measure(length: float) -> dict:
        took = {name: [] for name in names}
        kinds = {name: collections.Counter() for name in names}
        ends = time.monotonic() + length
        turn = 0
        while time.monotonic() < ends:
            name = names[turn % len(names)]
            turn += 1
            elapsed, status = post(name)
            took[name].append(elapsed)
            if status not in (200, 201):
                kinds[name][f"status {status}"] += 1
        rss = tree_rss_bytes(pid) / 2**20
        out = {}
        for name in names:
            times = sorted(took[name])
            out[name] = {
                "rps": len(times) / sum(times) if times else 0.0,
                "p50_ms": times[len(times) // 2] * 1000 if times else 0.0,
                "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))] * 1000
                if times
                else 0.0,
                "errors": sum(kinds[name].values()),
                "error_kinds": dict(kinds[name]),
                "requests": len(times),
                "rss_mb": rss,
            }
        return out

    try:
        measure(warmup)
        runs = {name: [] for name in names}
        for r in range(rounds):
            settled = settle([pid])
            result = measure(seconds)
            for name in names:
                result[name]["settled"] = settled
                runs[name].append(result[name])
                print(
                    f"  {name:<14} round {r + 1}: {result[name]['rps']:8.0f} req/s "
                    f"p50 {result[name]['p50_ms']:6.1f} ms p99 "
                    f"{result[name]['p99_ms']:6.1f} ms errors "
                    f"{result[name]['errors']}",
                    flush=True,
                )
    finally:
        conn.close()
    return {name: summarise(results) for name, results in runs.items()}
