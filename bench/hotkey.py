"""Row 11: 500 increments of one storage key, 50 at a time; every one must count.

The app serves `POST /bench/hotkey?key=<k>` (HOTKEY below, uploaded as
bench-hotkey): a naive read-increment-write counter of one sharedStorage key
that also reads a second key between its read and its write, as handlers do.
Per round an asyncio client sends INCREMENTS requests on CONCURRENCY
keep-alive connections (each connection sends its share one after another,
so CONCURRENCY are in flight all the time) to a key of the round's own, then
reads the key back. Every answer must be a 200 and the key must hold
INCREMENTS: before issue 12, 5-14% of such increments failed with 500 after
20 optimistic re-runs; now a hot key's writers take turns under a lock
(scripts_app.contention).

Reports, per stack: increments/s (the round's increments over its wall time,
median over rounds), p50 and p99 latency of the answers, how many increments
were counted, and the answers that were not 200 by kind (5xx apart).

Usage alone, against a running server:

    python -m bench.hotkey PORT TOKEN [--increments 500] [--concurrency 50]
        [--rounds 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid

import httpx

from bench.sse import percentile

SCRIPT_ID = "bench-hotkey"
PATH = "/bench/hotkey"
HOTKEY = """
async function bump(context) {
  const key = context.request.query.key || "n";
  const n = parseInt((await sharedStorage.getItem(key)) || "0") + 1;
  const step = (await sharedStorage.getItem("step")) || "1";
  sharedStorage.setItem(key, String(n));
  return { status: 200, body: { n: n, step: step } };
}
async function total(context) {
  const key = context.request.query.key || "n";
  return { status: 200, body: { n: parseInt((await sharedStorage.getItem(key)) || "0") } };
}
routeRegistry.registerRoute("/bench/hotkey", "bump", "POST");
routeRegistry.registerRoute("/bench/hotkey", "total", "GET");
"""
# Longer than any call may take (its 20 s time limit, then a 503 or 504).
ANSWER_TIMEOUT = 60.0


async def _round(client: httpx.AsyncClient, increments: int, concurrency: int):
    key = f"hot-{uuid.uuid4().hex[:8]}"
    answers: list[tuple[str, float]] = []
    shares = [increments // concurrency] * concurrency
    for i in range(increments % concurrency):
        shares[i] += 1

    async def caller(share: int):
        for _ in range(share):
            started = time.perf_counter()
            try:
                reply = await client.post(PATH, params={"key": key})
                kind = str(reply.status_code)
            except httpx.TimeoutException:
                kind = "timeout"
            except httpx.TransportError:
                kind = "closed"
            answers.append((kind, (time.perf_counter() - started) * 1000))

    started = time.perf_counter()
    await asyncio.gather(*(caller(share) for share in shares if share))
    seconds = time.perf_counter() - started
    counted = (await client.get(PATH, params={"key": key})).json()["n"]
    return _summary(answers, seconds, counted, increments)


def _summary(answers, seconds: float, counted: int, increments: int) -> dict:
    ok = [ms for kind, ms in answers if kind == "200"]
    kinds: dict[str, int] = {}
    for kind, _ms in answers:
        if kind != "200":
            name = f"status {kind}" if kind.isdigit() else kind
            kinds[name] = kinds.get(name, 0) + 1
    all_ms = [ms for _kind, ms in answers]
    return {
        "increments": increments,
        "counted": counted,
        "ok": len(ok),
        "server_errors": sum(1 for kind, _ms in answers if kind.startswith("5")),
        "error_kinds": kinds,
        "rps": increments / seconds if seconds else 0.0,
        "p50_ms": percentile(all_ms, 0.50),
        "p99_ms": percentile(all_ms, 0.99),
        "round_s": seconds,
    }


async def _measure(port: int, token: str, increments, concurrency, rounds):
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", timeout=ANSWER_TIMEOUT, limits=limits
    ) as client:
        uploaded = await client.put(
            f"/system/scripts/{SCRIPT_ID}",
            content=HOTKEY.encode(),
            headers={
                "Authorization": f"Token {token}",
                "Content-Type": "application/javascript",
            },
        )
        if uploaded.status_code not in (200, 201):
            raise RuntimeError(f"uploading {SCRIPT_ID} failed: {uploaded.text[:300]}")
        warm = await client.post(PATH, params={"key": "warm-up"})  # builds a context
        if warm.status_code != 200:
            raise RuntimeError(f"the warm-up call failed: {warm.text[:300]}")
        runs = []
        for r in range(rounds):
            await asyncio.sleep(0.5)  # let the server finish the last round's work
            runs.append(await _round(client, increments, concurrency))
            run = runs[-1]
            print(
                f"  round {r + 1}: {run['counted']}/{increments} counted, "
                f"{run['ok']} x 200, {run['server_errors']} x 5xx "
                f"{run['error_kinds'] or ''}; {run['rps']:.0f} increments/s, "
                f"p99 {run['p99_ms']:.0f} ms",
                flush=True,
            )
    return runs


def run(
    port: int,
    token: str,
    increments: int = 500,
    concurrency: int = 50,
    rounds: int = 1,
    stack: str = "embedded",
) -> dict:
    """Measure; return the row's figures (counts summed, rates and times medians)."""
    runs = asyncio.run(_measure(port, token, increments, concurrency, rounds))
    kinds: dict[str, int] = {}
    for r in runs:
        for kind, n in r["error_kinds"].items():
            kinds[kind] = kinds.get(kind, 0) + n
    return {
        "stack": stack,
        "increments": increments * len(runs),
        "concurrency": concurrency,
        "counted": sum(r["counted"] for r in runs),
        "lost": sum(r["increments"] - r["counted"] for r in runs),
        "server_errors": sum(r["server_errors"] for r in runs),
        "rps": statistics.median(r["rps"] for r in runs),
        "p50_ms": statistics.median(r["p50_ms"] for r in runs),
        "p99_ms": statistics.median(r["p99_ms"] for r in runs),
        "errors": sum(kinds.values()),
        "error_kinds": kinds,
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("port", type=int)
    parser.add_argument("token")
    parser.add_argument("--increments", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    result = run(args.port, args.token, args.increments, args.concurrency, args.rounds)
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))


if __name__ == "__main__":
    main()
