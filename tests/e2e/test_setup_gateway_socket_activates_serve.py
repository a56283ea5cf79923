"""`dockgate setup gateway` on a staged host: the units pass systemd's own checks (systemd-analyze verify
and its sandbox score), an existing config keeps its keys, a second run changes nothing; and the socket
unit's ListenStream, reproduced with systemd-socket-activate, starts the service's ExecStart (dockgate serve
with the generated config, -H fd:// from it) so that the docker CLI reaches the engine through it."""
import json
import re
import shlex
import shutil
import stat
import subprocess

from harness import DOCKGATE, client_env, dockgate, docker_clis, free_port, run_docker
from setup_roots import snapshot, stage


def unit_values(text, key):
    return re.findall(rf"^{key}=(.*)$", text, re.M)


def test_units_config_and_state_dir(tmp_path):
    root = stage(tmp_path / "root", {"/etc/dockgate/dockgate.json": '{\n  "policy": "/etc/dockgate/policy.json"\n}\n'})
    args = ["setup", "gateway", "--root", root, "--binary", "/usr/local/bin/dockgate"]
    out = dockgate(*args).stdout
    assert "systemctl enable --now dockgate.socket dockgate.service" in out

    units = root / "etc/systemd/system"
    service = (units / "dockgate.service").read_text()
    socket_unit = (units / "dockgate.socket").read_text()
    assert unit_values(socket_unit, "ListenStream") == ["2376"] and "BindIPv6Only=both" in socket_unit
    assert unit_values(service, "Type") == ["notify"]
    assert unit_values(service, "ExecStart") == ["/usr/local/bin/dockgate serve --config-file /etc/dockgate/dockgate.json"]
    assert unit_values(service, "CapabilityBoundingSet") == [""] and "ProtectSystem=strict" in service
    config = json.loads((root / "etc/dockgate/dockgate.json").read_text())
    assert config == {"policy": "/etc/dockgate/policy.json", "hosts": ["fd://"], "audit-log": "journal"}
    for f in ("etc/systemd/system/dockgate.service", "etc/systemd/system/dockgate.socket", "etc/dockgate/dockgate.json"):
        assert stat.S_IMODE((root / f).stat().st_mode) == 0o644
    assert stat.S_IMODE((root / "var/lib/dockgate").stat().st_mode) == 0o700

    before = snapshot(root)
    assert dockgate(*args).stdout.startswith("Nothing to change")
    assert dockgate(*args, "--dry-run").stdout.startswith("Nothing to change")
    assert snapshot(root) == before

    # systemd's own reading of the units. verify wants the ExecStart binary to exist, so it gets a copy of
    # the service that runs this build's binary; everything else is as written.
    check_dir = tmp_path / "verify"
    check_dir.mkdir()
    (check_dir / "dockgate.service").write_text(service.replace("/usr/local/bin/dockgate", DOCKGATE))
    shutil.copy(units / "dockgate.socket", check_dir / "dockgate.socket")
    verify = subprocess.run(["systemd-analyze", "verify", "--man=no", check_dir / "dockgate.socket",
                             check_dir / "dockgate.service"], capture_output=True, text=True, cwd=check_dir)
    assert verify.returncode == 0 and verify.stderr == "", verify.stderr
    security = subprocess.run(["systemd-analyze", "security", "--offline=true", check_dir / "dockgate.service"],
                              capture_output=True, text=True, cwd=check_dir)
    level = float(re.search(r"Overall exposure level for dockgate.service: ([\d.]+)", security.stdout).group(1))
    assert level <= 2.5, security.stdout

    # A config that sets listeners of its own is named, not overwritten.
    (root / "etc/dockgate/dockgate.json").write_text('{"hosts": ["tcp://0.0.0.0:2376"]}\n')
    bad = dockgate(*args, check=False)
    assert bad.returncode == 1 and '"hosts" is ["tcp://0.0.0.0:2376"]' in bad.stderr

    # The sandbox would hide a binary in a home directory or /tmp.
    hidden = dockgate("setup", "gateway", "--root", root, "--binary", "/root/dockgate", check=False)
    assert "ProtectHome, PrivateTmp" in hidden.stderr


def test_socket_activation_as_the_units_describe_it(engine, tmp_path):
    port = free_port()
    root = stage(tmp_path / "root", {"/etc/dockgate/dockgate.json": json.dumps({"upstream": engine.host, "audit-log": "-"}) + "\n"})
    dockgate("setup", "gateway", "--root", root, "--binary", "/usr/local/bin/dockgate", "-H", f"tcp://127.0.0.1:{port}")
    units = root / "etc/systemd/system"
    listen = unit_values((units / "dockgate.socket").read_text(), "ListenStream")
    assert listen == [f"127.0.0.1:{port}"]
    service = (units / "dockgate.service").read_text()
    argv = shlex.split(unit_values(service, "ExecStart")[0])
    env = dict(e.split("=", 1) for e in unit_values(service, "Environment"))
    assert env == {"DOCKGATE_STATE_DIR": "/var/lib/dockgate"}

    # The operator's first step, certificates, into the state directory (staged under the root).
    state = root / "var/lib/dockgate"
    dockgate("certs", "init", "--dir", state)
    # Paths of the configured machine are under the staged root on this one, and the binary is this build's.
    assert argv[0] == "/usr/local/bin/dockgate"
    argv = [DOCKGATE, *[root / a.lstrip("/") if a.startswith("/etc/") else a for a in argv[1:]]]
    wrapper = ["systemd-socket-activate", *[f"--listen={l}" for l in listen], f"--setenv=DOCKGATE_STATE_DIR={state}"]
    log, audit = tmp_path / "serve.log", tmp_path / "audit.jsonl"
    proc = subprocess.Popen([*wrapper, *map(str, argv)], stdout=open(audit, "w"), stderr=open(log, "w"),
                            start_new_session=True)
    try:
        # The first connection makes systemd-socket-activate start the gateway on the socket it holds.
        client = client_env(f"tcp://127.0.0.1:{port}", state / "clients" / "admin", tmp_path / "config")
        for cli in docker_clis():
            out = run_docker(cli, ["run", "--rm", "busybox", "echo", "through dockgate.socket"], client)
            assert out.returncode == 0, out.stderr + log.read_text()
            assert out.stdout == "through dockgate.socket\n"
        assert '"msg":"listening"' in log.read_text() and "fd://" in log.read_text()
        assert "/containers/create" in audit.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
