"""The scenarios: each measured against its reference in the same run."""

from __future__ import annotations

import http.client
import json
import statistics
import subprocess
import time

from bench.load import Wrk, tree_rss_bytes
from bench.servers import PY, ROOT


def summarise(runs: list[dict]) -> dict:
    """Median of each figure over the rounds; errors summed, RSS at its peak."""
    out = {
        k: statistics.median(r[k] for r in runs) for k in ("rps", "p50_ms", "p99_ms")
    }
    out["errors"] = sum(r["errors"] for r in runs)
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
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            url, pid, extra = targets[name]
            result = wrk.run(
                url, connections=connections, seconds=seconds, server_pid=pid, **extra
            )
            print(
                f"  {name:<14} round {r + 1}: {result['rps']:8.0f} req/s "
                f"p50 {result['p50_ms']:6.1f} ms p99 {result['p99_ms']:6.1f} ms "
                f"errors {result['errors']}",
                flush=True,
            )
            runs[name].append(result)
    return {name: summarise(results) for name, results in runs.items()}


def engine_alone(seconds: float, env: dict) -> dict:
    done = subprocess.run(
        [PY, "-m", "bench.engine_alone", str(seconds)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


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
        for _attempt in range(50):
            status, data, elapsed = _get(port, "/bench/cold")
            if data == expected:
                break
            stale += 1
        else:
            raise RuntimeError(f"version {i} never went live: {data[:200]!r}")
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
    extra = {"path_format": "/r/%d", "count": count}
    url = f"http://127.0.0.1:{port}/"
    wrk.run(url, connections=16, seconds=warmup, **extra)
    result = wrk.run(url, connections=16, seconds=seconds, server_pid=pid, **extra)
    result["rss_after_mb"] = tree_rss_bytes(pid) / 2**20
    return result
