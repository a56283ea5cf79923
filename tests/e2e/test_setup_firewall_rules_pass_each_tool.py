"""`dockgate setup firewall` output for ufw, firewalld and nftables, each checked by that firewall's own
parser without touching this machine's firewall: `nft -c -f`, `ufw --dry-run`, and firewalld's rich-rule
parser. Each checker is shown to reject a broken rule too, so that a pass means something."""
import hashlib
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from harness import dockgate

NETWORKS = ["--from", "10.0.0.0/8", "--from", "192.0.2.7", "--from", "2001:db8::/32"]


def rules(backend, *args):
    return dockgate("setup", "firewall", "--backend", backend, *args).stdout


def commands(text):
    return [shlex.split(l) for l in text.splitlines() if l and not l.startswith("#")]


@pytest.mark.parametrize("networks", [NETWORKS, ["--from", "10.0.0.0/8"], ["--from", "2001:db8::/32"]])
def test_nftables_ruleset_passes_nft_check(tmp_path, networks):
    text = rules("nftables", *networks, "--port", "2376")
    path = tmp_path / "dockgate.nft"
    path.write_text(text)
    check = subprocess.run(["nft", "-c", "-f", path], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr + text
    assert "tcp dport 2376 counter drop" in text and 'iif "lo" tcp dport 2376 accept' in text

    broken = tmp_path / "broken.nft"
    broken.write_text(text.replace("ip saddr", "ip sadr").replace("ip6 saddr", "ip6 sadr"))
    assert subprocess.run(["nft", "-c", "-f", broken], capture_output=True).returncode != 0


def test_ufw_commands_pass_ufw_dry_run(tmp_path):
    text = rules("ufw", *NETWORKS)
    cmds = commands(text)
    assert [c[:6] for c in cmds] == [["ufw", "allow", "proto", "tcp", "from", n] for n in
                                     ("10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32")]
    user_rules = Path("/etc/ufw/user.rules")
    before = hashlib.sha256(user_rules.read_bytes()).hexdigest()
    for c in cmds:
        out = subprocess.run(["ufw", "--dry-run", *c[1:]], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert "2376" in out.stdout
    bad = subprocess.run(["ufw", "--dry-run", "allow", "proto", "tcp", "from", "10.0.0.0/33", "to", "any", "port", "2376"],
                         capture_output=True, text=True)
    assert bad.returncode != 0
    assert hashlib.sha256(user_rules.read_bytes()).hexdigest() == before


def test_firewalld_rich_rules_parse(tmp_path):
    text = rules("firewalld", *NETWORKS)
    cmds = commands(text)
    assert cmds[-1] == ["firewall-cmd", "--reload"]
    rich = [c[2].split("=", 1)[1] for c in cmds[:-1]]
    assert len(rich) == 3 and 'family="ipv6" source address="2001:db8::/32"' in rich[2]
    script = "import sys\nfrom firewall.core.rich import Rich_Rule\nfor r in sys.argv[1:]:\n    print(Rich_Rule(rule_str=r))\n"
    parsed = subprocess.run(["/usr/bin/python3", "-c", script, *rich], capture_output=True, text=True)
    assert parsed.returncode == 0, parsed.stderr
    assert parsed.stdout.count('port port="2376" protocol="tcp" accept') == 3
    broken = subprocess.run(["/usr/bin/python3", "-c", script, rich[0].replace("accept", "acept")], capture_output=True)
    assert broken.returncode != 0


def test_bad_input_is_named(tmp_path):
    none = dockgate("setup", "firewall", "--backend", "ufw", check=False)
    assert none.returncode == 2 and "name the networks that may connect with --from CIDR" in none.stderr
    typo = dockgate("setup", "firewall", "--backend", "ufw", "--from", "10.1.2.3/16", check=False)
    assert "did you mean 10.1.0.0/16, or the single address 10.1.2.3?" in typo.stderr
    junk = dockgate("setup", "firewall", "--backend", "ufw", "--from", "office", check=False)
    assert "--from office: not an IP address or network" in junk.stderr
    backend = dockgate("setup", "firewall", "--backend", "iptables", "--from", "10.0.0.0/8", check=False)
    assert "--backend iptables: choose ufw, firewalld or nftables" in backend.stderr


def test_apply_on_a_staged_root(tmp_path):
    # ufw and firewalld change the running firewall, which a staged root does not have.
    refused = dockgate("setup", "firewall", "--root", tmp_path, "--backend", "ufw", "--from", "10.0.0.0/8", "--apply",
                       check=False)
    assert refused.returncode == 2 and "cannot work on a staged --root" in refused.stderr
    # nftables writes its file (and would load it on the live system).
    out = dockgate("setup", "firewall", "--root", tmp_path, "--backend", "nftables", "--from", "10.0.0.0/8", "--apply")
    assert "created /etc/nftables.d/dockgate.nft" in out.stdout
    written = (tmp_path / "etc/nftables.d/dockgate.nft").read_text()
    assert re.search(r"elements = \{ 10\.0\.0\.0/8 \}", written)
    assert subprocess.run(["nft", "-c", "-f", tmp_path / "etc/nftables.d/dockgate.nft"]).returncode == 0


def test_the_default_backend_says_where_it_looked(tmp_path):
    empty = dockgate("setup", "firewall", "--root", tmp_path, "--from", "10.0.0.0/8").stdout
    assert f"# backend: nftables (no ufw, firewalld or nft found under --root {tmp_path};" in empty
    (tmp_path / "usr/sbin").mkdir(parents=True)
    (tmp_path / "usr/sbin/ufw").touch()
    found = dockgate("setup", "firewall", "--root", tmp_path, "--from", "10.0.0.0/8").stdout
    assert f"# backend: ufw (found under --root {tmp_path};" in found
