"""`certs revoke` writes a CRL that OpenSSL verifies against the CA and that lists the revoked serial."""
import json
import subprocess

from harness import dockgate


def crl_text(d):
    proc = subprocess.run(["openssl", "crl", "-in", d / "crl.pem", "-CAfile", d / "ca.pem", "-verify", "-noout", "-text"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "verify OK" in proc.stderr + proc.stdout
    return proc.stdout


def test_revoked_serials_are_listed_in_a_verified_crl(pki):
    assert "No Revoked Certificates" in crl_text(pki)  # init writes an empty, signed CRL

    dockgate("certs", "issue", "client", "laptop", "--dir", pki)
    laptop = json.loads(dockgate("certs", "show", "--json", pki / "clients/laptop/cert.pem").stdout)["serial"]
    out = dockgate("certs", "revoke", "laptop", "--dir", pki).stdout
    assert laptop in out
    text = crl_text(pki)
    assert f"Serial Number: {laptop}" in text

    # By serial, as `certs list` shows it; the earlier entry stays.
    admin = json.loads(dockgate("certs", "show", "--json", pki / "clients/admin/cert.pem").stdout)["serial"]
    dockgate("certs", "revoke", admin.lower(), "--dir", pki)
    text = crl_text(pki)
    assert f"Serial Number: {laptop}" in text and f"Serial Number: {admin}" in text

    listed = {e["certificate"]["serial"]: e["status"] for e in json.loads(dockgate("certs", "list", "--json", "--dir", pki).stdout)}
    assert listed[laptop] == "revoked" and listed[admin] == "revoked"

    moved = next(p for p in (pki / "revoked").iterdir() if p.name.startswith("laptop-"))
    shown = json.loads(dockgate("certs", "show", "--json", "--dir", pki, moved / "cert.pem").stdout)
    assert shown["revoked"] is True and shown["status"] == "revoked"

    again = dockgate("certs", "revoke", laptop, "--dir", pki, check=False)
    assert again.returncode == 1 and "already revoked" in again.stderr


def test_revocation_is_enforced_by_openssl_with_the_crl(pki):
    dockgate("certs", "revoke", "admin", "--dir", pki)
    revoked = next((pki / "revoked").iterdir()) / "cert.pem"
    proc = subprocess.run(["openssl", "verify", "-crl_check", "-CAfile", pki / "ca.pem", "-CRLfile", pki / "crl.pem", revoked],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "certificate revoked" in proc.stdout + proc.stderr
