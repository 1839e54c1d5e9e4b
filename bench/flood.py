"""Row 10: 300 concurrent slow calls to one tenant; each gets a 200 or an at-once 429.

The app (one worker: the embedded default is one process, where the cap
SCRIPT_MAX_CONCURRENT_PER_TENANT, 64 by default, is counted) serves
`GET /bench/slow`, a handler that busy-loops about 100 ms in V8 (SLOW below,
uploaded as bench-slow). An asyncio client opens CONNECTIONS keep-alive
connections per round (before timing), sends one request on every connection
at once and waits for every answer. An answer's latency runs from the moment its
request was written to its last byte (one clock, the client's).

Kinds of answer: `200` (body "slow"), `429` (with Retry-After and the error
code too_many_requests) and everything else, counted by kind in `other`: a 504
(the call queued past its time limit), a 429 missing its Retry-After, a closed
connection, or no answer within ANSWER_TIMEOUT. The row reports the counts
summed over rounds, and the median over rounds of each round's p50 and p99
latency of the 429s (and p99 of the 200s), as the other rows do.

Usage alone, against a running server (one worker, or the counts mix caps):

    python -m bench.flood PORT TOKEN [--connections 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from bench.sse import percentile, raise_open_files

PATH = "/bench/slow"
SCRIPT_ID = "bench-slow"
SLOW = """
function slow(context) {
  const until = Date.now() + 100;
  while (Date.now() < until) {}
  return "slow";
}
routeRegistry.registerRoute("/bench/slow", "slow", "GET");
"""
CONNECT_TIMEOUT = 30.0
# Longer than any admitted call may take (the 20 s time limit, then a 504).
ANSWER_TIMEOUT = 60.0


async def _request(reader, writer, host: str, port: int) -> tuple[str, float]:
    """Send one GET PATH; return (its kind, latency in ms)."""
    started = time.perf_counter()
    writer.write(f"GET {PATH} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split(" ", 2)[1]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    elapsed = (time.perf_counter() - started) * 1000
    if status == "200" and body == b"slow":
        return "200", elapsed
    if status == "429" and headers.get("retry-after"):
        try:
            code = json.loads(body)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = None
        if code == "too_many_requests":
            return "429", elapsed
        return "429 without too_many_requests", elapsed
    if status == "429":
        return "429 without Retry-After", elapsed
    return f"status {status}", elapsed


async def _round(connections, host: str, port: int) -> list[tuple[str, float]]:
    async def one(pair):
        reader, writer = pair
        try:
            return await asyncio.wait_for(
                _request(reader, writer, host, port), ANSWER_TIMEOUT
            )
        except TimeoutError:
            return "timeout", ANSWER_TIMEOUT * 1000
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return "closed", 0.0

    return await asyncio.gather(*(one(pair) for pair in connections))


async def _call(host: str, port: int, method: str, path: str, headers=(), body=b""):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", *headers]
        lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
        writer.write("\r\n".join(lines).encode() + body)
        await writer.drain()
        answer = await reader.read()
    finally:
        writer.close()
    return int(answer.split(b" ", 2)[1]), answer.split(b"\r\n\r\n", 1)[-1]


async def _measure(host: str, port: int, token: str, connections: int, rounds: int):
    status, body = await _call(
        host,
        port,
        "PUT",
        f"/system/scripts/{SCRIPT_ID}",
        [f"Authorization: Token {token}", "Content-Type: application/javascript"],
        SLOW.encode(),
    )
    if status not in (200, 201):
        raise RuntimeError(f"uploading {SCRIPT_ID} failed: {status} {body[:300]!r}")
    status, body = await _call(host, port, "GET", PATH)  # builds the context
    if status != 200:
        raise RuntimeError(f"the warm-up call failed: {status} {body[:300]!r}")
    runs = []
    for r in range(rounds):
        await asyncio.sleep(0.5)  # let the server finish the last round's work
        # Fresh connections per round, opened before it: the server closes
        # keep-alive connections that idle (uvicorn: after 5 s).
        opened = await asyncio.wait_for(
            asyncio.gather(
                *(asyncio.open_connection(host, port) for _ in range(connections))
            ),
            CONNECT_TIMEOUT,
        )
        try:
            started = time.perf_counter()
            answers = await _round(opened, host, port)
            runs.append(_summary(answers, time.perf_counter() - started))
        finally:
            for _reader, writer in opened:
                writer.close()
        run = runs[-1]
        print(
            f"  round {r + 1}: {run['ok']} x 200, {run['refused']} x 429, "
            f"{run['other']} other {run['other_kinds'] or ''}; 429 p50 "
            f"{run['refused_p50_ms'] or 0:.1f} ms p99 "
            f"{run['refused_p99_ms'] or 0:.1f} ms; 200 p99 "
            f"{run['ok_p99_ms'] or 0:.0f} ms; round {run['round_s']:.1f} s",
            flush=True,
        )
    return runs


def _summary(answers: list[tuple[str, float]], seconds: float) -> dict:
    by_kind: dict[str, list[float]] = {}
    for kind, ms in answers:
        by_kind.setdefault(kind, []).append(ms)
    refused, ok = by_kind.pop("429", []), by_kind.pop("200", [])
    return {
        "ok": len(ok),
        "refused": len(refused),
        "other": sum(len(v) for v in by_kind.values()),
        "other_kinds": {k: len(v) for k, v in sorted(by_kind.items())},
        "refused_ms": refused,
        "ok_ms": ok,
        "refused_p50_ms": percentile(refused, 0.50) if refused else None,
        "refused_p99_ms": percentile(refused, 0.99) if refused else None,
        "ok_p99_ms": percentile(ok, 0.99) if ok else None,
        "round_s": seconds,
    }


def run(port: int, token: str, connections: int = 300, rounds: int = 1, pid=None):
    """Measure; return the row's figures (counts summed, latencies pooled)."""
    raise_open_files(connections + 256)
    runner_kwargs = {}
    try:
        import uvloop

        runner_kwargs["loop_factory"] = uvloop.new_event_loop
    except ImportError:
        pass
    with asyncio.Runner(**runner_kwargs) as runner:
        runs = runner.run(_measure("127.0.0.1", port, token, connections, rounds))
    rss_mb = None
    if pid is not None:
        from bench.load import tree_rss_bytes

        rss_mb = tree_rss_bytes(pid) / 2**20
    for r in runs:
        del r["refused_ms"], r["ok_ms"]
    kinds: dict[str, int] = {}
    for r in runs:
        for kind, n in r["other_kinds"].items():
            kinds[kind] = kinds.get(kind, 0) + n
    other = sum(kinds.values())
    return {
        "connections": connections,
        "ok": sum(r["ok"] for r in runs),
        "refused": sum(r["refused"] for r in runs),
        "other": other,
        "p50_ms": _median(runs, "refused_p50_ms"),  # of the 429s
        "p99_ms": _median(runs, "refused_p99_ms"),
        "ok_p99_ms": _median(runs, "ok_p99_ms"),
        "errors": other,
        "error_kinds": kinds,
        "rss_mb": rss_mb,
        "runs": runs,
    }


def _median(runs: list[dict], key: str) -> float | None:
    values = [r[key] for r in runs if r[key] is not None]
    return statistics.median(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("port", type=int)
    parser.add_argument("token")
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    result = run(args.port, args.token, args.connections, args.rounds)
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))


if __name__ == "__main__":
    main()
