"""The seed tutorial end to end with dockgate's certificates: a real dockerd --tlsverify, and the real docker
CLIs configured only by DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH."""
import socket
import ssl
import time

import pytest
from harness import client_env, docker_clis, dockgate, run_docker


@pytest.mark.parametrize("cli", docker_clis())
def test_docker_version_and_info_over_mutual_tls(pki, tls_dockerd, tmp_path, cli):
    _, port = tls_dockerd(pki)
    env = client_env(f"tcp://127.0.0.1:{port}", pki / "clients" / "admin", tmp_path / "docker-config")

    version = run_docker(cli, ["version", "--format", "{{.Server.Version}}"], env)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip().startswith("20.10")

    info = run_docker(cli, ["info", "--format", "{{.Driver}}"], env)
    assert info.returncode == 0, info.stderr
    assert info.stdout.strip() == "vfs"


def test_a_client_added_later_with_groups_connects(pki, tls_dockerd, tmp_path):
    dockgate("certs", "issue", "client", "ci-runner", "--group", "builders", "--key-type", "ed25519", "--dir", pki)
    _, port = tls_dockerd(pki)
    env = client_env(f"tcp://localhost:{port}", pki / "clients" / "ci-runner", tmp_path / "docker-config")
    result = run_docker(docker_clis()[0], ["version"], env)
    assert result.returncode == 0, result.stderr


def test_dockerd_refuses_a_client_certificate_from_another_ca(pki, tls_dockerd, tmp_path):
    other = tmp_path / "other-pki"
    dockgate("certs", "init", "--dir", other)
    engine, port = tls_dockerd(pki)
    # The client trusts the right CA (so the server is fine) but presents a certificate from another CA.
    bundle = tmp_path / "mixed"
    bundle.mkdir()
    (bundle / "ca.pem").write_bytes((pki / "ca.pem").read_bytes())
    (bundle / "cert.pem").write_bytes((other / "clients" / "admin" / "cert.pem").read_bytes())
    (bundle / "key.pem").write_bytes((other / "clients" / "admin" / "key.pem").read_bytes())
    env = client_env(f"tcp://127.0.0.1:{port}", bundle, tmp_path / "docker-config")

    # Go clients only send a certificate whose issuer the server asks for, so the docker CLIs present none
    # and are refused for that.
    for cli in docker_clis():
        result = run_docker(cli, ["version", "--format", "{{.Server.Version}}"], env)
        assert result.returncode != 0
        assert result.stdout.strip() == ""
    wait_for_log(engine, "tls: client didn't provide a certificate")

    # A client that does present the foreign certificate is refused for its CA.
    ctx = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    ctx.load_cert_chain(str(bundle / "cert.pem"), str(bundle / "key.pem"))
    answer = b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n")
            answer = tls.recv(1024)
    except (ssl.SSLError, ConnectionResetError):
        pass
    assert b"200 OK" not in answer
    wait_for_log(engine, "tls: failed to verify client certificate: x509: certificate signed by unknown authority")


def wait_for_log(engine, text, timeout=5):
    deadline = time.monotonic() + timeout
    while text not in engine.log_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert text in engine.log_text()
