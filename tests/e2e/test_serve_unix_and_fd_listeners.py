"""The same client flows on a unix listener (mode 0660, group docker, no TLS: file permissions guard it) and
on sockets passed in by systemd (`systemd-socket-activate`): fd://, fd://N and fd://NAME, with mutual TLS."""
import grp
import os
import socket
import stat
import subprocess
import time

import docker as docker_py
import pytest

from harness import DOCKGATE, client_env, dockgate, docker_clis, free_port, run_docker

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def core_flows(env, tmp_path):
    for cli in docker_clis():
        version = run_docker(cli, ["version", "--format", "{{.Server.Version}}"], env)
        assert version.returncode == 0 and version.stdout.startswith("20.10"), version.stderr
        echo = run_docker(cli, ["run", "--rm", "busybox", "echo", "hello"], env)
        assert echo.stdout == "hello\n", echo.stderr
        cat = subprocess.run([cli, "run", "-i", "--rm", "busybox", "cat"], input="hi\n", capture_output=True,
                             text=True, env=env, timeout=60)
        assert cat.stdout == "hi\n", cat.stderr


def python_flows(env, monkeypatch):
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    client = docker_py.from_env(environment=env, version="1.41")
    try:
        assert client.ping()
        assert client.containers.run("busybox", ["echo", "py"], remove=True) == b"py\n"
    finally:
        client.close()


def test_unix_listener(make_gateway, tmp_path, monkeypatch):
    path = tmp_path / "gw.sock"
    make_gateway([f"-H=unix://{path}"], wait_for_socket=path)
    st = os.stat(path)
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o660
    assert st.st_gid == grp.getgrnam("docker").gr_gid
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env.update(DOCKER_HOST=f"unix://{path}", DOCKER_CONFIG=str(tmp_path / "config"))
    core_flows(env, tmp_path)
    python_flows(env, monkeypatch)


@pytest.mark.parametrize("address,fdname", [("fd://", "unused"), ("fd://3", "unused"), ("fd://api", "api")])
def test_systemd_socket_activation(make_gateway, tmp_path, monkeypatch, address, fdname):
    state = tmp_path / "state"
    dockgate("certs", "init", "--dir", state)  # the default TLS files the gateway finds in its state dir
    port = free_port()
    wrapper = ["systemd-socket-activate", f"--listen=127.0.0.1:{port}", f"--fdname={fdname}",
               f"--setenv=DOCKGATE_STATE_DIR={state}"]
    g = make_gateway([f"-H={address}"], state=state, wrapper=wrapper, start=False)
    g.start(wait_for_port=port, timeout=10, wait_for_log=False)
    env = client_env(f"tcp://127.0.0.1:{port}", state / "clients" / "admin", tmp_path / "config")
    core_flows(env, tmp_path)  # the first connection makes systemd-socket-activate start dockgate
    assert '"msg":"listening"' in g.log_text()
    assert '"tls":"mutual"' in g.log_text()
    python_flows(env, monkeypatch)


def test_fd_name_that_was_not_passed_is_named(tmp_path):
    port = free_port()
    proc = subprocess.Popen(["systemd-socket-activate", f"--listen=127.0.0.1:{port}", "--fdname=api",
                             DOCKGATE, "serve", "-H", "fd://other"], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        _, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert "fd://other: no socket activated by systemd has that name" in err
    assert "api" in err
