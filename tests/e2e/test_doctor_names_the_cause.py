"""`dockgate doctor`, configured the way the docker CLI is, names the cause of each classic failure, against
a real `dockerd --tlsverify` and against `dockgate serve`: the endpoint works; a plain client on a TLS port;
a TLS client on a plain port; the dialled IP or name missing from the certificate; an expired server
certificate; a client certificate from another CA, revoked, or missing; nothing listening."""
import json
import shutil
import subprocess

import pytest

from harness import DOCKGATE, Dockerd, client_env, dockgate, free_port


def doctor(env, *args):
    r = subprocess.run([DOCKGATE, "doctor", "--json", "--timeout-ms=3000", *args], env=env, capture_output=True,
                       text=True, timeout=60)
    report = json.loads(r.stdout)
    assert (r.returncode == 0) == report["usable"], r.stdout + r.stderr
    return report


def failed(report):
    """The failing step and its text."""
    assert not report["usable"], json.dumps(report, indent=1)
    step = report["steps"][-1]
    assert step["status"] == "fail" and step.get("fix")
    return step["step"], step["detail"]


@pytest.fixture(scope="module")
def dockerd_tls(tmp_path_factory):
    """dockerd --tlsverify, the seeds' way, with a `dockgate certs init` PKI (localhost, 127.0.0.1, ::1)."""
    pki = tmp_path_factory.mktemp("dockerd") / "pki"
    dockgate("certs", "init", "--dir", pki)
    port = free_port()
    d = Dockerd(["--tlsverify", f"--tlscacert={pki / 'ca.pem'}", f"--tlscert={pki / 'server-cert.pem'}",
                 f"--tlskey={pki / 'server-key.pem'}", f"-H=tcp://127.0.0.1:{port}"])
    d.start(wait_for_port=port)
    yield pki, port
    d.stop()


@pytest.fixture(params=["dockerd", "dockgate"])
def server(request, dockerd_tls, gateway):
    """(kind, pki directory, port) of a mutual-TLS server that works."""
    if request.param == "dockerd":
        return "dockerd", dockerd_tls[0], dockerd_tls[1]
    return "dockgate", gateway.cert_path.parent.parent, gateway.port


def test_a_working_endpoint_is_usable(server, tmp_path):
    kind, pki, port = server
    report = doctor(client_env(f"tcp://127.0.0.1:{port}", pki / "clients" / "admin", tmp_path))
    assert report["usable"]
    api = report["steps"][-1]["detail"]
    assert ("through dockgate" in api) == (kind == "dockgate"), api
    assert "CN=admin" in api or kind == "dockerd"


def test_plain_client_on_a_tls_port(server, tmp_path):
    _, _, port = server
    env = client_env(f"tcp://127.0.0.1:{port}", tmp_path, tmp_path)
    del env["DOCKER_TLS_VERIFY"]
    assert failed(doctor(env)) == ("protocol", "the port speaks TLS, but this client is set up for plain HTTP")


def test_no_client_certificate(server, tmp_path):
    _, pki, port = server
    only_ca = tmp_path / "only-ca"
    only_ca.mkdir()
    shutil.copy(pki / "ca.pem", only_ca / "ca.pem")
    step, detail = failed(doctor(client_env(f"tcp://127.0.0.1:{port}", only_ca, tmp_path)))
    assert step == "client certificate" and "requires a client certificate and none is configured" in detail


def test_client_certificate_from_another_ca(server, tmp_path):
    _, pki, port = server
    other = tmp_path / "other"
    dockgate("certs", "init", "--dir", other)
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    shutil.copy(pki / "ca.pem", mixed / "ca.pem")  # trusts the server, but carries a foreign identity
    shutil.copy(other / "clients" / "admin" / "cert.pem", mixed / "cert.pem")
    shutil.copy(other / "clients" / "admin" / "key.pem", mixed / "key.pem")
    step, detail = failed(doctor(client_env(f"tcp://127.0.0.1:{port}", mixed, tmp_path)))
    assert step == "client certificate" and "a CA the server does not accept" in detail


def test_nothing_listening(tmp_path, pki):
    step, detail = failed(doctor(client_env(f"tcp://127.0.0.1:{free_port()}", pki / "clients" / "admin", tmp_path)))
    assert step == "connect" and "connection refused" in detail


@pytest.fixture
def start_server(make_gateway):
    """start_server(kind, pki, cert=None, tls=True) -> port: dockerd or dockgate on 127.0.0.1 with `pki`'s CA
    and key and the certificate `cert` (default: the PKI's server certificate), or plain HTTP."""
    engines = []

    def start(kind, pki, cert=None, tls=True):
        port = free_port()
        cert = cert or pki / "server-cert.pem"
        tls_flags = [f"--tlscacert={pki / 'ca.pem'}", f"--tlscert={cert}", f"--tlskey={pki / 'server-key.pem'}"]
        if kind == "dockerd":
            d = Dockerd([*(["--tlsverify", *tls_flags] if tls else []), f"-H=tcp://127.0.0.1:{port}"])
            engines.append(d)
            d.start(wait_for_port=port)
        else:
            make_gateway([f"-H=tcp://127.0.0.1:{port}", *(tls_flags if tls else ["--tls=false"])], wait_for_port=port)
        return port

    yield start
    for d in engines:
        d.stop()


