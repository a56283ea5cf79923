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


def test_help_and_misplaced_words_are_answered_in_one_line():
    assert "Usage: dockgate certs" in dockgate("help", "certs").stdout
    assert "Usage: dockgate [OPTIONS] SUBCOMMAND" in dockgate("help").stdout
    # An option before the command it belongs to: the commands are listed, not "A subcommand is required".
    r = dockgate("certs", "issue", "--dir", "/nonexistent", "client", "bob", check=False)
    assert r.returncode == 2, r.stderr
    assert r.stderr == "dockgate: `dockgate certs issue` needs a command first: server, client (--help describes them)\n"
    # Words a command does not take, in the order typed, on one line naming the command.
    r = dockgate("client", "env", "a", "b", "c", check=False)
    assert r.returncode == 2
    assert r.stderr == ("dockgate: `dockgate client env`: unexpected b c "
                        "(`dockgate client env --help` lists what it takes)\n"), r.stderr
