"""A scaled-out Prefect installation on this machine, as docs/orchestration.md describes it for several:
PostgreSQL for Prefect and for dutyflow, Redis (a database number of its own) for Prefect's messaging, two
API replicas started with ``--no-services``, one background-services process, process workers.

Every process runs in its own process group so a test can kill one like a lost machine (SIGKILL, no
clean-up) and the fixture can stop the rest.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from roster.supervise import free_port

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("DUTYFLOW_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_DB = int(os.environ.get("DUTYFLOW_SCALE_REDIS_DB", "11"))  # its own database number on the shared Redis
POOL = "dutyflow-process"


@dataclass
class Cluster:
    home: Path
    prefect_db: str = field(default_factory=lambda: f"prefect_scale_{uuid.uuid4().hex[:8]}")
    dutyflow_db: str = field(default_factory=lambda: f"dutyflow_scale_{uuid.uuid4().hex[:8]}")
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    apis: dict[str, str] = field(default_factory=dict)

    @property
    def dutyflow_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.dutyflow_db}"

    def env(self, api: str | None = None, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(
            PREFECT_HOME=str(self.home / "prefect"),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_CLI_PROMPT="false",
            PREFECT_UI_ENABLED="false",
            PREFECT_SERVER_DATABASE_CONNECTION_URL=f"postgresql+asyncpg://postgres@127.0.0.1:5432/{self.prefect_db}",
            PREFECT_MESSAGING_BROKER="prefect_redis.messaging",
            PREFECT_MESSAGING_CACHE="prefect_redis.messaging",
            PREFECT_SERVER_EVENTS_CAUSAL_ORDERING="prefect_redis.ordering",
            PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE="prefect_redis.lease_storage",
            PREFECT_REDIS_MESSAGING_HOST="127.0.0.1",
            PREFECT_REDIS_MESSAGING_PORT="6379",
            PREFECT_REDIS_MESSAGING_DB=str(REDIS_DB),
            PREFECT_SERVER_DOCKET_URL=f"redis://127.0.0.1:6379/{REDIS_DB}",
            PREFECT_FLOWS_HEARTBEAT_FREQUENCY="30",
            DUTYFLOW_DATABASE_URL=self.dutyflow_url,
            DUTYFLOW_HOME=str(self.home / "dutyflow"),
            PYTHONPATH=str(ROOT),
        )
        if api:
            env["PREFECT_API_URL"] = self.apis[api]
        env.update(extra)
        return env

    # -- life cycle ------------------------------------------------------------------------------------
    def start(self) -> None:
        import redis

        redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in (self.prefect_db, self.dutyflow_db):
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        # Migrate once, before any replica starts: two replicas migrating at once would race.
        self.prefect(["server", "database", "upgrade", "-y"])
        # One replica at a time: at start-up each registers block types and defaults, and two doing so at
        # once race on the same rows (a unique violation fails the start of one of them).
        for name in ("api-a", "api-b"):
            port = free_port()
            self.apis[name] = f"http://127.0.0.1:{port}/api"
            argv = ["-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-services"]
            self.spawn(name, [*argv, "--no-ui"], self.env())
            self.wait_healthy(name)
        self.spawn("services", ["-m", "prefect", "server", "services", "start"], self.env())

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            self.kill(name, signal.SIGTERM)
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in (self.prefect_db, self.dutyflow_db):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = (self.home / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, *argv], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes[name] = process
        return process

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes[name]
        if process.poll() is None:
            try:
                os.killpg(process.pid, sig)
                process.wait(30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)

    def log(self, name: str) -> str:
        return (self.home / f"{name}.log").read_text(errors="replace")[-4000:]

    def prefect(self, args: list[str], api: str | None = None, **extra: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "prefect", *args],
            env=self.env(api, **extra),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"prefect {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def dutyflow(self, args: list[str], api: str | None = None) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "roster.cli", *args],
            env=self.env(api),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"dutyflow {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def wait_healthy(self, name: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.processes[name].poll() is None, f"{name} exited:\n{self.log(name)}"
            try:
                if httpx.get(f"{self.apis[name]}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"{name} not healthy within {timeout} s:\n{self.log(name)}")

    def start_worker(self, name: str, api: str, **extra: str) -> subprocess.Popen:
        argv = ["-m", "prefect", "worker", "start", "--pool", POOL, "--name", name, "--prefetch-seconds", "5"]
        return self.spawn(name, argv, self.env(api, **extra))
