"""Prepare a fresh installation and start the servers under test."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = (
    str(ROOT / ".venv" / "bin" / "python")
    if (ROOT / ".venv").exists()
    else sys.executable
)
ADMIN_PASSWORD = "bench-admin-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(var_dir: Path, pool_size: int) -> dict:
    """The environment of a production-shaped server on a fresh SQLite var dir."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        SCRIPTHOST_VAR_DIR=str(var_dir),
        SCRIPTHOST_ADMIN_PASSWORD=ADMIN_PASSWORD,
        SCRIPT_VM_POOL_SIZE=str(pool_size),
        DEBUG="0",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def prepare(env: dict) -> str:
    """Migrate, bootstrap, upload the bench scripts; return the admin's token."""
    manage(env, "migrate", "--noinput")
    manage(env, "bootstrap")
    for name in ("hello", "storage", "hostcalls"):
        manage(
            env,
            "upload_script",
            str(ROOT / "bench" / "scripts" / f"{name}.js"),
            "--id",
            f"bench-{name}" if name != "hello" else "hello",
        )
    said = manage(env, "drf_create_token", "admin")  # "Generated token KEY for user"
    return re.search(r"\b[0-9a-f]{40}\b", said).group(0)


class Server:
    """One server process group, started in its own session and stopped with it."""

    def __init__(self, name: str, command: list[str], env: dict, port: int, probe: str):
        self.name, self.port, self.probe = name, port, probe
        # Open for the server's whole life; stop() closes it.
        self.log = open(  # noqa: SIM115
            Path(env.get("SCRIPTHOST_VAR_DIR", "/tmp")) / f"{name}.log", "w"
        )
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.url(self.probe), timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def uvicorn(name: str, app: str, env: dict, workers: int, probe: str) -> Server:
    port = free_port()
    command = [
        PY,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return Server(name, command, env, port, probe)


def node(env: dict, workers: int) -> Server:
    port = free_port()
    command = ["node", str(ROOT / "bench" / "node_hello.js"), str(port), str(workers)]
    return Server("node", command, env, port, "/hello")


def _reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        return False
    return True


def scaled_urls() -> tuple[str, str] | None:
    """(DATABASE_URL, REDIS_URL) of a scaled stack to measure on, or None.

    From the environment; else PostgreSQL (and Redis) when they answer on
    their default local ports. REDIS_URL is "" when no Redis answers.
    """
    database = os.environ.get("DATABASE_URL", "")
    redis = os.environ.get("REDIS_URL", "")
    if not database and _reachable("127.0.0.1", 5432):
        database = "postgres://postgres@127.0.0.1:5432/scripthost"
    if not database:
        return None
    if not redis and _reachable("127.0.0.1", 6379):
        redis = "redis://127.0.0.1:6379/0"
    return database, redis


class ScaledDatabase:
    """A fresh PostgreSQL database beside DATABASE_URL's, dropped by drop()."""

    def __init__(self, database_url: str, redis_url: str):
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(database_url)
        base = parts.path.strip("/") or "scripthost"
        self.name = f"{base}_bench_{os.urandom(5).hex()}"
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
        self.admin_url = urlunsplit(
            parts._replace(scheme="postgresql", path="/postgres")
        )
        self.redis_url = redis_url

    def _admin(self):
        import psycopg

        return psycopg.connect(self.admin_url, autocommit=True)

    def env(self, var_dir: Path, pool_size: int) -> dict:
        env = {**server_env(var_dir, pool_size), "DATABASE_URL": self.url}
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return env

    def create(self, env: dict) -> str:
        """Create, migrate and bootstrap it; return the admin's token."""
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        manage(env, "migrate", "--noinput")
        manage(env, "bootstrap")
        said = manage(env, "drf_create_token", "admin")
        return re.search(r"\b[0-9a-f]{40}\b", said).group(0)

    def drop(self) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
