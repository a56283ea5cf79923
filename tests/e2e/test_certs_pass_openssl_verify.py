"""OpenSSL's own verifier accepts what `dockgate certs` makes, for each purpose and key type, and refuses a
server certificate used as a client certificate."""
import subprocess

import pytest
from harness import dockgate


def openssl_verify(ca, cert, purpose):
    return subprocess.run(["openssl", "verify", "-CAfile", ca, "-purpose", purpose, cert], capture_output=True, text=True)


@pytest.mark.parametrize("key_type", ["ecdsa-p256", "rsa-2048", "rsa-3072", "ed25519"])
def test_generated_certificates_verify_for_their_purpose_only(tmp_path, key_type):
    d = tmp_path / "pki"
    dockgate("certs", "init", "--dir", d, "--key-type", key_type, "--host", "docker.example.com")
    dockgate("certs", "issue", "client", "ci", "--group", "builders", "--dir", d, "--key-type", key_type)
    ca = d / "ca.pem"

    assert openssl_verify(ca, d / "server-cert.pem", "sslserver").returncode == 0
    for client in ("admin", "ci"):
        ok = openssl_verify(d / "clients" / client / "ca.pem", d / "clients" / client / "cert.pem", "sslclient")
        assert ok.returncode == 0, ok.stdout + ok.stderr

    wrong = openssl_verify(ca, d / "server-cert.pem", "sslclient")
    assert wrong.returncode != 0
    assert "unsuitable certificate purpose" in wrong.stdout + wrong.stderr


def test_rsa_4096_is_offered(tmp_path):
    d = tmp_path / "pki"
    dockgate("certs", "init", "--dir", d, "--key-type", "rsa-4096")
    shown = dockgate("certs", "show", d / "ca.pem").stdout
    assert "RSA 4096" in shown
