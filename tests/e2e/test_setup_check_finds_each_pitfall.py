"""`dockgate setup check` on staged hosts built from the seed tutorials' mistakes: each one is found, named
with where it is, and comes with its fix; a host set up right has no findings. One live check too: a
dockerd answering plain HTTP on a port that is not loopback-only is caught by probing it over loopback."""
import datetime
import json
import os

from harness import Dockerd, dockgate, free_port, resign_with_dates
from setup_roots import snapshot, stage


def check(root, *extra):
    proc = dockgate("setup", "check", "--root", root, "--json", *extra, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    findings = json.loads(proc.stdout)
    assert (proc.returncode == 1) == any(f["severity"] == "error" for f in findings)
    return findings


def only(findings, text):
    hits = [f for f in findings if text in f["what"]]
    assert len(hits) == 1, f"expected one finding with {text!r}, got:\n{json.dumps(findings, indent=2)}"
    return hits[0]


def test_hosts_in_daemon_json_and_h_in_the_unit(tmp_path):
    root = stage(tmp_path, {"/lib/systemd/system/docker.service": "debian-docker.service",
                            "/etc/docker/daemon.json": "daemon-seed-001.json"})
    findings = check(root)
    f = only(findings, "specified both as a flag and in the configuration file: hosts")
    assert f["severity"] == "error"
    assert "/lib/systemd/system/docker.service:" in f["where"] and "daemon.json" in f["where"]
    assert "dockgate setup dockerd" in f["fix"]
    exposed = only(findings, "tcp://0.0.0.0:2375 without TLS")
    assert exposed["where"] == "/etc/docker/daemon.json"


def test_docker_opts_is_ignored_unless_the_unit_reads_it(tmp_path):
    # Docker's own packages (and the units the seeds show) never read /etc/default/docker.
    ce = stage(tmp_path / "ce", {"/lib/systemd/system/docker.service": "docker-ce-docker.service",
                                 "/etc/default/docker": "default-docker"})
    f = only(check(ce), "is ignored")
    assert f["severity"] == "warning" and f["where"] == "/etc/default/docker"
    assert "does not read /etc/default/docker" in f["what"] and "daemon.json" in f["fix"]

    # Debian's docker.io does read it: then it is not ignored, and its -H tcp://0.0.0.0:2375 is exposure.
    debian = stage(tmp_path / "debian", {"/lib/systemd/system/docker.service": "debian-docker.service",
                                         "/etc/default/docker": "default-docker"})
    findings = check(debian)
    assert not [f for f in findings if "is ignored" in f["what"]]
    assert only(findings, "tcp://0.0.0.0:2375 without TLS")["where"] == "/lib/systemd/system/docker.service"


def test_drop_in_that_sets_exec_start_without_clearing_it(tmp_path):
    root = stage(tmp_path, {"/lib/systemd/system/docker.service": "docker-ce-docker.service",
                            "/etc/systemd/system/docker.service.d/override.conf": "override-uncleared.conf"})
    f = only(check(root), "without clearing it first")
    assert f["severity"] == "error"
    assert f["where"] == "/etc/systemd/system/docker.service.d/override.conf:3"
    assert "`ExecStart=`" in f["fix"]


def test_seed_000_done_right_is_clean(tmp_path):
    root = stage(tmp_path, {"/lib/systemd/system/docker.service": "docker-ce-docker.service",
                            "/etc/systemd/system/docker.service.d/override.conf": "override-seed-000.conf"})
    proc = dockgate("setup", "check", "--root", root)
    assert proc.stdout == "No problems found.\n"


def test_plain_tcp_listening_from_proc_net_tcp(tmp_path):
    root = stage(tmp_path, {"/proc/net/tcp": "proc-net-tcp",
                            "/proc/812/comm": "dockerd\n"})
    (root / "proc/812/fd").mkdir()
    os.symlink("socket:[424242]", root / "proc/812/fd/7")
    f = only(check(root), "listens on 2375")
    assert f["where"] == "0.0.0.0:2375" and "dockerd (pid 812)" in f["what"]
    # 127.0.0.1:3306 in the same file is loopback and not reported.
    assert len(check(root)) == 1


def test_socket_unit_on_all_addresses_without_tls(tmp_path):
    root = stage(tmp_path, {"/lib/systemd/system/docker.service": "docker-ce-docker.service",
                            "/etc/systemd/system/docker-tcp.socket": "docker-tcp.socket"})
    findings = check(root)
    exposed = only(findings, "ListenStream=2375 without TLS")
    assert exposed["where"] == "/etc/systemd/system/docker-tcp.socket:6"
    assert only(findings, "is not enabled")["severity"] == "warning"


def test_tls_without_tlsverify_lets_anyone_in(tmp_path):
    root = stage(tmp_path, {"/lib/systemd/system/docker.service": "docker-ce-docker.service",
                            "/etc/docker/daemon.json": "daemon-tls-without-verify.json"})
    f = only(check(root), "without tlsverify")
    assert "tlsverify" in f["fix"]


def test_broken_daemon_json_is_reported_with_its_position_and_left_alone(tmp_path):
    root = stage(tmp_path, {"/lib/systemd/system/docker.service": "docker-ce-docker.service",
                            "/etc/docker/daemon.json": "daemon-broken.json"})
    before = snapshot(root)
    f = only(check(root), "invalid JSON at line 3, column 28")
    assert f["where"] == "/etc/docker/daemon.json"
    assert snapshot(root) == before


def test_key_modes_expiry_and_server_names(tmp_path):
    root = stage(tmp_path, {"/etc/hostname": "buildhost.example\n"})
    pki = root / "var/lib/dockgate"
    dockgate("certs", "init", "--dir", pki)
    assert check(root) == [
        {"severity": "warning", "where": "/var/lib/dockgate/server-cert.pem",
         "what": "is not valid for buildhost.example of this host: clients that dial it by those names fail with "
                 "\"x509: certificate is valid for ..., not ...\"",
         "fix": "dockgate certs issue server --force --all-local-addresses --host buildhost.example"}]

    (pki / "server-key.pem").chmod(0o644)
    now = datetime.datetime.now(datetime.timezone.utc)  # 90 days, 10 left: its last 30
    resign_with_dates(pki / "server-cert.pem", pki, now - datetime.timedelta(days=80), now + datetime.timedelta(days=10))
    findings = check(root)
    key = only(findings, "private key is readable by every user")
    assert key["where"] == "/var/lib/dockgate/server-key.pem" and key["fix"] == "chmod 600 /var/lib/dockgate/server-key.pem"
    expiring = only(findings, "expires in")
    assert expiring["severity"] == "warning" and expiring["fix"] == "dockgate certs renew server"

    # A directory given with --certs is checked the same way.
    other = tmp_path / "other-pki"
    dockgate("certs", "init", "--dir", root / other.relative_to("/"))
    (root / other.relative_to("/") / "clients/admin/key.pem").chmod(0o640)
    f = only(check(root, "--certs", str(other)), "readable by its group")
    assert f["where"] == f"{other}/clients/admin/key.pem"


def test_live_plain_http_dockerd_is_probed_over_loopback(tmp_path):
    # The seeds' `netstat -lntp | grep dockerd`, done for real: a dockerd on all addresses without TLS
    # answers /_ping in plain HTTP, which the check asks over loopback. (dockerd waits 15 s before listening
    # like this, to make the point.)
    port = free_port()
    with Dockerd([f"-H=tcp://0.0.0.0:{port}"]) as engine:
        engine.start(wait_for_port=port)
        proc = dockgate("setup", "check", "--json", check=False)
        findings = json.loads(proc.stdout)
        f = only(findings, "answers the Docker API over plain HTTP")
        # Go listens on 0.0.0.0 with a dual-stack socket, which /proc/net/tcp6 shows as [::].
        assert f["where"] in (f"0.0.0.0:{port}", f"[::]:{port}") and "dockerd (pid" in f["what"]
        assert proc.returncode == 1
