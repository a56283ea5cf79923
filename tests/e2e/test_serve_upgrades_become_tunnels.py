"""Protocol switches other than the CLI's `Upgrade: tcp` also become tunnels after the engine's 101:
BuildKit's session over h2c, and WebSocket attach."""
import base64
import os
import subprocess
import time

from harness import tls_socket


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, f"connection ended before a response head: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def test_h2c_session_speaks_http2_after_101(gateway):
    with tls_socket(gateway.port, cert_path=gateway.cert_path) as s:
        s.sendall(b"POST /session HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n"
                  b"X-Docker-Expose-Session-Uuid: dockgate-test\r\nX-Docker-Expose-Session-Name: test\r\n"
                  b"X-Docker-Expose-Session-Sharedkey: k\r\nContent-Length: 0\r\n\r\n")
        head, rest = read_head(s)
        assert head.startswith(b"HTTP/1.1 101"), head
        # The engine is the HTTP/2 client on a session (it dials back into the builder): its preface follows.
        while len(rest) < 24:
            rest += s.recv(4096)
        assert rest.startswith(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")


def test_websocket_attach_streams_output(gateway, engine):
    direct = {**os.environ, "DOCKER_HOST": engine.host}
    cid = subprocess.run(["docker", "run", "-d", "busybox", "sh", "-c", "sleep 1; echo ws-hello; sleep 30"],
                         env=direct, capture_output=True, text=True, check=True).stdout.strip()
    try:
        key = base64.b64encode(os.urandom(16)).decode()
        with tls_socket(gateway.port, cert_path=gateway.cert_path) as s:
            s.sendall(f"GET /containers/{cid}/attach/ws?stream=1&stdout=1 HTTP/1.1\r\nHost: localhost\r\n"
                      f"Connection: Upgrade\r\nUpgrade: websocket\r\nOrigin: http://localhost\r\n"
                      f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n".encode())
            head, rest = read_head(s)
            assert head.startswith(b"HTTP/1.1 101"), head
            deadline = time.monotonic() + 10
            while b"ws-hello" not in rest and time.monotonic() < deadline:
                rest += s.recv(4096)
            assert rest[0] & 0x0F in (1, 2)  # a text or binary frame
            assert b"ws-hello" in rest
    finally:
        subprocess.run(["docker", "rm", "-f", cid], env=direct, capture_output=True)
