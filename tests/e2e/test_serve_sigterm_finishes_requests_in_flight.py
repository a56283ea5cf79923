"""SIGTERM: the gateway tells systemd STOPPING=1, stops accepting, closes idle connections at once, lets a
request in flight (a `wait` long-poll) finish, and exits 0. READY=1 reaches systemd once it serves."""
import json
import os
import signal
import socket
import subprocess
import time

from harness import free_port, read_response, tls_socket


def test_sigterm_lets_the_request_in_flight_finish(make_gateway, engine, tmp_path):
    notify_path = tmp_path / "notify.sock"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(notify_path))
    notify.settimeout(10)
    port = free_port()
    g = make_gateway([f"-H=tcp://127.0.0.1:{port}"], env={"NOTIFY_SOCKET": str(notify_path)}, wait_for_port=port)
    assert b"READY=1" in notify.recv(4096)
    cert_path = g.state_dir / "clients" / "admin"

    direct = {**os.environ, "DOCKER_HOST": engine.host}
    cid = subprocess.run(["docker", "run", "-d", "busybox", "sleep", "2"], env=direct, capture_output=True,
                         text=True, check=True).stdout.strip()
    try:
        busy = tls_socket(port, cert_path=cert_path)
        busy.sendall(f"POST /containers/{cid}/wait HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode())
        idle = tls_socket(port, cert_path=cert_path)
        idle.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(idle)[0] == 200
        time.sleep(0.3)

        g.proc.send_signal(signal.SIGTERM)
        assert b"STOPPING=1" in notify.recv(4096)
        idle.settimeout(5)
        assert idle.recv(100) == b"", "an idle keep-alive connection stays open after SIGTERM"
        time.sleep(0.3)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            refused = False
        except ConnectionRefusedError:
            refused = True
        assert refused, "new connections are still accepted after SIGTERM"

        status, _, body = read_response(busy)
        assert status == 200 and json.loads(body)["StatusCode"] == 0
        assert g.proc.wait(timeout=15) == 0
        assert '"msg":"shutting down"' in g.log_text()
    finally:
        subprocess.run(["docker", "rm", "-f", cid], env=direct, capture_output=True)
        notify.close()


def test_connections_still_opening_do_not_hold_the_shutdown(make_gateway, tmp_path):
    """A connection that has not finished (or started) its TLS handshake carries no request: SIGTERM closes it
    at once instead of waiting out the 10 s handshake deadline."""
    port = free_port()
    g = make_gateway([f"-H=tcp://127.0.0.1:{port}"], wait_for_port=port)
    silent = socket.create_connection(("127.0.0.1", port), timeout=5)  # sends nothing
    try:
        time.sleep(0.3)
        started = time.monotonic()
        g.proc.send_signal(signal.SIGTERM)
        g.proc.wait(timeout=8)
        assert time.monotonic() - started < 2, "SIGTERM waited for a connection without a handshake"
        assert g.proc.returncode == 0
    finally:
        silent.close()


def test_a_second_signal_always_exits(make_gateway, engine, tmp_path):
    port = free_port()
    g = make_gateway([f"-H=tcp://127.0.0.1:{port}"], wait_for_port=port)
    events = tls_socket(port, cert_path=g.state_dir / "clients" / "admin")
    events.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")  # a stream that never ends by itself
    silent = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        time.sleep(0.5)
        g.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert g.proc.poll() is None, "the stream in flight should keep the gateway up after one signal"
        started = time.monotonic()
        g.proc.send_signal(signal.SIGTERM)
        g.proc.wait(timeout=5)
        assert time.monotonic() - started < 2
    finally:
        events.close()
        silent.close()


def test_memory_goes_back_after_a_burst(make_gateway, tmp_path):
    """After a burst of connections, the freed memory goes back to the system once they are mostly gone
    (3,000 connections: 100 MB held, 45 MB after, against 100 MB kept before)."""
    port = free_port()
    g = make_gateway([f"-H=tcp://127.0.0.1:{port}"], wait_for_port=port)
    cert_path = g.state_dir / "clients" / "admin"

    def rss_kib():
        with open(f"/proc/{g.proc.pid}/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmRSS"))

    before = rss_kib()
    held = [tls_socket(port, cert_path=cert_path) for _ in range(800)]
    for s in held:
        s.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
    for s in held:
        assert read_response(s)[0] == 200
    peak = rss_kib()
    for s in held:
        s.close()
    # At least a third of what the burst took goes back (its buffers' cache and the TLS contexts stay); it
    # kept all of it before (48 MB after a 48 MB peak in the run that found this).
    wanted = peak - (peak - before) // 3
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and rss_kib() > wanted:
        time.sleep(0.2)
    assert rss_kib() <= wanted, (before, peak, rss_kib())
