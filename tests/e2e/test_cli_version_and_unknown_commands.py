"""`dockgate version` (and `--version`) print the version, the OpenSSL it runs on and the record cipher; a
mistyped command is named, with the list of commands, and exits 2."""
from harness import dockgate


def test_version_names_the_build_openssl_and_the_record_cipher():
    for args in (["version"], ["--version"]):
        out = dockgate(*args).stdout.splitlines()
        assert out[0].startswith("dockgate "), out
        assert out[1].startswith("OpenSSL 3."), out
        assert out[2].startswith("record cipher: "), out


def test_a_mistyped_command_is_named():
    r = dockgate("versoin", check=False)
    assert r.returncode == 2
    assert 'unknown command "versoin"' in r.stderr and "version, certs, serve" in r.stderr, r.stderr
