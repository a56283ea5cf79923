"""What the gateway refuses, and how each refusal reads: clients without a certificate, with one from another
CA or one not meant for clients; plain HTTP on the TLS port; an engine that is down; requests whose framing
is ambiguous, which never reach the engine; clients that never finish their handshake."""
import json
import os
import shutil
import socket
import ssl
import subprocess
import time

import pytest

from harness import Engine, Gateway, dockgate, docker_clis, free_port, read_response, run_docker, tls_client_env, tls_socket


def wait_for_log(gateway, text, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in gateway.log_text():
            return True
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not in the gateway log:\n{gateway.log_text()}")


def handshake_fails(port, **kwargs):
    """Connects and sends a request; True if the connection is refused at some point before an answer."""
    try:
        s = tls_socket(port, **kwargs)
        s.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
        return s.recv(100) == b""
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return True


def test_client_without_certificate(gateway, tmp_path):
    only_ca = tmp_path / "only-ca"
    only_ca.mkdir()
    shutil.copy(gateway.cert_path / "ca.pem", only_ca / "ca.pem")
    for cli in docker_clis():
        r = run_docker(cli, ["version"], tls_client_env(gateway.port, only_ca, tmp_path / "config"))
        assert r.returncode != 0
    assert handshake_fails(gateway.port, cert_path=gateway.cert_path, cert=False)
    wait_for_log(gateway, "peer did not return a certificate")


def test_client_from_another_ca(gateway, tmp_path):
    other = tmp_path / "other"
    dockgate("certs", "init", "--dir", other)
    foreign = other / "clients" / "admin"
    # Trust the gateway, present the foreign certificate: the raw client sends it, and it is refused.
    assert handshake_fails(gateway.port, ca=gateway.cert_path / "ca.pem", cert=foreign / "cert.pem",
                           key=foreign / "key.pem")
    wait_for_log(gateway, "certificate verify failed")


def test_server_certificate_is_not_a_client_certificate(gateway):
    state = gateway.cert_path.parent.parent
    assert handshake_fails(gateway.port, ca=state / "ca.pem", cert=state / "server-cert.pem",
                           key=state / "server-key.pem")
    wait_for_log(gateway, "unsuitable certificate purpose")


def test_plain_http_on_the_tls_port(gateway, tmp_path):
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as s:
        s.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while chunk := s.recv(4096):
            answer += chunk
    assert answer == b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env.update(DOCKER_HOST=f"tcp://127.0.0.1:{gateway.port}", DOCKER_CONFIG=str(tmp_path / "config"))
    for cli in docker_clis():
        r = run_docker(cli, ["version"], env)
        assert r.returncode != 0
        assert "Client sent an HTTP request to an HTTPS server" in r.stderr, r.stderr


def test_clients_that_stall_before_the_handshake_ends_are_closed(gateway):
    """A connection that says nothing, and one that stops inside its ClientHello: each is closed when the
    handshake deadline (10 s) passes, and the log says why."""
    silent = socket.create_connection(("127.0.0.1", gateway.port))
    stalled = socket.create_connection(("127.0.0.1", gateway.port))
    stalled.sendall(b"\x16\x03\x01\x01\x00\x01")  # a record header and the first byte of a ClientHello
    start = time.monotonic()
    for s in (silent, stalled):
        s.settimeout(30)
        assert s.recv(100) == b""
        s.close()
    assert 9 <= time.monotonic() - start < 20
    wait_for_log(gateway, "no TLS handshake within 10 s")
    assert gateway.log_text().count("no TLS handshake within 10 s") >= 2


def test_engine_stopped_gets_a_502_naming_it(tmp_path):
    engine = Engine()
    engine.start()
    port = free_port()
    g = Gateway([f"-H=tcp://127.0.0.1:{port}", f"--upstream={engine.host}"], tmp_path / "state")
    try:
        g.start(wait_for_port=port)
        env = tls_client_env(port, tmp_path / "state" / "clients" / "admin", tmp_path / "config")
        assert run_docker(docker_clis()[0], ["version"], env).returncode == 0
        engine.stop()
        for cli in docker_clis():
            r = run_docker(cli, ["ps"], env)
            assert r.returncode != 0
            assert f"cannot reach the Docker engine at {engine.host}" in r.stderr, r.stderr
        with tls_socket(port, cert_path=tmp_path / "state" / "clients" / "admin") as s:
            s.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
            status, head, body = read_response(s)
        assert status == 502 and "application/json" in head
        assert engine.host in json.loads(body)["message"]
    finally:
        g.stop()
        engine.stop()


SMUGGLE = b'{"Image":"busybox","Cmd":["true"]}'


@pytest.mark.parametrize(
    "name,request_bytes,status",
    [
        ("te-and-cl", b"POST /containers/create?name=smuggle1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n" % len(SMUGGLE) + SMUGGLE, 400),
        ("folded", b"POST /containers/create?name=smuggle2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         b"X-Folded: a\r\n b\r\nContent-Length: %d\r\n\r\n" % len(SMUGGLE) + SMUGGLE, 400),
        ("bad-chunk", b"POST /containers/create?name=smuggle3 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         b"Transfer-Encoding: chunked\r\n\r\nzz\r\n" + SMUGGLE + b"\r\n0\r\n\r\n", 400),
        ("two-lengths", b"POST /containers/create?name=smuggle4 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         b"Content-Length: %d\r\nContent-Length: 0\r\n\r\n" % len(SMUGGLE) + SMUGGLE, 400),
        ("huge-head", b"GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n", 431),
    ],
)
def test_ambiguous_requests_never_reach_the_engine(gateway, engine, name, request_bytes, status):
    with tls_socket(gateway.port, cert_path=gateway.cert_path) as s:
        try:
            s.sendall(request_bytes)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the gateway may answer and close before it has read everything
        got, head, body = read_response(s)
    assert got == status, head
    assert "dockgate" in json.loads(body)["message"]
    env = {**os.environ, "DOCKER_HOST": engine.host}
    names = subprocess.run(["docker", "ps", "-a", "--format", "{{.Names}}"], env=env, capture_output=True,
                           text=True, check=True).stdout.split()
    assert not any(n.startswith("smuggle") for n in names)


def test_pipelined_requests_are_answered_in_order(gateway):
    with tls_socket(gateway.port, cert_path=gateway.cert_path) as s:
        s.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\nGET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        first = read_response(s)
        second = read_response(s)
    assert first[0] == 200 and first[2] == b"OK"
    assert second[0] == 200 and "ApiVersion" in json.loads(second[2])


def test_old_protocols_and_non_aead_ciphers_are_refused(gateway):
    def attempt(configure):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(str(gateway.cert_path / "ca.pem"))
        ctx.load_cert_chain(str(gateway.cert_path / "cert.pem"), str(gateway.cert_path / "key.pem"))
        configure(ctx)
        with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as raw:
            with pytest.raises((ssl.SSLError, ConnectionResetError)):
                ctx.wrap_socket(raw, server_hostname="127.0.0.1")

    def cbc_only(ctx):
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA")

    def tls11(ctx):
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1_1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1

    attempt(cbc_only)
    wait_for_log(gateway, "no shared cipher")
    attempt(tls11)
    wait_for_log(gateway, "unsupported protocol")


@pytest.mark.parametrize("group", ["ffdhe2048", "ffdhe8192"])
def test_finite_field_key_exchange_is_refused(gateway, group):
    """Only the groups Go offers (X25519, P-256, P-384): an ffdhe8192 handshake costs ~100x X25519's CPU."""
    cert = gateway.cert_path

    def s_client(groups):
        return subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{gateway.port}", "-tls1_3", "-groups", groups,
             "-cert", str(cert / "cert.pem"), "-key", str(cert / "key.pem"), "-CAfile", str(cert / "ca.pem"),
             "-verify_return_error", "-brief"], input="", capture_output=True, text=True, timeout=30)

    refused = s_client(group)
    assert refused.returncode != 0, refused.stderr
    assert "handshake failure" in refused.stderr or "no suitable" in refused.stderr, refused.stderr
    for accepted in ("X25519", "P-256", "P-384"):
        ok = s_client(accepted)
        assert ok.returncode == 0 and "Verification: OK" in ok.stderr, ok.stderr


def test_renegotiation_is_refused_with_an_alert(gateway):
    """A TLS 1.2 client asking to renegotiate gets the no_renegotiation alert at once, not silence until its
    own timeout (the alert waited in the gateway's buffer for a response that never came)."""
    cert = gateway.cert_path
    client = subprocess.Popen(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{gateway.port}", "-tls1_2", "-cert", str(cert / "cert.pem"),
         "-key", str(cert / "key.pem"), "-CAfile", str(cert / "ca.pem")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # the handshake is done
        client.stdin.write("R\n")  # s_client's command to renegotiate
        client.stdin.flush()
        started = time.monotonic()
        _, err = client.communicate(timeout=10)
        assert time.monotonic() - started < 5
        assert "no renegotiation" in err, err
    finally:
        client.kill()


def test_a_head_trickled_inside_one_tls_record_times_out(gateway):
    """The head's 30 s run from its first byte on the wire: a client that sends one TLS record of a head a
    raw byte every 2 s (so that nothing ever decrypts) is answered 408 and closed, not held forever."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(gateway.cert_path / "ca.pem"))
    ctx.load_cert_chain(str(gateway.cert_path / "cert.pem"), str(gateway.cert_path / "key.pem"))
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    raw = socket.create_connection(("127.0.0.1", gateway.port), timeout=10)
    try:
        while True:  # the handshake, through the memory BIOs
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                raw.sendall(outgoing.read())
                incoming.write(raw.recv(65536))
        raw.sendall(outgoing.read())
        tls.write(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
        record = outgoing.read()
        started = time.monotonic()
        raw.settimeout(2)
        answer = b""
        for byte in record[:-1]:  # never the last byte: the record never completes
            raw.sendall(bytes([byte]))
            try:
                data = raw.recv(65536)
            except socket.timeout:
                continue
            if not data:
                break
            incoming.write(data)
            try:
                answer += tls.read(65536)
            except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
                pass
            if b"\r\n\r\n" in answer:
                break
            if time.monotonic() - started > 45:
                break
        elapsed = time.monotonic() - started
        assert answer.startswith(b"HTTP/1.1 408"), (elapsed, answer)
        assert 28 <= elapsed <= 40, elapsed
    finally:
        raw.close()


def test_out_of_descriptors_is_named_not_blamed_on_the_engine(make_gateway, tmp_path):
    """With no descriptor left for the engine connection, the client hears which limit to raise (it heard
    "cannot reach the Docker engine ... Is the docker daemon running?"), and a refused accept is logged once,
    not ten times a second."""
    port = free_port()
    g = make_gateway([f"-H=tcp://127.0.0.1:{port}"], wait_for_port=port)
    cert_path = g.state_dir / "clients" / "admin"
    time.sleep(0.5)  # the readiness probe's connection is closed by now
    open_fds = {int(n) for n in os.listdir(f"/proc/{g.proc.pid}/fd")}
    lowest_free = next(n for n in range(10000) if n not in open_fds)
    # One more descriptor: the client's connection gets it, the engine connection finds none.
    subprocess.run(["prlimit", f"--pid={g.proc.pid}", f"--nofile={lowest_free + 1}:"], check=True)  # soft limit
    with tls_socket(port, cert_path=cert_path) as s:
        s.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
        status, _, body = read_response(s)
    assert body.startswith(b"{"), (status, body, g.log_text()[-1500:])
    message = json.loads(body)["message"]
    assert status == 503 and "out of file descriptors" in message and "LimitNOFILE" in message, message
    assert "Is the docker daemon running" not in message
    # With none left at all, accepting fails: logged once for the next 10 s, however often it is retried.
    subprocess.run(["prlimit", f"--pid={g.proc.pid}", f"--nofile={lowest_free}:"], check=True)
    pending = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        time.sleep(2)
        failures = [l for l in g.log_text().splitlines() if '"accept failed"' in l]
        assert len(failures) == 1, failures
        assert "out of file descriptors" in failures[0]
    finally:
        pending.close()
        subprocess.run(["prlimit", f"--pid={g.proc.pid}", "--nofile=1024:"], check=True)
