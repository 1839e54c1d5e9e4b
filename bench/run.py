"""Run every scenario, print the table, write the JSON and the chart.

Usage: python -m bench.run [--quick] [--profile] [--only scheduler|store]
       (or `make bench`, `make bench QUICK=1`, `make bench PROFILE=1`)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import flood, hotkey, scenarios, scheduler, servers, sse
from bench.chart import draw
from bench.load import Wrk, exactly, settle
from bench.report import hello_rows, rows_from, scheduler_rows, store_rows, table

RESULTS = Path(__file__).parent / "results"
MODES = {
    "quick": {
        "seconds": 3,
        "warmup": 1,
        "rounds": 2,
        "cold_rounds": 3,
        "host_call_rounds": 5,
        "engine_seconds": 3,
        "many_seconds": 5,
        "profile_seconds": 5,
        "sse_rounds": 1,
        "flood_rounds": 3,
        "hotkey_rounds": 1,
    },
    "full": {
        "seconds": 10,
        "warmup": 3,
        "rounds": 3,
        "cold_rounds": 10,
        "host_call_rounds": 15,
        "engine_seconds": 10,
        "many_seconds": 20,
        "profile_seconds": 10,
        "sse_rounds": 3,
        "flood_rounds": 5,
        "hotkey_rounds": 3,
    },
}
SCRIPTS = 1000
POOL_SIZE = 256  # the default SCRIPT_VM_POOL_SIZE
LARGER_POOL = 400  # row 7b
SSE_CLIENTS = 1000  # row 8
HOST_CALLS = 2000  # row 9: host calls in one request
FLOOD_CONNECTIONS = 300  # row 10
HOT_INCREMENTS, HOT_CONCURRENCY = 500, 50  # row 11
HELLO = exactly("Hello, world!")  # every hello answer's body
OK = exactly("ok")  # every storage answer's body


def _on(name: str) -> bool:
    return os.environ.get(name) not in (None, "", "0")


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        int(line.split()[1]) * 1024
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    node = subprocess.run(["node", "--version"], capture_output=True, text=True)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory / 2**30, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "node": node.stdout.strip(),
    }


def commit() -> dict:
    def git(*args):
        done = subprocess.run(
            ["git", *args], cwd=servers.ROOT, capture_output=True, text=True
        )
        return done.stdout.strip()

    return {
        "hash": git("rev-parse", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def hotkey_scaled(cfg: dict, cores: int, var_dir: Path, running: list):
    """Row 11 on the scaled stack (PostgreSQL, Redis), when one is at hand."""
    urls = servers.scaled_urls()
    if urls is None:
        print("hot key, scaled stack: no PostgreSQL configured or local; skipped")
        return None
    database = servers.ScaledDatabase(*urls)
    env = database.env(var_dir / "scaled", POOL_SIZE)
    (var_dir / "scaled").mkdir(exist_ok=True)
    print(
        f"hot key: {HOT_INCREMENTS} increments of one key, {HOT_CONCURRENCY} at a "
        f"time (scaled stack: PostgreSQL{', Redis' if urls[1] else ''}, "
        f"{cores} workers)",
        flush=True,
    )
    try:
        token = database.create(env)
        app = servers.uvicorn(
            "app-scaled", "bench.bench_asgi:application", env, cores, "/health"
        )
        running.append(app)
        app.wait_ready()
        settle([app.pid])
        return hotkey.run(
            app.port,
            token,
            HOT_INCREMENTS,
            HOT_CONCURRENCY,
            cfg["hotkey_rounds"],
            stack="scaled" if urls[1] else "postgresql",
        )
    finally:
        for server in [s for s in running if s.name == "app-scaled"]:
            server.stop()
            running.remove(server)
        database.drop()


def only_store(cfg: dict) -> None:
    """Row 13 alone, on a fresh app (nothing written to results/)."""
    var_dir = Path(tempfile.mkdtemp(prefix="bench-var-"))
    env = servers.server_env(var_dir, POOL_SIZE)
    token = servers.prepare(env)
    app = servers.uvicorn(
        "app", "bench.bench_asgi:application", env, os.cpu_count() or 1, "/health"
    )
    try:
        app.wait_ready()
        settle([app.pid])
        found = scenarios.store_triggers(app.port, app.pid, token, cfg)
    finally:
        app.stop()
    shutil.rmtree(var_dir, ignore_errors=True)
    print()
    print(json.dumps(found, indent=1))
    print(table(store_rows(found)))


def hello_servers(env: dict, cores: int) -> list:
    """The app, the bare ASGI reference and Node, started and ready."""
    started = []
    try:
        started.append(
            servers.uvicorn(
                "app", "bench.bench_asgi:application", env, cores, "/health"
            )
        )
        started.append(
            servers.uvicorn("bare", "bench.bare_asgi:app", env, cores, "/hello")
        )
        started.append(servers.node(env, cores))
        for server in started:
            server.wait_ready()
    except BaseException:
        for server in started:
            server.stop()
        raise
    return started


def hello_targets(app, bare, node) -> dict:
    """Rows 1-3's four sides, as scenarios.alternate takes them."""
    return {
        "js": (app.url("/hello"), app.pid, {"expect": HELLO}),
        "django_view": (app.url("/ref/hello"), app.pid, {"expect": HELLO}),
        "bare_asgi": (bare.url("/hello"), bare.pid, {"expect": HELLO}),
        "node": (node.url("/hello"), node.pid, {"expect": HELLO}),
    }


