"""Serve the platform over HTTP and WebSocket in one process: what `make run` starts.

uvicorn, with uvloop and httptools (uvicorn[standard]), in one process: the
embedded stack's in-memory channel layer reaches the clients of one process
only. On the development machine it served `GET /hello` 1.3-1.7x as fast as
daphne in the same run (2,500-2,900 requests/s against 1,500-2,000), with
streams, /graphql/ws and the shutdown flush unchanged. The scaled stack runs
uvicorn with several workers instead (docs/operations.md).
"""

import signal
import sys

from django.core.management.base import BaseCommand


def _exit_cleanly(signum, frame):
    sys.exit(0)


class Command(BaseCommand):
    help = "Serve HTTP and WebSocket with uvicorn in one process (the embedded stack)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host, port, **options):
        import uvicorn

        # Once it has shut down (queued records written at lifespan shutdown),
        # uvicorn raises the SIGTERM that stopped it again, under the handler
        # it found: the default one would end the process "killed by SIGTERM"
        # after a clean stop. Exit 0 instead, as daphne did.
        signal.signal(signal.SIGTERM, _exit_cleanly)
        uvicorn.run(
            "config.asgi:application",
            host=host,
            port=port,
            # The queued records are written at lifespan shutdown: never off.
            lifespan="on",
            # As daphne served: no access log, and X-Forwarded-* headers are
            # left to Django (SECURE_PROXY_SSL_HEADER), not trusted by the server.
            access_log=False,
            proxy_headers=False,
        )
