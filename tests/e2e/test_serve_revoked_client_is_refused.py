"""The CRL that `dockgate certs revoke` writes (crl.pem beside the CA) is enforced at the handshake, picked
up while the gateway runs (it watches the file); a client can ask the gateway who it is taken for
(/_dockgate/whoami)."""
import json
import time

from harness import docker_clis, dockgate, free_port, read_response, run_docker, tls_client_env, tls_socket


def test_revoked_client_refused_without_restart(make_gateway, tmp_path):
    state = tmp_path / "state"
    port = free_port()
    g = make_gateway([f"-H=tcp://127.0.0.1:{port}"], state=state, wait_for_port=port)
    dockgate("certs", "issue", "client", "bob", "--dir", state)
    bob = state / "clients" / "bob"
    with tls_socket(port, cert_path=bob) as s:
        s.sendall(b"GET /v1.41/_dockgate/whoami HTTP/1.1\r\nHost: x\r\n\r\n")
        status, _, body = read_response(s)
    assert status == 200
    who = json.loads(body)
    assert who["Identity"]["CommonName"] == "bob" and who["Role"] == "admin"

    # Revoking moves bob's files aside; keep a copy, as a departing employee would have.
    kept = tmp_path / "bob-copy"
    kept.mkdir()
    for f in ("ca.pem", "cert.pem", "key.pem"):
        (kept / f).write_bytes((bob / f).read_bytes())
    dockgate("certs", "revoke", "bob", "--dir", state)
    deadline = time.monotonic() + 15
    while "reloaded TLS files and policy" not in g.log_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "a watched file changed" in g.log_text()

    for cli in docker_clis():
        r = run_docker(cli, ["version"], tls_client_env(port, kept, tmp_path / "config"))
        assert r.returncode != 0
        ok = run_docker(cli, ["version"], tls_client_env(port, state / "clients" / "admin", tmp_path / "config"))
        assert ok.returncode == 0, ok.stderr
    assert "certificate revoked" in g.log_text()