def only_hello(cfg: dict) -> None:
    """Rows 1-3 alone, on a fresh app (nothing written to results/)."""
    cores = os.cpu_count() or 1
    var_dir = Path(tempfile.mkdtemp(prefix="bench-var-"))
    env = servers.server_env(var_dir, POOL_SIZE)
    servers.prepare(env)
    running = hello_servers(env, cores)
    try:
        found = scenarios.alternate(
            Wrk(threads=cores),
            hello_targets(*running),
            connections=64,
            rounds=cfg["rounds"],
            seconds=cfg["seconds"],
            warmup=cfg["warmup"],
        )
    finally:
        for server in running:
            server.stop()
    shutil.rmtree(var_dir, ignore_errors=True)
    print()
    print(table(hello_rows(found)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="or QUICK=1")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="or PROFILE=1: also profile the hello JS route with py-spy and the "
        "engine alone with pyinstrument (extra runs, not counted)",
    )
    parser.add_argument(
        "--only",
        choices=["hello", "scheduler", "store"],
        help="run some rows alone: hello (rows 1-3, on a fresh app), scheduler "
        "(row 12, scaled stack) or store (row 13, on a fresh app)",
    )
    args = parser.parse_args()
    if args.only == "scheduler":
        result = scheduler.run()
        if result is None:
            raise SystemExit(1)
        print()
        print(table(scheduler_rows(result)))
        return
    if args.only == "hello":
        only_hello(MODES["quick" if args.quick or _on("QUICK") else "full"])
        return
    if args.only == "store":
        only_store(MODES["quick" if args.quick or _on("QUICK") else "full"])
        return
    mode = "quick" if args.quick or _on("QUICK") else "full"
    profile = args.profile or _on("PROFILE")
    cfg = MODES[mode]
    cores = os.cpu_count() or 1
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{stamp}-{mode}.json"
    profiles = {}
    wrk = Wrk(threads=cores)
    var_dir = Path(tempfile.mkdtemp(prefix="bench-var-"))
    env = servers.server_env(var_dir, POOL_SIZE)
    print(f"bench ({mode}): fresh installation in {var_dir}", flush=True)
    token = servers.prepare(env)
    running = []
    try:
        running = hello_servers(env, cores)
        app, bare, node = running
        common = {
            "rounds": cfg["rounds"],
            "seconds": cfg["seconds"],
            "warmup": cfg["warmup"],
        }
        results = {}
        print("hello: JS route, Django view, bare ASGI + mini-racer, Node", flush=True)
        results["hello"] = scenarios.alternate(
            wrk,
            hello_targets(app, bare, node),
            connections=64,
            **common,
        )
        if profile:
            seconds = cfg["profile_seconds"]
            print(f"profile: py-spy on the app's workers, {seconds} s", flush=True)
            profiles["hello_js"] = scenarios.profile_server(
                wrk,
                app.url("/hello"),
                app.pid,
                {"expect": HELLO},
                connections=64,
                seconds=seconds,
                stem=out.with_name(f"{out.stem}-profile-hello-js"),
            )
        print("storage: one read + one write, JS vs ORM view", flush=True)
        keys = {"count": 1000, "expect": OK}
        results["storage"] = scenarios.alternate(
            wrk,
            {
                "js": (
                    app.url("/"),
                    app.pid,
                    {"path_format": "/bench/storage?k=%d", **keys},
                ),
                "django_orm": (
                    app.url("/"),
                    app.pid,
                    {"path_format": "/ref/storage?k=%d", **keys},
                ),
            },
            connections=64,
            **common,
        )
        print(
            "store: POST one entity, with one pre-processing trigger vs none",
            flush=True,
        )
        settle([app.pid])
        results["store_trigger"] = scenarios.store_triggers(
            app.port, app.pid, token, cfg
        )
        print("host calls: N cached sharedStorage reads in one request", flush=True)
        results["host_calls"] = scenarios.host_calls(
            app.port, HOST_CALLS, cfg["host_call_rounds"]
        )
        print(
            f"hot key: {HOT_INCREMENTS} increments of one key, "
            f"{HOT_CONCURRENCY} at a time (embedded stack)",
            flush=True,
        )
        settle([app.pid])
        results["hotkey"] = hotkey.run(
            app.port, token, HOT_INCREMENTS, HOT_CONCURRENCY, cfg["hotkey_rounds"]
        )
        print("cold: first request after an upload vs warm", flush=True)
        results["cold"] = scenarios.cold_vs_warm(app.port, token, cfg["cold_rounds"])
        print("engine alone, one process", flush=True)
        results["engine"] = scenarios.engine_alone(
            cfg["engine_seconds"], env, [s.pid for s in running]
        )
        if profile:
            print("profile: the engine alone under pyinstrument", flush=True)
            profiles["engine"] = scenarios.profile_engine(
                cfg["engine_seconds"],
                env,
                out.with_name(f"{out.stem}-profile-engine"),
            )
        print(f"many scripts: seeding {SCRIPTS} ...", flush=True)
        seeded = scenarios.seed_scripts(SCRIPTS, env)
        print(f"  {seeded}", flush=True)
        results["many"] = scenarios.many_scripts(
            wrk, app.port, app.pid, SCRIPTS, cfg["many_seconds"], cfg["warmup"]
        )
        results["many"]["seeding"] = seeded
        # The same with the pool that the 1.5 GB budget allows (2 workers x
        # (about 180 MB + 400 x 1.2 MB)): what a larger pool buys.
        print(f"many scripts, pool {LARGER_POOL}", flush=True)
        app.stop()
        running.remove(app)
        larger = servers.uvicorn(
            "app-larger-pool",
            "bench.bench_asgi:application",
            {**env, "SCRIPT_VM_POOL_SIZE": str(LARGER_POOL)},
            cores,
            "/health",
        )
        running.append(larger)
        larger.wait_ready()
        results["many_larger_pool"] = scenarios.many_scripts(
            wrk, larger.port, larger.pid, SCRIPTS, cfg["many_seconds"], cfg["warmup"]
        )
        results["many_larger_pool"]["pool"] = LARGER_POOL
        # Rows 8 and 10: one process, as the embedded default runs (row 8: the
        # in-memory channel layer reaches the clients of its own process only;
        # row 10: the cap is counted per process), so a fresh one-worker app.
        sse.raise_open_files(SSE_CLIENTS + 256)  # the server inherits it too
        larger.stop()
        running.remove(larger)
        single = servers.uvicorn(
            "app-one-worker", "bench.bench_asgi:application", env, 1, "/health"
        )
        running.append(single)
        single.wait_ready()
        # Row 10 first: what 1,000 streams leave behind (more for the garbage
        # collector to walk) is not its to pay for.
        print(
            f"flood: {FLOOD_CONNECTIONS} concurrent slow calls to one tenant",
            flush=True,
        )
        settle([single.pid])
        results["flood"] = flood.run(
            single.port, token, FLOOD_CONNECTIONS, cfg["flood_rounds"], single.pid
        )
        print(f"SSE: {SSE_CLIENTS:,} clients on one server, one broadcast", flush=True)
        settle([single.pid])
        results["sse"] = sse.run(
            single.port, token, SSE_CLIENTS, cfg["sse_rounds"], single.pid
        )
        single.stop()
        running.remove(single)
        scaled = hotkey_scaled(cfg, cores, var_dir, running)
        if scaled is not None:
            results["hotkey_scaled"] = scaled
        scheduled = scheduler.run(var_dir=var_dir)
        if scheduled is not None:
            results["scheduler"] = scheduled
    finally:
        for server in running:
            server.stop()
        wrk.close()
    rows = rows_from(results)
    record = {
        "when": stamp,
        "mode": mode,
        "commit": commit(),
        "machine": machine(),
        "settings": {
            **cfg,
            "server": f"uvicorn --workers {cores}",
            "debug": False,
            "database": "sqlite (fresh temp var dir)",
            "SCRIPT_VM_POOL_SIZE": POOL_SIZE,
            "scripts": SCRIPTS,
            "load": f"wrk -t{cores}, loopback",
            "connections": 64,
            "many_connections": 16,
            "sse_clients": SSE_CLIENTS,
            "sse_server": "uvicorn --workers 1",
            "flood_connections": FLOOD_CONNECTIONS,
            "flood_server": "uvicorn --workers 1 (then the SSE row's)",
            "hotkey": f"{HOT_INCREMENTS} increments @{HOT_CONCURRENCY}, one key",
            "hotkey_scaled": "PostgreSQL and Redis (DATABASE_URL, REDIS_URL, or "
            "local default ports), fresh database, uvicorn --workers "
            f"{cores}",
            "scheduler": f"{scheduler.JOBS} one-off jobs of {scheduler.SCRIPTS} "
            f"scripts due at once, {scheduler.WORKERS} celery workers (solo pool), "
            "one beat, PostgreSQL and Redis",
            "profile": profile,
        },
        "rows": rows,
        "results": results,
        **({"profiles": profiles} if profile else {}),
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    out.write_text(json.dumps(record, indent=2) + "\n")
    print()
    print(table(rows))
    print(f"\nresults: {out.relative_to(servers.ROOT)} ({record['elapsed_s']} s)")
    print(draw(record, out.with_suffix(".png")))
    for name, made in profiles.items():
        if "skipped" in made:
            print(f"profile {name}: skipped ({made['skipped']})")
            continue
        for what in ("summary", "text", "speedscope"):
            if what in made:
                print(f"profile {name}: {made[what]}")
    shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
