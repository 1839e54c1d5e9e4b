"""Row 8: 1,000 concurrent Server-Sent Events clients on one server, one broadcast.

An asyncio client opens CLIENTS streams on `GET /bench/sse` (bench/scripts/sse.js,
uploaded as bench-sse) and waits until every one has its `: connected` comment
(the server has subscribed it). Then one `POST /bench/sse/broadcast` sends one
message to all of them; each client notes when the event arrives. The
delivery latency of a client is that moment minus the moment the POST was
sent (one clock: the client's process), so it includes the handler, the
commit and the fan-out. Lost: clients connected that had not received the
message 10 s later. Each round is one broadcast to the same connections.

Usage alone, against a running server with one worker (the in-memory channel
layer reaches one process's clients; with several workers use REDIS_URL):

    python -m bench.sse PORT TOKEN [--clients 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import statistics
import time
import uuid
from pathlib import Path

STREAM = "/bench/sse"
BROADCAST = "/bench/sse/broadcast"
SCRIPT = Path(__file__).parent / "scripts" / "sse.js"
CONNECT_TIMEOUT = 90.0
DELIVERY_TIMEOUT = 10.0


def raise_open_files(need: int) -> int:
    """Raise the soft limit of open files to `need` (up to the hard limit).

    Called before the server starts, so the server inherits it too. Returns
    the soft limit now in force.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        wanted = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        soft = wanted
    return soft


class _State:
    def __init__(self, clients: int):
        self.clients = clients
        self.connected = 0
        self.failed: dict[str, int] = {}
        self.all_connected = asyncio.Event()
        self.round = -1
        self.nonce = ""
        self.sent_at = 0.0
        self.latencies: list[float] = []
        self.all_received = asyncio.Event()

    def fail(self, kind: str) -> None:
        self.failed[kind] = self.failed.get(kind, 0) + 1
        self._check_connected()

    def _check_connected(self) -> None:
        if self.connected + sum(self.failed.values()) >= self.clients:
            self.all_connected.set()

    def joined(self) -> None:
        self.connected += 1
        self._check_connected()

    def received(self, nonce: str, at: float) -> None:
        if nonce != self.nonce:
            return
        self.latencies.append((at - self.sent_at) * 1000)
        if len(self.latencies) >= self.connected:
            self.all_received.set()


async def _body(reader: asyncio.StreamReader, chunked: bool):
    """Yield the decoded body of a response as it arrives."""
    if not chunked:
        while data := await reader.read(65536):
            yield data
        return
    while True:
        line = await reader.readline()
        if not line:
            return
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            return
        data = await reader.readexactly(size + 2)
        yield data[:-2]


