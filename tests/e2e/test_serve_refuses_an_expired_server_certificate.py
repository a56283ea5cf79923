"""An expired server certificate fails nearly every client's handshake: `serve` and `serve --validate` refuse
it by name at start, and a reload that finds one keeps the certificate in force."""
import datetime
import subprocess
import time

from harness import DOCKGATE, docker_clis, dockgate, free_port, resign_with_dates, run_docker, tls_client_env


def expire_server_cert(state):
    """The server certificate, signed again by the CA, valid from 30 days to 1 minute ago."""
    now = datetime.datetime.now(datetime.timezone.utc)
    resign_with_dates(state / "server-cert.pem", state, now - datetime.timedelta(days=30),
                      now - datetime.timedelta(minutes=1))


def test_an_expired_server_certificate_is_refused_at_start(engine, tmp_path):
    state = tmp_path / "state"
    dockgate("certs", "init", "--dir", state)
    expire_server_cert(state)
    env = {"DOCKGATE_STATE_DIR": str(state), "PATH": "/usr/bin:/bin"}
    for extra in (["--validate"], []):
        r = subprocess.run([DOCKGATE, "serve", f"-H=tcp://127.0.0.1:{free_port()}", f"--upstream={engine.host}",
                            *extra], env=env, capture_output=True, text=True, timeout=30)
        assert r.returncode == 1, (extra, r.stdout, r.stderr)
        assert f"--tlscert {state / 'server-cert.pem'} expired on" in r.stderr, r.stderr
        assert "dockgate certs renew server" in r.stderr


def test_a_reload_keeps_the_certificate_in_force(make_gateway, tmp_path):
    state = tmp_path / "state"
    port = free_port()
    g = make_gateway([f"-H=tcp://127.0.0.1:{port}"], state=state, wait_for_port=port)
    expire_server_cert(state)
    deadline = time.monotonic() + 15
    while "expired on" not in g.log_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "reload failed" in g.log_text() and "expired on" in g.log_text(), g.log_text()
    for cli in docker_clis():
        ok = run_docker(cli, ["version"], tls_client_env(port, state / "clients" / "admin", tmp_path / "config"))
        assert ok.returncode == 0, ok.stderr
