"""Debian's python3-docker, configured from DOCKER_HOST/DOCKER_TLS_VERIFY/DOCKER_CERT_PATH, works through the
gateway: ping, version, run, images, exec, streamed logs, archives both ways."""
import io
import os
import tarfile
import time

import docker
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

from harness import tls_client_env


@pytest.fixture
def client(gateway, tmp_path, monkeypatch):
    # This machine sets REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE; requests would trust them instead of the CA
    # from DOCKER_CERT_PATH.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    env = tls_client_env(gateway.port, gateway.cert_path, tmp_path / "config")
    c = docker.from_env(environment=env, version="1.41")
    yield c
    c.close()


def test_ping_version_images(client):
    assert client.ping()
    assert client.version()["Version"].startswith("20.10")
    assert any("busybox:latest" in i.tags for i in client.images.list())


def test_run_and_exec_and_logs(client):
    assert client.containers.run("busybox", ["echo", "from python"], remove=True) == b"from python\n"
    c = client.containers.run("busybox", ["sh", "-c", "for i in 1 2 3 4 5 6; do echo n$i; sleep 0.3; done; sleep 600"],
                              detach=True)
    try:
        result = c.exec_run(["sh", "-c", "echo exec-ok"])
        assert result.exit_code == 0 and result.output == b"exec-ok\n"
        started = time.monotonic()
        stream = c.logs(stream=True, follow=True)
        first = next(stream)
        assert first.startswith(b"n") and time.monotonic() - started < 5
    finally:
        c.remove(force=True)


def test_archives_both_ways(client):
    c = client.containers.create("busybox", ["sleep", "600"])
    try:
        c.start()
        data = io.BytesIO()
        with tarfile.open(fileobj=data, mode="w") as t:
            body = os.urandom(3 * 1024 * 1024)
            info = tarfile.TarInfo("payload.bin")
            info.size = len(body)
            t.addfile(info, io.BytesIO(body))
        assert c.put_archive("/tmp", data.getvalue())
        stream, stat = c.get_archive("/tmp/payload.bin")
        assert stat["size"] == len(body)
        back = io.BytesIO(b"".join(stream))
        with tarfile.open(fileobj=back) as t:
            assert t.extractfile("payload.bin").read() == body
    finally:
        c.remove(force=True)


def test_exec_socket_tunnel(client):
    # The python client's own hijack: write to the exec's stdin, read the echo until the engine ends the stream.
    # (Python's SSLSocket.shutdown() drops TLS altogether, so it cannot half-close; `head -n 1` ends by itself.)
    api = client.api
    c = client.containers.run("busybox", ["sleep", "600"], detach=True)
    try:
        exec_id = api.exec_create(c.id, ["head", "-n", "1"], stdin=True)["Id"]
        sock = api.exec_start(exec_id, socket=True)  # an ssl.SSLSocket over TLS
        sock.settimeout(30)
        sock.sendall(b"through the tunnel\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        # One stdout frame (stream 1, big-endian length), then the end of the stream.
        assert data == b"\x01\x00\x00\x00" + len(b"through the tunnel\n").to_bytes(4, "big") + b"through the tunnel\n"
        sock.close()
    finally:
        c.remove(force=True)
