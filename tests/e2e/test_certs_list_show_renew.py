"""`certs list`, `certs show` and `certs renew` through the binary, in words and in JSON."""
import datetime
import json
import os
import stat

from harness import dockgate, resign_with_dates


def show(path):
    return json.loads(dockgate("certs", "show", "--json", path).stdout)


def test_show_describes_every_field_in_words_and_json(pki):
    words = dockgate("certs", "show", pki / "server-cert.pem").stdout
    for label in ("subject:", "issuer:", "SANs:", "key:", "ext. key usage:", "serial:", "SHA-256:", "valid until:", "days left"):
        assert label in words
    info = show(pki / "server-cert.pem")
    assert info["extended_key_usage"] == ["serverAuth"]
    assert info["dns_names"] == ["localhost"] and info["ip_addresses"] == ["127.0.0.1", "::1"]
    assert info["key"] == "ECDSA P-256" and not info["is_ca"]
    assert 823 <= info["days_left"] <= 825
    assert len(info["serial"]) == 32 and len(info["sha256_fingerprint"].split(":")) == 32
    by_name = json.loads(dockgate("certs", "show", "--json", "--dir", pki, "admin").stdout)
    assert by_name["common_name"] == "admin" and by_name["revoked"] is False and by_name["status"] == "valid"
    ca = show(pki / "ca.pem")
    assert ca["is_ca"] and ca["key_usage"] == ["keyCertSign", "cRLSign"] and ca["days_left"] >= 3649


def test_list_shows_every_certificate_with_its_status(pki):
    dockgate("certs", "issue", "client", "ci", "--group", "builders", "--days", "10", "--dir", pki)
    fresh = json.loads(dockgate("certs", "show", pki / "clients" / "ci" / "cert.pem", "--json").stdout)
    assert fresh["status"] == "valid", fresh  # a short life is not "expiring" the moment it is issued
    now = datetime.datetime.now(datetime.timezone.utc)  # 60 days, 5 left: its last 30
    resign_with_dates(pki / "clients" / "ci" / "cert.pem", pki, now - datetime.timedelta(days=55),
                      now + datetime.timedelta(days=5))
    dockgate("certs", "issue", "server", "build-2", "--host", "build-2.example.com", "--dir", pki)
    entries = json.loads(dockgate("certs", "list", "--json", "--dir", pki).stdout)
    assert [(e["role"], e["name"]) for e in entries] == [
        ("ca", ""), ("server", ""), ("server", "build-2"), ("client", "admin"), ("client", "ci")]
    status = {e["name"]: e["status"] for e in entries}
    assert status["ci"] == "expiring" and status["admin"] == "valid"
    assert entries[-1]["certificate"]["groups"] == ["builders"]
    table = dockgate("certs", "list", "--dir", pki).stdout
    assert table.splitlines()[0].split() == ["ROLE", "NAME", "SERIAL", "EXPIRES", "DAYS", "STATUS"]
    assert "expiring" in table


def test_renew_same_key_and_new_key(pki):
    cert, key = pki / "clients/admin/cert.pem", pki / "clients/admin/key.pem"
    before, key_before = show(cert), key.read_bytes()
    dockgate("certs", "renew", "client", "admin", "--days", "30", "--dir", pki)
    after = show(cert)
    assert after["serial"] != before["serial"] and after["days_left"] <= 30
    assert key.read_bytes() == key_before
    dockgate("certs", "renew", "client", "admin", "--new-key", "--dir", pki)
    assert key.read_bytes() != key_before
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o400 and stat.S_IMODE(os.stat(cert).st_mode) == 0o444

    ca_before = show(pki / "ca.pem")
    dockgate("certs", "renew", "ca", "--dir", pki)
    assert show(pki / "ca.pem")["serial"] != ca_before["serial"]
    assert (pki / "clients/admin/ca.pem").read_bytes() == (pki / "ca.pem").read_bytes()
