"""`dockgate serve` takes dockerd's flags, config keys and error texts, adds the checks dockerd lacks (plain
TCP off loopback, a live unix socket), and bootstraps mutual TLS on its first start."""
import json
import os
import socket
import subprocess
import time

import ssl

import pytest

from harness import DOCKGATE, dockgate, docker_clis, free_port, run_docker, tls_client_env


def serve(*args, state=None, timeout=10):
    env = {**os.environ}
    if state:
        env["DOCKGATE_STATE_DIR"] = str(state)
    return subprocess.run([DOCKGATE, "serve", *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=timeout)


@pytest.mark.parametrize(
    "address,message",
    [
        ("ftp://x", "invalid bind address (ftp://x): unsupported proto 'ftp'"),
        ("tcp://:abc", "invalid bind address (tcp://:abc): invalid port"),
        ("tcp://1.2.3.4:5/path", "invalid bind address (tcp://1.2.3.4:5/path): should not contain a path element"),
    ],
)
def test_bad_addresses_fail_in_dockerds_words(address, message, tmp_path):
    r = serve("-H", address, "--validate", state=tmp_path)
    assert r.returncode == 1
    assert message in r.stderr, r.stderr


def test_plain_tcp_off_loopback_needs_the_scary_flag(tmp_path):
    r = serve("-H", "tcp://0.0.0.0:2375", "--tls=false", "--validate", state=tmp_path)
    assert r.returncode == 1 and "refusing to listen on tcp://0.0.0.0:2375 without TLS" in r.stderr
    r = serve("-H", "tcp://0.0.0.0:2376", "--tlsverify=false", "--validate", state=tmp_path)
    assert r.returncode == 1 and "without verifying clients" in r.stderr
    r = serve("-H", "tcp://0.0.0.0:2375", "--tls=false", "--allow-insecure-tcp", "--validate", state=tmp_path)
    assert r.returncode == 0 and r.stdout.splitlines()[0] == "configuration OK"
    r = serve("-H", "tcp://127.0.0.1:2375", "--tls=false", "--validate", state=tmp_path)
    assert r.returncode == 0


def test_config_file_errors_name_the_key_or_position(tmp_path):
    cfg = tmp_path / "dockgate.json"
    cfg.write_text('{"hosts": ["tcp://127.0.0.1:2376"], "debug": true, "tlsverfy": true}')
    r = serve("--config-file", cfg, "--validate", state=tmp_path)
    assert "the following directives don't match any configuration option: debug, tlsverfy" in r.stderr
    cfg.write_text('{\n  "hosts": ["tcp://127.0.0.1:2376",]\n}')
    r = serve("--config-file", cfg, "--validate", state=tmp_path)
    assert f"unable to configure dockgate with file {cfg}: invalid JSON at line 2" in r.stderr, r.stderr
    cfg.write_text('{"tls": "yes"}')
    r = serve("--config-file", cfg, "--validate", state=tmp_path)
    assert '"tls" must be true or false' in r.stderr


def test_directive_in_flag_and_file_is_dockerds_conflict(tmp_path):
    cfg = tmp_path / "dockgate.json"
    cfg.write_text(json.dumps({"hosts": ["unix:///var/run/docker.sock"], "tlsverify": True}))
    r = serve("-H", "tcp://0.0.0.0:2376", "--tlsverify", "--config-file", cfg, "--validate", state=tmp_path)
    assert r.returncode == 1
    assert ("the following directives are specified both as a flag and in the configuration file: "
            "hosts: (from flag: [tcp://0.0.0.0:2376], from file: [unix:///var/run/docker.sock]), "
            "tlsverify: (from flag: true, from file: true)") in r.stderr


def test_validate_loads_the_tls_files(tmp_path):
    pki = tmp_path / "pki"
    dockgate("certs", "init", "--dir", pki)
    ok = serve("--tlscacert", pki / "ca.pem", "--tlscert", pki / "server-cert.pem", "--tlskey",
               pki / "server-key.pem", "--validate", state=tmp_path / "state")
    assert ok.returncode == 0 and ok.stdout.splitlines()[0] == "configuration OK", ok.stderr
    missing = serve("--tlscert", tmp_path / "nope.pem", "--validate", state=tmp_path / "state")
    assert missing.returncode == 1 and f"cannot read --tlscert {tmp_path / 'nope.pem'}" in missing.stderr
    mismatched = serve("--tlscacert", pki / "ca.pem", "--tlscert", pki / "server-cert.pem", "--tlskey",
                       pki / "clients" / "admin" / "key.pem", "--validate", state=tmp_path / "state")
    assert mismatched.returncode == 1 and "does not belong to the certificate" in mismatched.stderr


def test_a_live_unix_socket_is_never_taken_over(make_gateway, tmp_path):
    path = tmp_path / "gw.sock"
    make_gateway([f"-H=unix://{path}"], wait_for_socket=path)
    second = serve("-H", f"unix://{path}", state=tmp_path / "s2")
    assert second.returncode == 1
    assert f"unix://{path}: another process is serving this socket" in second.stderr
    with socket.socket(socket.AF_UNIX) as s:  # the first gateway still answers
        s.connect(str(path))
        s.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 200")


def test_a_stale_unix_socket_is_replaced(make_gateway, tmp_path):
    path = tmp_path / "stale.sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    s.close()  # left behind, nobody listening
    make_gateway([f"-H=unix://{path}"], wait_for_socket=path)


def test_unknown_group_is_an_error(tmp_path):
    r = serve("-H", f"unix://{tmp_path / 'g.sock'}", "-G", "no-such-group-here", state=tmp_path)
    assert r.returncode == 1 and "-G/--group: group no-such-group-here not found" in r.stderr


def test_first_start_creates_the_pki_and_prints_what_a_client_needs(make_gateway, tmp_path):
    port = free_port()
    state = tmp_path / "first"
    g = make_gateway([f"-H=tcp://127.0.0.1:{port}"], state=state, wait_for_port=port)
    out = g.output()
    assert f"export DOCKER_HOST=tcp://127.0.0.1:{port}" in out
    assert "export DOCKER_TLS_VERIFY=1" in out
    assert f"export DOCKER_CERT_PATH={state / 'clients' / 'admin'}" in out
    env = tls_client_env(port, state / "clients" / "admin", tmp_path / "config")
    for cli in docker_clis():
        assert run_docker(cli, ["version"], env).returncode == 0
    # The second start finds the files and creates nothing.
    g.stop()
    again = make_gateway([f"-H=tcp://127.0.0.1:{port}"], state=state, wait_for_port=port)
    assert "export" not in again.output()


def test_a_first_start_that_fails_creates_nothing(make_gateway, tmp_path):
    """A port in use used to leave a whole PKI behind, and the next start, finding it, never showed the
    first-start message."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    state = tmp_path / "first"
    r = serve(f"-H=tcp://127.0.0.1:{taken.getsockname()[1]}", f"-H=unix://{tmp_path / 'g.sock'}", state=state)
    taken.close()
    assert r.returncode == 1 and "address already in use" in r.stderr.lower(), r.stderr
    assert not state.exists() and not (tmp_path / "g.sock").exists()
    port = free_port()
    g = make_gateway([f"-H=tcp://127.0.0.1:{port}"], state=state, wait_for_port=port)
    assert "dockgate: first start: created a CA" in g.output()


def test_the_unix_socket_goes_at_a_clean_exit(make_gateway, tmp_path):
    path = tmp_path / "g.sock"
    g = make_gateway([f"-H=unix://{path}"], wait_for_socket=path)
    g.stop()
    assert not path.exists()
    # A socket another process made at that path since is not ours to remove.
    g = make_gateway([f"-H=unix://{path}"], wait_for_socket=path)
    path.unlink()
    theirs = socket.socket(socket.AF_UNIX)
    theirs.bind(str(path))
    g.stop()
    assert path.exists()
    theirs.close()


def test_a_gateway_stopping_leaves_the_socket_of_one_started_meanwhile(make_gateway, tmp_path):
    """The old gateway used to remove the file after its drain: by then a new one may have bound the same
    path, and a file system that reuses the freed inode (ext4) made it look like the old one's."""
    path = tmp_path / "g.sock"
    old = make_gateway([f"-H=unix://{path}"], wait_for_socket=path)
    held = socket.socket(socket.AF_UNIX)
    held.connect(str(path))
    held.sendall(b"GET /_ping HTTP/1.1\r\n")  # a head in progress keeps the old gateway draining
    old.proc.terminate()
    deadline = time.monotonic() + 10
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not path.exists(), "the socket file stays until the drain ends"
    new = make_gateway([f"-H=unix://{path}"], wait_for_socket=path)
    held.close()
    assert old.stop() == 0
    assert path.exists()
    with socket.socket(socket.AF_UNIX) as c:
        c.connect(str(path))
        c.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert c.recv(100).startswith(b"HTTP/1.1 200")
    new.stop()


def test_tlsverify_false_serves_tls_without_client_certificates_on_loopback(make_gateway, tmp_path):
    pki = tmp_path / "pki"
    dockgate("certs", "init", "--dir", pki)
    port = free_port()
    make_gateway([f"-H=tcp://127.0.0.1:{port}", "--tlsverify=false", f"--tlscert={pki / 'server-cert.pem'}",
                  f"--tlskey={pki / 'server-key.pem'}"], wait_for_port=port)
    ctx = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1") as s:
        s.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 200")


def test_serve_says_which_files_it_serves_with(make_gateway, tmp_path):
    """Started where the environment differs (systemd-socket-activate passes none on), a gateway that does
    not say which PKI it loaded serves another one silently."""
    state = tmp_path / "state"
    dockgate("certs", "init", "--dir", state)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"bindings": [{"identities": ["admin"], "role": "admin"}]}))
    r = serve("-H", "tcp://127.0.0.1:2376", f"--policy={policy}", "--validate", state=state)
    assert r.returncode == 0, r.stderr
    for text in (f"state directory {state}", f"--tlscert {state / 'server-cert.pem'}", f"--tlscacert {state / 'ca.pem'}",
                 f"--policy {policy}"):
        assert text in r.stdout, r.stdout
    port = free_port()
    g = make_gateway([f"-H=tcp://127.0.0.1:{port}", f"--policy={policy}"], state=state, wait_for_port=port)
    started = [json.loads(l) for l in g.log_text().splitlines() if '"serving with"' in l]
    assert started and f"--tlskey {state / 'server-key.pem'}" in started[0]["files"], g.log_text()
