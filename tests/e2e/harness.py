"""The real parts the end-to-end scenarios drive: the dockgate binary, a private dockerd, the docker CLIs.

Every dockerd here runs on its own data root, exec root and sockets under a temporary directory, with
vfs storage and no iptables or bridge, and listens on loopback only.
"""
import json
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

    def __init__(self, args, wrapper=()):
        # Short on purpose: containerd's sockets live under the exec root, and unix socket paths are
        # limited to 108 bytes.
        self.dir = Path(tempfile.mkdtemp(prefix="dg-engine-"))
        self.args = list(map(str, args))
        self.wrapper = list(map(str, wrapper))  # e.g. systemd-socket-activate and its flags
        self.log_path = self.dir / "dockerd.log"
        self.proc = None

    def start(self, wait_for_port=None, timeout=60, wait=True):
        cmd = [
            *self.wrapper,
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
        if not wait:
            return self
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


def import_busybox(engine_host, tag="busybox:latest"):
    """Builds a busybox image from Debian's busybox-static with `docker import` (no registry is reachable)."""
    root = Path(tempfile.mkdtemp(prefix="dg-busybox-"))
    try:
        (root / "bin").mkdir()
        shutil.copy("/bin/busybox", root / "bin" / "busybox")
        applets = subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True, check=True).stdout.split()
        for applet in applets:
            if applet != "busybox":
                (root / "bin" / applet).symlink_to("busybox")
        for d in ("tmp", "etc", "proc", "sys", "dev"):
            (root / d).mkdir()
        tar = subprocess.run(["tar", "-C", str(root), "-c", "."], capture_output=True, check=True).stdout
        env = {**os.environ, "DOCKER_HOST": engine_host}
        subprocess.run(["docker", "import", "--change", "CMD [\"sh\"]", "-", tag], input=tar, env=env,
                       capture_output=True, check=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def docker_cp_is_safe_on(engine_host):
    """Whether the engine mounts a container's volumes for `docker cp` only along paths a running container
    cannot redirect onto the host (CVE-2026-42306, fixed in 25.0.17 and 29.5.1): dockgate refuses docker cp
    to sandboxed roles on any other engine."""
    version = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True,
                             text=True, check=True, env={**os.environ, "DOCKER_HOST": engine_host}).stdout.strip()
    release = version.split("+")[0]
    pre = "-" in release or "~" in release  # a pre-release comes before the release of its numbers
    numbers = release.replace("~", "-").split("-")[0].split(".")
    if len(numbers) < 3 or not all(n.isdigit() for n in numbers[:3]):
        return False
    have = tuple(int(n) for n in numbers[:3])
    fixed = (25, 0, 17) if have[:2] == (25, 0) else (29, 5, 1)
    return have > fixed if pre else have >= fixed


CP_REFUSED = "CVE-2026-42306"  # what dockgate's refusal of docker cp on such an engine names


class Engine(Dockerd):
    """A private dockerd on a unix socket only, the engine behind a gateway."""

    def __init__(self):
        super().__init__([])
        self.socket = self.dir / "docker.sock"
        self.args = [f"-H=unix://{self.socket}"]
        self.host = f"unix://{self.socket}"


