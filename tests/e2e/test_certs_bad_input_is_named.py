"""Bad input to `dockgate certs` gets one clear line naming the problem and exit status 1 (2 for a command
line called wrongly), and leaves nothing half-written."""
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from harness import DOCKGATE, dockgate


def tree(d):
    """Every path under d with its bytes, to prove a failed command changed nothing."""
    return {p: (p.read_bytes() if p.is_file() else None) for p in sorted(d.rglob("*"))} if d.exists() else {}


def fails(*args, status=1, **kwargs):
    proc = dockgate(*args, check=False, **kwargs)
    assert proc.returncode == status, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stderr.startswith("dockgate: ") and proc.stderr.count("\n") == 1, proc.stderr
    return proc.stderr


@pytest.mark.parametrize("host,why", [("1.2.3", "not a valid one"), ("a..b", "empty label"), ("x_y.example", "not a valid label"),
                                      ("fe80::1%eth0", "zone index")])
def test_invalid_hosts_are_named_and_nothing_is_written(tmp_path, host, why):
    msg = fails("certs", "init", "--dir", tmp_path / "pki", "--host", host, status=2)
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
    assert 'invalid client name "../escape"' in fails("certs", "issue", "client", "../escape", "--dir", pki, status=2)
    assert 'invalid --group "a b"' in fails("certs", "issue", "client", "bob", "--group", "a b", "--dir", pki,
                                                      status=2)
    assert not (pki / "clients/bob").exists()


def test_command_line_mistakes_exit_2(pki):
    """What the README calls a command-line mistake exits 2, as the parser's own errors do, so that a script
    can tell a command called wrongly from one that failed."""
    before = tree(pki)
    assert "invalid --key-type" in fails("certs", "issue", "client", "bob", "--key-type", "dsa", "--dir", pki, status=2)
    assert "needs its NAME" in fails("certs", "renew", "client", "--dir", pki, status=2)
    assert 'unknown command "certs issue widget" (commands: server, client)' in fails(
        "certs", "issue", "widget", "x", "--dir", pki, status=2)
    assert "--group applies to client certificates only" in fails("certs", "issue", "server", "web", "--group", "g",
                                                                  "--dir", pki, status=2)
    assert "apply to server certificates only" in fails("certs", "issue", "client", "bob", "--host", "x", "--dir", pki,
                                                        status=2)
    assert "--days" in dockgate("certs", "issue", "client", "bob", "--days", "0", "--dir", pki, check=False).stderr
    assert dockgate("certs", "issue", "client", "bob", "--days", "0", "--dir", pki, check=False).returncode == 2
    assert tree(pki) == before


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
    proc = dockgate("certs", "issue", check=False)
    assert proc.returncode == 2 and "`dockgate certs issue` needs a command first: server, client" in proc.stderr


def test_each_command_says_its_own_options_in_plain_words():
    """--help showed the parser's notation (`INT:INT in [1 - 36500]`, `--tls,--no-tls{false}`, `TEXT ...`),
    no defaults for serve's -H and TLS files, and one text for both kinds of `certs issue`."""
    server = dockgate("certs", "issue", "server", "--help").stdout
    client = dockgate("certs", "issue", "client", "--help").stdout
    assert "--days DAYS" in server and "(default: 825)" in server and "--host HOST" in server
    assert "(default: 365)" in client and "--group GROUP" in client and "--host" not in client
    serve = dockgate("serve", "--help").stdout
    assert "(default: tcp://localhost:2376 with TLS" in serve and "ca.pem)" in serve and "server-key.pem)" in serve
    dockerd = dockgate("setup", "dockerd", "--help").stdout
    for text in (server, client, serve, dockerd):
        for notation in ("TEXT", "INT", " ...", "{false}", "in [", "REQUIRED"):
            assert notation not in text, (notation, text)
    # -H is --host in every client command.
    for command in ("bundle", "env", "context", "install"):
        assert "-H,--host ENDPOINT" in dockgate("client", command, "--help").stdout


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
