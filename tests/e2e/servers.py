"""Real ASGI server processes on fresh databases, for the end-to-end tests.

A `FreshDatabase` is an installation of its own: a temporary var/ directory
with its SQLite file, or (when DATABASE_URL is set) a uniquely named PostgreSQL
database on the same server, migrated and bootstrapped like `make run` does.
A `Server` is one `manage.py serve` process serving it (uvicorn in one
process, what `make run` starts), or uvicorn with worker processes.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "e2e-admin-password"
START_TIMEOUT = 30.0


def postgres_reachable(url: str) -> bool:
    """Return True if the PostgreSQL server in `url` accepts a connection."""
    import psycopg

    try:
        psycopg.connect(_maintenance_url(url), connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


def _maintenance_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))


class FreshDatabase:
    """A database nobody else uses, bootstrapped with the default tenant and admin."""

    def __init__(self):
        self.var_dir = Path(tempfile.mkdtemp(prefix="scripthost-e2e-"))
        self.base_url = os.environ.get("DATABASE_URL", "")
        self.pg_name = None
        self.token = None

    def env(self, **overrides) -> dict:
        """Return the environment a process serving this database runs with."""
        env = {k: v for k, v in os.environ.items() if k != "SQLITE_PATH"}
        env.update(
            SCRIPTHOST_VAR_DIR=str(self.var_dir),
            SCRIPTHOST_ADMIN_PASSWORD=ADMIN_PASSWORD,
            PYTHONUNBUFFERED="1",
        )
        env.pop("SCRIPTHOST_ADMIN_USER", None)
        if self.pg_name:
            parts = urlsplit(self.base_url)
            env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{self.pg_name}"))
        env.update({k: str(v) for k, v in overrides.items()})
        return env

    def create(self) -> FreshDatabase:
        if self.base_url:
            base = urlsplit(self.base_url).path.strip("/") or "scripthost"
            self.pg_name = f"{base}_{uuid.uuid4().hex[:10]}"
            with self._admin_connection() as conn:
                conn.execute(f'CREATE DATABASE "{self.pg_name}"')
        self.manage("migrate", "--noinput")
        self.manage("bootstrap")
        # Prints "Generated token <key> for user admin".
        self.token = self.manage("drf_create_token", "admin").split()[2]
        return self

    def drop(self) -> None:
        if self.pg_name:
            with self._admin_connection() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
        shutil.rmtree(self.var_dir, ignore_errors=True)

    def manage(self, *args: str) -> str:
        """Run a manage.py command against this database; return its stdout."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} failed ({done.returncode}):\n"
                f"{done.stdout}\n{done.stderr}"
            )
        return done.stdout

    def _admin_connection(self):
        import psycopg

        return psycopg.connect(_maintenance_url(self.base_url), autocommit=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One ASGI server serving a FreshDatabase on a free local port.

    `manage.py serve` (as `make run`), or with `workers` > 0 uvicorn with that
    many worker processes.
    """

    def __init__(self, database: FreshDatabase, workers: int = 0, **settings_env):
        self.database = database
        self.workers = workers
        self.settings_env = settings_env
        self.process: subprocess.Popen | None = None
        self.port = None
        self.log_path = database.var_dir / f"server-{uuid.uuid4().hex[:8]}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Token {self.database.token}"}

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10.0, **kwargs)

    def start(self) -> Server:
        # The port can be taken between free_port() and the server's bind; retry.
        for _ in range(3):
            self.port = free_port()
            with self.log_path.open("ab") as log:
                self.process = self._spawn(log)
            if self._wait_until_healthy():
                return self
        raise RuntimeError(f"the server did not become healthy:\n{self.output()}")

    def command(self) -> list[str]:
        if self.workers:
            return [
                *(sys.executable, "-m", "uvicorn", "--host", "127.0.0.1"),
                *("--port", str(self.port), "--workers", str(self.workers)),
                "config.asgi:application",
            ]
        return [
            *(sys.executable, "manage.py", "serve", "--host", "127.0.0.1"),
            *("--port", str(self.port)),
        ]

    def _spawn(self, log) -> subprocess.Popen:
        return subprocess.Popen(
            self.command(),
            cwd=ROOT,
            env=self.database.env(**self.settings_env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def _wait_until_healthy(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                reply = httpx.get(f"{self.url}/health", timeout=2.0)
            except httpx.TransportError:
                reply = None
            if reply is not None and reply.status_code == 200:
                return True
            time.sleep(0.1)
        self.stop()
        return False

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send `sig`, wait for the process to exit and return its exit status."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise RuntimeError(
                f"the server ignored signal {sig} for {timeout} s:\n{self.output()}"
            ) from None

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except FileNotFoundError:
            return ""


def put_script(server: Server, name: str, source: str) -> httpx.Response:
    """Upload a script through PUT /system/scripts/<name> as the admin."""
    with server.client() as client:
        return client.put(
            f"/system/scripts/{name}",
            content=source.encode(),
            headers={**server.auth, "Content-Type": "application/javascript"},
        )


def poll(fetch, accept, within: float, every: float = 0.05):
    """Call fetch() until accept(result) holds or `within` seconds pass.

    Return (result, seconds waited); the last result when time ran out.
    """
    started = time.monotonic()
    while True:
        result = fetch()
        waited = time.monotonic() - started
        if accept(result) or waited >= within:
            return result, waited
        time.sleep(every)
