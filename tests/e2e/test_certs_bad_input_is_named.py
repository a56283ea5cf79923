"""Bad input to `dockgate certs` gets one clear line naming the problem and exit status 1, and leaves
nothing half-written."""
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from harness import DOCKGATE, dockgate


def tree(d):
    """Every path under d with its bytes, to prove a failed command changed nothing."""
    return {p: (p.read_bytes() if p.is_file() else None) for p in sorted(d.rglob("*"))} if d.exists() else {}


def fails(*args, **kwargs):
    proc = dockgate(*args, check=False, **kwargs)
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stderr.startswith("dockgate: ") and proc.stderr.count("\n") == 1, proc.stderr
    return proc.stderr


@pytest.mark.parametrize("host,why", [("1.2.3", "not a valid one"), ("a..b", "empty label"), ("x_y.example", "not a valid label"),
                                      ("fe80::1%eth0", "zone index")])
def test_invalid_hosts_are_named_and_nothing_is_written(tmp_path, host, why):
    msg = fails("certs", "init", "--dir", tmp_path / "pki", "--host", host)
    assert f'invalid --host "{host}"' in msg and why in msg
    assert not (tmp_path / "pki").exists()


def test_existing_files_are_never_overwritten_without_force(pki):
    before = tree(pki)
    msg = fails("certs", "init", "--dir", pki)
    assert str(pki / "ca-key.pem") in msg and "--force" in msg
    assert tree(pki) == before
    dockgate("certs", "init", "--dir", pki, "--force")
    assert (pki / "ca.pem").read_bytes() != before[pki / "ca.pem"]


def test_a_taken_client_name_is_refused(pki):
    before = tree(pki)
    msg = fails("certs", "issue", "client", "admin", "--dir", pki)
    assert 'the client name "admin" is taken' in msg
    assert tree(pki) == before


def test_invalid_names_and_groups(pki):
    assert 'invalid client name "../escape"' in fails("certs", "issue", "client", "../escape", "--dir", pki)
    assert 'invalid --group "a b"' in fails("certs", "issue", "client", "bob", "--group", "a b", "--dir", pki)
    assert "invalid --key-type" in fails("certs", "issue", "client", "bob", "--key-type", "dsa", "--dir", pki)
    assert not (pki / "clients/bob").exists()


def test_no_ca_in_dir(tmp_path):
    assert "certs init" in fails("certs", "issue", "client", "bob", "--dir", tmp_path / "nothing")


def test_an_unwritable_directory_is_named():
    # A root-owned directory that an unprivileged user can enter but not write (root would write anyway).
    locked = Path(tempfile.mkdtemp(prefix="dg-locked-"))
    os.chmod(locked, 0o755)
    proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", DOCKGATE,
                           "certs", "init", "--dir", str(locked / "pki")], capture_output=True, text=True,
                          env={**os.environ, "HOME": "/nonexistent"})
    assert proc.returncode == 1
    assert f"cannot create directory {locked / 'pki'}: Permission denied" in proc.stderr
    assert list(locked.iterdir()) == []
    locked.rmdir()


def test_corrupt_ca_key_and_wrong_passphrase(tmp_path):
    d = tmp_path / "pki"
    secret = tmp_path / "passphrase"
    secret.write_text("correct horse battery\n")
    dockgate("certs", "init", "--dir", d, "--ca-passphrase-file", secret)
    assert b"ENCRYPTED PRIVATE KEY" in (d / "ca-key.pem").read_bytes()

    assert "--ca-passphrase-file" in fails("certs", "issue", "client", "bob", "--dir", d)
    wrong = tmp_path / "wrong"
    wrong.write_text("not it\n")
    assert "wrong passphrase" in fails("certs", "issue", "client", "bob", "--dir", d, "--ca-passphrase-file", wrong)
    dockgate("certs", "issue", "client", "bob", "--dir", d, "--ca-passphrase-file", secret)

    os.chmod(d / "ca-key.pem", 0o600)
    (d / "ca-key.pem").write_text("-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n")
    before = tree(d)
    assert f"cannot read the key {d / 'ca-key.pem'}" in fails("certs", "revoke", "bob", "--dir", d)
    assert tree(d) == before


def test_usage_errors_exit_2(tmp_path):
    proc = dockgate("certs", "issue", "--dir", tmp_path, check=False)
    assert proc.returncode == 2


def test_small_mistakes_are_named(tmp_path):
    """A directory where a file is expected, a policy that binds nobody, a --certs directory that does not
    exist: each is said as such (they read as "invalid JSON", or passed in silence)."""
    r = dockgate("serve", "--validate", f"--policy={tmp_path}", "-H", f"unix://{tmp_path}/s.sock", check=False)
    assert r.returncode == 1 and f"--policy {tmp_path}: it is a directory" in r.stderr, r.stderr
    empty = tmp_path / "nobody.json"
    empty.write_text('{"bindings": []}')
    r = dockgate("policy", "check", empty)
    assert "no bindings, so every client is denied everything" in r.stderr
    r = dockgate("setup", "check", "--root", tmp_path, "--certs", "/missing", check=False)
    assert r.returncode == 1 and "--certs /missing: no such directory" in r.stderr, r.stderr
