"""The real parts the end-to-end scenarios drive: the dockgate binary, a private dockerd, the docker CLIs.

Every dockerd here runs on its own data root, exec root and sockets under a temporary directory, with
vfs storage and no iptables or bridge, and listens on loopback only.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOCKGATE = os.environ.get("DOCKGATE_BIN") or str(Path(__file__).resolve().parents[2] / "build" / "dockgate")


def dockgate(*args, check=True, **kwargs):
    """Runs the dockgate binary; returns the CompletedProcess (text mode)."""
    proc = subprocess.run([DOCKGATE, *map(str, args)], capture_output=True, text=True, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(f"dockgate {' '.join(map(str, args))} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def docker_clis():
    """The docker CLIs on this machine: the one first on PATH (28.x here) and Debian's 20.10, if different."""
    found = []
    for candidate in (shutil.which("docker"), "/usr/bin/docker"):
        if candidate and os.access(candidate, os.X_OK) and os.path.realpath(candidate) not in map(os.path.realpath, found):
            found.append(candidate)
    return found


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client_env(host, cert_path, config_dir):
    """The environment the seed tutorials tell a docker client to use, and nothing else of the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env.update(DOCKER_HOST=host, DOCKER_TLS_VERIFY="1", DOCKER_CERT_PATH=str(cert_path), DOCKER_CONFIG=str(config_dir))
    return env


def run_docker(cli, args, env, timeout=60):
    return subprocess.run([cli, *args], capture_output=True, text=True, env=env, timeout=timeout)


class Dockerd:
    """A private dockerd from Debian's docker.io, started with `args` (its -H and TLS flags)."""

    def __init__(self, args):
        # Short on purpose: containerd's sockets live under the exec root, and unix socket paths are
        # limited to 108 bytes.
        self.dir = Path(tempfile.mkdtemp(prefix="dg-engine-"))
        self.args = list(map(str, args))
        self.log_path = self.dir / "dockerd.log"
        self.proc = None

    def start(self, wait_for_port=None, timeout=60):
        cmd = [
            "dockerd",
            f"--data-root={self.dir / 'data'}",
            f"--exec-root={self.dir / 'exec'}",
            f"--pidfile={self.dir / 'dockerd.pid'}",
            "--storage-driver=vfs",
            "--iptables=false",
            "--bridge=none",
            *self.args,
        ]
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"dockerd exited with {self.proc.returncode}:\n{self.log_text()}")
            if "API listen on" in self.log_text() and (wait_for_port is None or _port_open(wait_for_port)):
                return self
            time.sleep(0.1)
        raise AssertionError(f"dockerd did not come up in {timeout}s:\n{self.log_text()}")

    def log_text(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
