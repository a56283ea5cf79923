"""`dockgate setup dockerd` on a staged host: it merges into daemon.json keeping every other key (with a
backup), writes a drop-in that clears ExecStart= and keeps the operator's flags, changes nothing on a
second run, and refuses what would break dockerd. Then the proof: a real dockerd started with the generated
daemon.json and the drop-in's ExecStart flags serves mutual TLS that the docker CLI reaches; and the
socket-unit variant, reproduced with systemd-socket-activate, does too, with the local socket left plain."""
import json
import re
import shlex
import subprocess

import pytest

from harness import Dockerd, client_env, dockgate, docker_clis, free_port, run_docker
from setup_roots import FIXTURES, snapshot, stage


def staged_host(tmp_path, daemon_json="daemon-other-keys.json"):
    root = stage(tmp_path / "root", {"/lib/systemd/system/docker.service": "test-docker.service",
                                     "/etc/docker/daemon.json": daemon_json})
    pki = tmp_path / "pki"
    dockgate("certs", "init", "--dir", pki)
    # The certificates live at the same absolute path in the staged root as on this machine, so that the
    # daemon.json setup writes names files the real dockerd below can open.
    (root / pki.relative_to("/")).parent.mkdir(parents=True, exist_ok=True)
    (root / pki.relative_to("/")).symlink_to(pki)
    return root, pki


def exec_start(drop_in_text):
    lines = [l for l in drop_in_text.splitlines() if l.startswith("ExecStart=")]
    assert lines[0] == "ExecStart=", "the drop-in must clear ExecStart= first"
    return shlex.split(lines[-1][len("ExecStart="):])


def docker_version_over_tls(port, pki, tmp_path):
    env = client_env(f"tcp://127.0.0.1:{port}", pki / "clients" / "admin", tmp_path / "config")
    for cli in docker_clis():
        out = run_docker(cli, ["version", "--format", "{{.Server.Version}}"], env)
        assert out.returncode == 0, out.stderr
        assert re.match(r"\d+\.\d+", out.stdout)


def test_daemon_json_and_drop_in_start_dockerd_with_mutual_tls(tmp_path):
    root, pki = staged_host(tmp_path)
    port = free_port()
    sock = tmp_path / "docker.sock"
    args = ["setup", "dockerd", "--root", root, "--certs", pki, "-H", f"unix://{sock}", "-H", f"tcp://127.0.0.1:{port}"]

    dry = dockgate(*args, "--dry-run").stdout
    assert "+++ b/etc/docker/daemon.json" in dry and '+  "tlsverify": true,' in dry
    assert "new file /etc/systemd/system/docker.service.d/dockgate-remote.conf (mode 0644)" in dry
    assert not (root / "etc/systemd/system/docker.service.d").exists(), "--dry-run wrote something"

    out = dockgate(*args).stdout
    assert "updated /etc/docker/daemon.json" in out and "systemctl restart docker" in out
    config = json.loads((root / "etc/docker/daemon.json").read_text())
    assert list(config) == ["max-concurrent-downloads", "features", "labels", "shutdown-timeout", "hosts",
                            "tlsverify", "tlscacert", "tlscert", "tlskey"]
    assert config["features"] == {"buildkit": False} and config["labels"] == ["team=platform", "zone=b"]
    assert config["hosts"] == [f"unix://{sock}", f"tcp://127.0.0.1:{port}"]
    assert config["tlscert"] == str(pki / "server-cert.pem")
    backups = list((root / "etc/docker").glob("daemon.json.dockgate-backup-*"))
    assert len(backups) == 1 and json.loads(backups[0].read_text())["max-concurrent-downloads"] == 3

    drop_in = (root / "etc/systemd/system/docker.service.d/dockgate-remote.conf").read_text()
    argv = exec_start(drop_in)
    assert argv == ["/usr/sbin/dockerd", "--log-level=info", "$DOCKER_OPTS"]

    before = snapshot(root)
    again = dockgate(*args).stdout
    assert again.startswith("Nothing to change")
    assert snapshot(root) == before

    # The proof: dockerd with that config file and those flags. /etc/default/docker does not exist here,
    # so systemd would drop $DOCKER_OPTS; the harness adds only its private data root and exec root.
    flags = [a for a in argv[1:] if a != "$DOCKER_OPTS"]
    with Dockerd([*flags, f"--config-file={root / 'etc/docker/daemon.json'}"]) as engine:
        engine.start(wait_for_port=port)
        docker_version_over_tls(port, pki, tmp_path)
        # No certificate, no entry.
        env = {"DOCKER_HOST": f"tcp://127.0.0.1:{port}", "DOCKER_CONFIG": str(tmp_path / "config")}
        refused = run_docker(docker_clis()[0], ["version"], env)
        assert refused.returncode != 0
        # The local socket stays plain for local clients.
        local = run_docker(docker_clis()[0], ["-H", f"unix://{sock}", "version", "--format", "{{.Server.Version}}"], env)
        assert local.returncode == 0, local.stderr