async def _client(host: str, port: int, state: _State) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        state.fail("connect")
        return
    try:
        writer.write(
            f"GET {STREAM} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1].decode()
        if status != "200":
            state.fail(f"status {status}")
            return
        chunked = b"transfer-encoding: chunked" in head.lower()
        buffer, joined = b"", False
        async for part in _body(reader, chunked):
            buffer += part
            while b"\n\n" in buffer:
                event, buffer = buffer.split(b"\n\n", 1)
                if not joined and b": connected" in event:
                    joined = True
                    state.joined()
                for line in event.split(b"\n"):
                    if line.startswith(b"data: "):
                        at = time.perf_counter()
                        state.received(json.loads(line[6:])["nonce"], at)
        if not joined:
            state.fail("closed")
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        if not state.all_connected.is_set():
            state.fail("read")
    finally:
        writer.close()


async def _post(host: str, port: int, body: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            f"POST {BROADCAST} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        answer = await reader.read()
    finally:
        writer.close()
    status = int(answer.split(b" ", 2)[1])
    return status, answer.split(b"\r\n\r\n", 1)[-1]


async def _upload(host: str, port: int, token: str) -> None:
    source = SCRIPT.read_bytes()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            f"PUT /system/scripts/bench-sse HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Token {token}\r\n"
            "Content-Type: application/javascript\r\n"
            f"Content-Length: {len(source)}\r\nConnection: close\r\n\r\n".encode()
            + source
        )
        await writer.drain()
        answer = await reader.read()
    finally:
        writer.close()
    if int(answer.split(b" ", 2)[1]) not in (200, 201):
        raise RuntimeError(f"uploading bench-sse failed: {answer[:300]!r}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def _measure(host: str, port: int, token: str, clients: int, rounds: int):
    await _upload(host, port, token)
    # Warm the script's context: the first call builds it.
    status, body = await _post(host, port, json.dumps({"nonce": "warm"}).encode())
    if status != 200:
        raise RuntimeError(f"the warm-up broadcast failed: {status} {body[:300]!r}")
    state = _State(clients)
    started = time.perf_counter()
    tasks = [asyncio.create_task(_client(host, port, state)) for _ in range(clients)]
    try:
        await asyncio.wait_for(state.all_connected.wait(), CONNECT_TIMEOUT)
    except TimeoutError:
        state.failed["connect_timeout"] = (
            clients - state.connected - sum(state.failed.values())
        )
    connect_s = time.perf_counter() - started
    runs = []
    for r in range(rounds):
        await asyncio.sleep(0.5)  # let the server finish whatever it was doing
        state.round, state.nonce = r, uuid.uuid4().hex
        state.latencies, state.all_received = [], asyncio.Event()
        state.sent_at = time.perf_counter()
        status, body = await _post(
            host, port, json.dumps({"nonce": state.nonce, "round": r}).encode()
        )
        post_ms = (time.perf_counter() - state.sent_at) * 1000
        if status != 200:
            raise RuntimeError(f"the broadcast failed: {status} {body[:300]!r}")
        with contextlib.suppress(TimeoutError):  # what did not come is lost
            await asyncio.wait_for(state.all_received.wait(), DELIVERY_TIMEOUT)
        got = list(state.latencies)
        runs.append(
            {
                "connected": state.connected,
                "received": len(got),
                "lost": state.connected - len(got),
                "post_ms": post_ms,
                "p50_ms": percentile(got, 0.50) if got else None,
                "p99_ms": percentile(got, 0.99) if got else None,
                "max_ms": max(got) if got else None,
            }
        )
        print(
            f"  round {r + 1}: {len(got)}/{state.connected} received, "
            f"p50 {runs[-1]['p50_ms'] or 0:.1f} ms p99 {runs[-1]['p99_ms'] or 0:.1f} "
            f"ms max {runs[-1]['max_ms'] or 0:.1f} ms (POST answered in "
            f"{post_ms:.1f} ms)",
            flush=True,
        )
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return state, connect_s, runs


def run(port: int, token: str, clients: int = 1000, rounds: int = 1, pid=None):
    """Measure; return the row's figures (medians over rounds, losses summed)."""
    limit = raise_open_files(clients + 256)
    runner_kwargs = {}
    try:
        import uvloop

        runner_kwargs["loop_factory"] = uvloop.new_event_loop
    except ImportError:
        pass
    rss_mb = None
    with asyncio.Runner(**runner_kwargs) as runner:
        state, connect_s, runs = runner.run(
            _measure("127.0.0.1", port, token, clients, rounds)
        )
    if pid is not None:
        from bench.load import tree_rss_bytes

        rss_mb = tree_rss_bytes(pid) / 2**20
    failed = sum(state.failed.values())
    lost = sum(r["lost"] for r in runs)  # of the connected clients
    measured = [r for r in runs if r["p99_ms"] is not None]
    return {
        "clients": clients,
        "connected": state.connected,
        "connect_failures": dict(state.failed),
        "connect_s": connect_s,
        "lost": lost,
        "p50_ms": statistics.median(r["p50_ms"] for r in measured)
        if measured
        else None,
        "p99_ms": statistics.median(r["p99_ms"] for r in measured)
        if measured
        else None,
        "max_ms": max(r["max_ms"] for r in measured) if measured else None,
        "errors": lost + failed,  # a client that could not connect got nothing
        "error_kinds": {**({"lost": lost} if lost else {}), **state.failed},
        "rss_mb": rss_mb,
        "open_files_limit": limit,
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("port", type=int)
    parser.add_argument("token")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    result = run(args.port, args.token, args.clients, args.rounds)
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))


if __name__ == "__main__":
    main()
