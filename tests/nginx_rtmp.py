"""A real RTMP ingest for tests: Debian's nginx with libnginx-mod-rtmp, on a loopback port.

Everything nginx writes (pid file, logs, recordings) stays under the test's tmp_path. nginx
runs in the foreground as a single process (`daemon off; master_process off;`), so killing that
one process takes the server away at once, like a crash, and `start()` brings it back on the
same port. The application `live` records every published stream to `record_dir` as
`<stream key>-<unix time>.flv`; a recording is readable while it grows and after nginx dies.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

RTMP_MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")   # Debian libnginx-mod-rtmp

CONF = """\
load_module {module};
daemon off;
master_process off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log info;
events {{ worker_connections 64; }}
rtmp {{
    server {{
        listen 127.0.0.1:{port};
        chunk_size 4096;
        application live {{
            live on;
            record all;
            record_path {records};
            record_unique on;
        }}
    }}
}}
"""


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


class NginxRtmp:
    """One nginx-rtmp server under `root`; start(), stop(), start() again on the same port."""

    def __init__(self, root: Path, binary: str):
        self.root = Path(root)
        self.binary = binary
        self.port = free_port()
        self.record_dir = self.root / "records"
        self.record_dir.mkdir(parents=True, exist_ok=True)
        self.conf = self.root / "nginx.conf"
        self.conf.write_text(CONF.format(module=RTMP_MODULE, root=self.root, port=self.port,
                                         records=self.record_dir))
        self.process: subprocess.Popen | None = None

    def url(self, key: str) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live/{key}"

    def recordings(self, key: str) -> list[Path]:
        """This key's recordings, oldest first."""
        return sorted(self.record_dir.glob(f"{key}-*.flv"), key=lambda p: p.stat().st_mtime_ns)

    def start(self, timeout: float = 10.0) -> None:
        assert self.process is None, "nginx is already running"
        # -e: the error log before the config is read (else /var/log/nginx, maybe not writable)
        self.process = subprocess.Popen(
            [self.binary, "-c", str(self.conf), "-p", str(self.root), "-e",
             str(self.root / "error.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                self.process = None
                raise RuntimeError(f"nginx exited at start: {err.strip()} {self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not listen on 127.0.0.1:{self.port} in {timeout} s")

    def stop(self, *, crash: bool = True) -> None:
        """Take the server away: SIGKILL (a crash, connections reset) or SIGQUIT (graceful)."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGKILL if crash else signal.SIGQUIT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def log_tail(self, lines: int = 20) -> str:
        log = self.root / "error.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


@pytest.fixture
def nginx_rtmp(tmp_path):
    """A running nginx-rtmp on a free loopback port; skipped where nginx-rtmp is not installed."""
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx libnginx-mod-rtmp)")
    if not RTMP_MODULE.exists():
        pytest.skip(f"{RTMP_MODULE} is missing (Debian: apt-get install libnginx-mod-rtmp)")
    server = NginxRtmp(tmp_path / "nginx", binary)
    server.start()
    try:
        yield server
    finally:
        server.stop()