@pytest.mark.parametrize("kind", ["dockerd", "dockgate"])
def test_dialled_name_not_in_the_certificate(kind, start_server, tmp_path):
    # The seed's case: the certificate names the IP, the client dials localhost.
    pki = tmp_path / "pki"
    dockgate("certs", "init", "--dir", pki, "--no-local", "--host", "127.0.0.1")
    port = start_server(kind, pki)
    report = doctor(client_env(f"tcp://localhost:{port}", pki / "clients" / "admin", tmp_path))
    step, detail = failed(report)
    assert step == "server certificate" and "valid for 127.0.0.1, not localhost" in detail
    fix = report["steps"][-1]["fix"]
    # Every name the certificate has is kept (other clients dial them), and the dialled one added.
    assert "dockgate certs issue server --force --no-local --host 127.0.0.1 --host localhost" in fix, fix
    assert "restart the server" not in fix


@pytest.mark.parametrize("kind", ["dockerd", "dockgate"])
def test_dialled_ip_not_in_the_certificate(kind, start_server, tmp_path):
    pki = tmp_path / "pki"
    dockgate("certs", "init", "--dir", pki, "--no-local", "--host", "localhost")
    port = start_server(kind, pki)
    step, detail = failed(doctor(client_env(f"tcp://127.0.0.1:{port}", pki / "clients" / "admin", tmp_path)))
    assert step == "server certificate" and "valid for localhost, not 127.0.0.1" in detail


def expired_server_certificate(pki, tmp_path):
    """An expired server certificate from `pki`'s CA, made with `openssl ca` (the test's tool, not the
    product's: dockgate itself never issues one)."""
    conf = tmp_path / "ca.cnf"
    conf.write_text(
        "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\n"
        "policy=p\nx509_extensions=e\n[p]\ncommonName=supplied\n[e]\nbasicConstraints=CA:FALSE\n"
        "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n")
    (tmp_path / "index.txt").write_text("")
    (tmp_path / "serial").write_text("1000\n")
    subprocess.run(["openssl", "req", "-new", "-key", pki / "server-key.pem", "-subj", "/CN=expired", "-out",
                    tmp_path / "csr.pem"], check=True, capture_output=True)
    subprocess.run(["openssl", "ca", "-batch", "-config", conf, "-cert", pki / "ca.pem", "-keyfile",
                    pki / "ca-key.pem", "-in", tmp_path / "csr.pem", "-out", tmp_path / "expired.pem", "-notext",
                    "-startdate", "20200101000000Z", "-enddate", "20200201000000Z"], check=True, capture_output=True,
                   cwd=tmp_path)
    return tmp_path / "expired.pem"


# dockgate serve refuses to start with an expired certificate (test_serve_refuses_an_expired_server_certificate).
@pytest.mark.parametrize("kind", ["dockerd"])
def test_expired_server_certificate(kind, start_server, tmp_path):
    pki = tmp_path / "pki"
    dockgate("certs", "init", "--dir", pki)
    port = start_server(kind, pki, cert=expired_server_certificate(pki, tmp_path))
    step, detail = failed(doctor(client_env(f"tcp://127.0.0.1:{port}", pki / "clients" / "admin", tmp_path)))
    assert step == "server certificate" and "expired on 2020-02-01" in detail


@pytest.mark.parametrize("kind", ["dockerd", "dockgate"])
def test_tls_client_on_a_plain_port(kind, start_server, tmp_path, pki):
    port = start_server(kind, pki, tls=False)
    step, detail = failed(doctor(client_env(f"tcp://127.0.0.1:{port}", pki / "clients" / "admin", tmp_path)))
    assert step == "protocol" and "the port speaks plain HTTP" in detail


def test_local_files_are_checked_first(tmp_path, pki):
    dockgate("certs", "issue", "client", "erin", "--dir", pki)
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for f in ("ca.pem", "cert.pem"):
        shutil.copy(pki / "clients" / "admin" / f, mixed / f)
    shutil.copy(pki / "clients" / "erin" / "key.pem", mixed / "key.pem")
    step, detail = failed(doctor(client_env(f"tcp://127.0.0.1:{free_port()}", mixed, tmp_path)))
    assert step == "client files" and "is not the key of" in detail


def test_revoked_client_dockgate(make_gateway, tmp_path):
    state = tmp_path / "state"
    port = free_port()
    g = make_gateway([f"-H=tcp://127.0.0.1:{port}"], state=state, wait_for_port=port)
    dockgate("certs", "issue", "client", "dave", "--dir", state)
    kept = tmp_path / "dave"
    shutil.copytree(state / "clients" / "dave", kept)
    dockgate("certs", "revoke", "dave", "--dir", state)
    g.stop()
    make_gateway([f"-H=tcp://127.0.0.1:{port}"], state=state, wait_for_port=port)
    step, detail = failed(doctor(client_env(f"tcp://127.0.0.1:{port}", kept, tmp_path)))
    assert step == "client certificate" and "revoked" in detail


def test_a_python_ca_override_is_named(server, tmp_path):
    """REQUESTS_CA_BUNDLE (or CURL_CA_BUNDLE) makes docker-py and docker-compose trust another CA than
    DOCKER_CERT_PATH's: the endpoint is usable, and the doctor says which clients will still fail."""
    _, pki, port = server
    env = client_env(f"tcp://127.0.0.1:{port}", pki / "clients" / "admin", tmp_path)
    env.pop("CURL_CA_BUNDLE", None)
    env["REQUESTS_CA_BUNDLE"] = "/etc/ssl/certs/ca-certificates.crt"
    report = doctor(env)
    assert report["usable"]
    warned = [s for s in report["steps"] if s["step"] == "environment"]
    assert warned and warned[0]["status"] == "warn", report["steps"]
    assert "REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt" in warned[0]["detail"]
    assert "unset REQUESTS_CA_BUNDLE" in warned[0]["fix"]
    env.pop("REQUESTS_CA_BUNDLE")
    assert not [s for s in doctor(env)["steps"] if s["step"] == "environment"]
