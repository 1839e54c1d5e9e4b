"""The app in one process without HTTP: CPU per request of a GET, for profiling.

Usage: python -m bench.inproc VAR_DIR [PATH] [REQUESTS] [CONCURRENCY] [--profile]

Drives `bench.bench_asgi.application` (the app as `make bench` serves it)
directly with ASGI messages, CONCURRENCY requests at a time, on uvloop when
installed, against an installation in VAR_DIR made beforehand (`manage.py
migrate`, `bootstrap` and `upload_script bench/scripts/hello.js --id hello`
with SCRIPTHOST_VAR_DIR=VAR_DIR). Prints requests/s and the process's CPU
per request (V8's threads included); with --profile, also pyinstrument's
call tree of the main thread (bench extra). No server, socket or client
shares the CPU, so two versions of the code compare in a few seconds, and
what separates row 2 from the bare ASGI reference shows in the profile.
"""

import asyncio
import os
import sys
import time


def _scope(path: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 5555),
        "server": ("127.0.0.1", 8000),
    }


async def _measure(application, path: str, requests: int, concurrency: int) -> dict:
    scope = _scope(path)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def one():
        sent = []

        async def send(message):
            sent.append(message)

        await application(dict(scope), receive, send)
        if sent[0]["status"] != 200:
            raise RuntimeError(f"{path} answered {sent[0]['status']}: {sent}")

    for _ in range(200):  # warm-up: contexts built, caches filled
        await one()

    async def worker(count: int):
        for _ in range(count):
            await one()

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker(requests // concurrency) for _ in range(concurrency)))
    done = requests // concurrency * concurrency
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "requests": done,
        "per_second": round(done / wall),
        "cpu_us_per_request": round(cpu / done * 1e6, 1),
    }


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--profile"]
    if not args:
        raise SystemExit(__doc__)
    var_dir, path = args[0], args[1] if len(args) > 1 else "/hello"
    requests = int(args[2]) if len(args) > 2 else 8000
    concurrency = int(args[3]) if len(args) > 3 else 16
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        SCRIPTHOST_VAR_DIR=var_dir,
        DEBUG="0",
        LOG_LEVEL="WARNING",
    )
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    from bench.bench_asgi import application

    def run():
        return asyncio.run(_measure(application, path, requests, concurrency))

    if "--profile" not in sys.argv:
        print(run())
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0002, async_mode="disabled")
    profiler.start()
    result = run()
    profiler.stop()
    print(result)
    print(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    main()