def test_socket_unit_reproduced_with_systemd_socket_activate(tmp_path):
    root, pki = staged_host(tmp_path)
    port = free_port()
    sock = tmp_path / "docker.sock"
    dockgate("setup", "dockerd", "--socket-unit", "--root", root, "--certs", pki,
             "-H", f"unix://{sock}", "-H", f"tcp://127.0.0.1:{port}")
    unit = (root / "etc/systemd/system/docker-tcp.socket").read_text()
    listen = re.findall(r"^ListenStream=(.*)$", unit, re.M)
    assert listen == [f"127.0.0.1:{port}"] and "Service=docker.service" in unit
    drop_in = (root / "etc/systemd/system/docker.service.d/dockgate-remote.conf").read_text()
    assert "Requires=docker-tcp.socket" in drop_in and "After=docker-tcp.socket" in drop_in
    argv = exec_start(drop_in)
    assert argv[:5] == ["/usr/sbin/dockerd", "-H", "fd://", "-H", f"unix://{sock}"]
    assert "hosts" not in json.loads((root / "etc/docker/daemon.json").read_text())

    flags = [a for a in argv[1:] if a != "$DOCKER_OPTS"]
    wrapper = ["systemd-socket-activate", *[f"--listen={l}" for l in listen]]
    with Dockerd([*flags, f"--config-file={root / 'etc/docker/daemon.json'}"], wrapper=wrapper) as engine:
        engine.start(wait=False)
        # The first connection makes systemd-socket-activate start dockerd, which takes the socket over TLS.
        docker_version_over_tls(port, pki, tmp_path)
        env = {"DOCKER_CONFIG": str(tmp_path / "config")}
        local = run_docker(docker_clis()[0], ["-H", f"unix://{sock}", "version", "--format", "{{.Server.Version}}"], env)
        assert local.returncode == 0, local.stderr


def test_refusals_change_nothing(tmp_path):
    root, pki = staged_host(tmp_path)
    before = snapshot(root)

    plain = dockgate("setup", "dockerd", "--root", root, "--certs", pki, "--tls=false", "-H", "tcp://0.0.0.0:2375",
                     check=False)
    assert plain.returncode == 1
    assert "refusing -H tcp://0.0.0.0:2375 without TLS: anyone who can reach that port is root" in plain.stderr
    assert "--allow-insecure-tcp" in plain.stderr
    forced = dockgate("setup", "dockerd", "--root", root, "--tls=false", "-H", "tcp://0.0.0.0:2375",
                      "--allow-insecure-tcp", "--dry-run")
    assert '"tcp://0.0.0.0:2375"' in forced.stdout

    no_pki = dockgate("setup", "dockerd", "--root", root, "--certs", tmp_path / "nowhere", check=False)
    assert "server-cert.pem does not exist" in no_pki.stderr or "ca.pem does not exist" in no_pki.stderr
    assert "dockgate certs init" in no_pki.stderr
    assert snapshot(root) == before

    (root / "etc/docker/daemon.json").write_text((FIXTURES / "daemon-broken.json").read_text())
    broken_before = snapshot(root)
    broken = dockgate("setup", "dockerd", "--root", root, "--certs", pki, check=False)
    assert broken.returncode == 1
    assert "/etc/docker/daemon.json: invalid JSON at line 3, column 28" in broken.stderr
    assert snapshot(root) == broken_before


@pytest.mark.parametrize("key,flag", [("hosts", None), ("log-level", "--log-level=info")])
def test_a_key_the_unit_also_sets_is_refused(tmp_path, key, flag):
    root, pki = staged_host(tmp_path)
    if key == "log-level":
        (root / "etc/docker/daemon.json").write_text('{"log-level": "debug"}\n')
        proc = dockgate("setup", "dockerd", "--root", root, "--certs", pki, check=False)
        assert proc.returncode == 1
        assert f"would both set log-level (flag {flag})" in proc.stderr
    else:
        (root / "etc/default").mkdir(parents=True)
        (root / "etc/default/docker").write_text('DOCKER_OPTS="-H tcp://0.0.0.0:2375"\n')
        proc = dockgate("setup", "dockerd", "--root", root, "--certs", pki, check=False)
        assert proc.returncode == 1 and "DOCKER_OPTS in /etc/default/docker" in proc.stderr