class Gateway:
    """`dockgate serve` with `args`, its state directory under `state_dir`; stopped with SIGTERM."""

    def __init__(self, args, state_dir, env=None, pass_fds=(), wrapper=()):
        self.args = list(map(str, args))
        self.state_dir = Path(state_dir)
        self.env = {**os.environ, "DOCKGATE_STATE_DIR": str(self.state_dir), **(env or {})}
        self.pass_fds = pass_fds
        self.wrapper = list(wrapper)
        self.proc = None
        self.log_path = self.state_dir.parent / f"dockgate-{id(self)}.log"
        self.out_path = self.state_dir.parent / f"dockgate-{id(self)}.out"

    def start(self, wait_for_port=None, wait_for_socket=None, timeout=30, wait_for_log=True):
        self.log = open(self.log_path, "w")
        self.out = open(self.out_path, "w")
        cmd = [*self.wrapper, DOCKGATE, "serve", "--log-format=json", "--log-level=debug", *self.args]
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=self.log, env=self.env, pass_fds=self.pass_fds)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"dockgate serve exited with {self.proc.returncode}:\n{self.log_text()}")
            if (not wait_for_log or '"msg":"listening"' in self.log_text()) and (
                (wait_for_port is None or _port_open(wait_for_port))
                and (wait_for_socket is None or Path(wait_for_socket).exists())
            ):
                return self
            time.sleep(0.05)
        raise AssertionError(f"dockgate serve did not come up in {timeout}s:\n{self.log_text()}")

    def log_text(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def output(self):
        return self.out_path.read_text(errors="replace") if self.out_path.exists() else ""

    def stop(self, timeout=30):
        """SIGTERM, then waits; returns the exit status."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
            self.out.close()
            return self.proc.returncode
        return None


def resign_with_dates(cert_path, ca_dir, not_before, not_after):
    """Signs the certificate at `cert_path` again with the CA in `ca_dir` (ca-key.pem), valid from
    `not_before` to `not_after` (datetimes, UTC): certificates with dates dockgate never issues."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    ca_key = serialization.load_pem_private_key((Path(ca_dir) / "ca-key.pem").read_bytes(), password=None)
    builder = (x509.CertificateBuilder().subject_name(cert.subject).issuer_name(cert.issuer)
               .public_key(cert.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after))
    for ext in cert.extensions:
        builder = builder.add_extension(ext.value, ext.critical)
    Path(cert_path).write_bytes(builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))


def policy_gateway(engine, base, policy, clients, args=()):
    """`dockgate serve` on tcp://127.0.0.1:PORT in front of `engine` with `policy` (a dict, written to
    base/policy.json), its PKI in base/state with a client certificate for each of `clients` (names).
    Started; has .port, .state and .policy_path. Stop it with .stop()."""
    state = base / "state"
    dockgate("certs", "init", "--dir", state)
    for name in clients:
        dockgate("certs", "issue", "client", name, "--dir", state)
    policy_path = base / "policy.json"
    policy_path.write_text(json.dumps(policy))
    port = free_port()
    g = Gateway([f"-H=tcp://127.0.0.1:{port}", f"--upstream={engine.host}", f"--policy={policy_path}", *args],
                state)
    g.start(wait_for_port=port)
    g.port, g.state, g.policy_path = port, state, policy_path
    return g


def tls_client_env(port, cert_path, config_dir):
    return client_env(f"tcp://127.0.0.1:{port}", cert_path, config_dir)


def tls_socket(port, cert_path=None, ca=None, cert=None, key=None):
    """A raw TLS connection to 127.0.0.1:port, verifying the server with `ca` (default CERT_PATH/ca.pem) and
    presenting cert/key (default CERT_PATH/cert.pem and key.pem) unless cert is False."""
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(ca or Path(cert_path) / "ca.pem"))
    if cert is not False:
        ctx.load_cert_chain(str(cert or Path(cert_path) / "cert.pem"), str(key or Path(cert_path) / "key.pem"))
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def read_response(sock):
    """Reads one HTTP response with a Content-Length or chunked body; returns (status, head, body)."""
    buf = bytearray()

    def fill():
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("the connection ended inside a response")
        buf.extend(chunk)

    while b"\r\n\r\n" not in buf:
        fill()
    end = buf.index(b"\r\n\r\n")
    head = bytes(buf[:end]).decode()
    del buf[: end + 4]
    lines = head.split("\r\n")
    status = int(lines[0].split()[1])
    fields = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:]}
    if fields.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            while b"\r\n" not in buf:
                fill()
            line_end = buf.index(b"\r\n")
            size = int(bytes(buf[:line_end]).split(b";")[0], 16)
            del buf[: line_end + 2]
            while len(buf) < size + 2:
                fill()
            body += bytes(buf[:size])
            del buf[: size + 2]
            if size == 0:
                return status, head, body
    length = int(fields.get("content-length", "0"))
    while len(buf) < length:
        fill()
    return status, head, bytes(buf[:length])
