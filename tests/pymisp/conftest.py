"""Session fixtures for the PyMISP end-to-end tests.

The session starts one Cydef server (the binary from ``CYDEF_BIN``, default
``<repo>/target/debug/cydef``) on a free local port with a temporary data
directory and a known site-admin API key, and stops it at the end.

Backend, from ``CYDEF_TEST_BACKEND``:

* ``sqlite`` (default): the database file lives in the temporary data directory.
* ``postgres``: a fresh database is created on the server given by
  ``CYDEF_TEST_PG_URL`` (default ``postgres://postgres@127.0.0.1:5432/postgres``)
  with ``psql``, and dropped (``WITH (FORCE)``) at the end of the session.

Shared reference data is found through ``CYDEF_SHARED_DATA`` (default
``<repo>/../shared/data``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Iterator

import pytest
import requests
import urllib3

from pymisp import PyMISP

# The tests talk plain HTTP to localhost; PyMISP is built with ssl=False.
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

REPO = Path(__file__).resolve().parents[2]
ADMIN_KEY = "CydefPyMispE2eAdminKey0123456789abcdefgh"
ADMIN_EMAIL = "admin@admin.test"
READY_TIMEOUT = 30.0
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/postgres"

assert len(ADMIN_KEY) == 40 and ADMIN_KEY.isalnum() and ADMIN_KEY.isascii()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_binary() -> Path:
    path = Path(os.environ.get("CYDEF_BIN") or REPO / "target" / "debug" / "cydef")
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.exit(
            f"Cydef server binary not found or not executable: {path}\n"
            "Build it with `cargo build -p cydef` or point CYDEF_BIN at it.",
            returncode=2,
        )
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared reference data directory (``CYDEF_SHARED_DATA``)."""
    path = Path(os.environ.get("CYDEF_SHARED_DATA") or REPO.parent / "shared" / "data")
    if not path.is_dir():
        pytest.fail(
            f"shared data directory not found: {path} (set CYDEF_SHARED_DATA)",
            pytrace=False,
        )
    return path


class _Postgres:
    """A throw-away database on the PostgreSQL server of ``CYDEF_TEST_PG_URL``."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"cydef_pymisp_{uuid.uuid4().hex[:12]}"
        if shutil.which("psql") is None:
            pytest.exit("CYDEF_TEST_BACKEND=postgres needs `psql` on PATH", returncode=2)

    def _psql(self, sql: str) -> None:
        proc = subprocess.run(
            ["psql", self.admin_url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"psql failed ({sql}): {proc.stderr.strip()}")

    @property
    def url(self) -> str:
        parts = urllib.parse.urlsplit(self.admin_url)
        return urllib.parse.urlunsplit(parts._replace(path=f"/{self.name}"))

    def create(self) -> None:
        try:
            self._psql(f'CREATE DATABASE "{self.name}"')
        except RuntimeError as e:
            pytest.exit(f"cannot create the test database on {self.admin_url}: {e}", returncode=2)

    def drop(self) -> None:
        self._psql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class CydefServer:
    def __init__(self, binary: Path, backend: str) -> None:
        self.binary = binary
        self.backend = backend
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.data_dir = Path(tempfile.mkdtemp(prefix="cydef-pymisp-"))
        self.log_path = self.data_dir / "server.log"
        self.pg: _Postgres | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server output)"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("CYDEF_")}
        env.update(
            CYDEF_LISTEN=f"127.0.0.1:{self.port}",
            CYDEF_DATA_DIR=str(self.data_dir / "data"),
            CYDEF_ADMIN_KEY=ADMIN_KEY,
            CYDEF_ADMIN_EMAIL=ADMIN_EMAIL,
            CYDEF_BASEURL=self.base_url,
            RUST_LOG=os.environ.get("RUST_LOG", "info"),
            NO_COLOR="1",
        )
        # The MISP knowledge bases: object templates are loaded at start.
        kb_dir = Path(os.environ.get("CYDEF_SHARED_DATA") or REPO.parent / "shared" / "data") / "kb"
        if not (kb_dir / "objects").is_dir():
            self.stop()
            pytest.exit(f"knowledge base not found: {kb_dir} (set CYDEF_SHARED_DATA)", returncode=2)
        env["CYDEF_KB_DIR"] = str(kb_dir)
        if self.backend == "postgres":
            pg = _Postgres(os.environ.get("CYDEF_TEST_PG_URL") or DEFAULT_PG_URL)
            try:
                pg.create()
            except BaseException:
                self.stop()
                raise
            self.pg = pg
            env["DATABASE_URL"] = pg.url
        elif self.backend != "sqlite":
            self.stop()
            pytest.exit(f"CYDEF_TEST_BACKEND must be sqlite or postgres, not {self.backend!r}", returncode=2)
        (self.data_dir / "data").mkdir()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [str(self.binary), "serve"],
                cwd=self.data_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        last = "no answer"
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                output = self.log()
                self.stop()
                pytest.exit(
                    f"Cydef exited with status {self.proc.returncode} before it was ready.\n"
                    f"--- server output ---\n{output}",
                    returncode=3,
                )
            try:
                r = requests.get(f"{self.base_url}/health/ready", timeout=2)
                if r.status_code == 200 and r.json().get("status") == "ok":
                    return
                last = f"HTTP {r.status_code}: {r.text[:200]}"
            except requests.RequestException as e:
                last = str(e)
            time.sleep(0.1)
        output = self.log()
        self.stop()
        pytest.exit(
            f"Cydef was not ready within {READY_TIMEOUT:.0f} s ({last}).\n"
            f"--- server output ---\n{output}",
            returncode=3,
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.pg is not None:
            try:
                self.pg.drop()
            except RuntimeError as e:
                print(f"warning: {e}")
            self.pg = None
        shutil.rmtree(self.data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def cydef_server() -> Iterator[CydefServer]:
    server = CydefServer(_server_binary(), os.environ.get("CYDEF_TEST_BACKEND", "sqlite").lower())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def base_url(cydef_server: CydefServer) -> str:
    return cydef_server.base_url


@pytest.fixture(scope="session")
def admin_key() -> str:
    return ADMIN_KEY


@pytest.fixture(scope="session")
def admin(base_url: str) -> PyMISP:
    """PyMISP connected as the site admin."""
    return PyMISP(base_url, ADMIN_KEY, ssl=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """On a failure, attach the tail of the server's output to the report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and "cydef_server" in getattr(item, "fixturenames", ()):
        server = item.funcargs.get("cydef_server") if hasattr(item, "funcargs") else None
        if isinstance(server, CydefServer):
            tail = "\n".join(server.log().splitlines()[-60:])
            report.sections.append(("cydef server output (last 60 lines)", tail))
