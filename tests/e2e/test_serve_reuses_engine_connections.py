"""Engine connections that finished clients leave at rest carry the next clients' first requests (the
docker CLI opens a connection per command), and nothing a client leaves unfinished reaches another: a
stream cut short, a tunnel, or an engine restarted under the idle connections."""
import json
import subprocess
import time

from harness import Engine, Gateway, docker_clis, free_port, import_busybox, run_docker, tls_client_env

CLI = docker_clis()[0]


def engine_connections(gateway, since=0):
    """The engine_connection field of each request the gateway logged (debug), after the first `since`."""
    found = []
    for line in gateway.log_text().splitlines():
        if '"msg":"request"' in line:
            found.append(json.loads(line)["engine_connection"])
    return found[since:]


def docker(env, *args, input=None, timeout=60):
    proc = subprocess.run([CLI, *args], capture_output=True, text=True, env=env, input=input, timeout=timeout)
    assert proc.returncode == 0, f"docker {' '.join(args)} failed:\n{proc.stderr}"
    return proc.stdout


def test_sequential_commands_share_one_engine_connection(gateway, tmp_path):
    env = tls_client_env(gateway.port, gateway.cert_path, tmp_path / "config")
    before = len(engine_connections(gateway))
    for _ in range(4):
        assert docker(env, "version", "--format", "{{.Server.Version}}").startswith("20.10")
    used = engine_connections(gateway, before)
    # Every command after the first starts on the connection the one before left; its later requests
    # stay on it.
    assert used.count("opened") <= 1, used
    assert used.count("reused") >= 3, used
    assert set(used) <= {"opened", "reused", "kept"}, used


def test_what_a_client_leaves_unfinished_reaches_no_other(gateway, tmp_path):
    env = tls_client_env(gateway.port, gateway.cert_path, tmp_path / "config")
    name = "reuse-ticker"
    docker(env, "run", "-d", "--name", name, "busybox", "sh", "-c", "while true; do echo tick; sleep 2; done")
    mark = len(gateway.log_text())
    try:
        for _ in range(2):
            # A log stream cut after its first line. The gateway notices when a write fails, on the second
            # tick after the cut (the first only draws the client's reset), and must not leave that
            # connection for others: between ticks the engine's end is silent, so a request sent on it
            # would wait for the next tick and then read log frames as its answer.
            logs = subprocess.Popen([CLI, "logs", "-f", "--tail", "1", name], stdout=subprocess.PIPE, text=True,
                                    env=env)
            assert logs.stdout.readline().strip() == "tick"
            logs.kill()
            logs.wait()
            time.sleep(5)
            for _ in range(2):
                assert docker(env, "inspect", "--format", "{{.Name}}", name, timeout=20).strip() == f"/{name}"
                assert docker(env, "version", "--format", "{{.Server.Os}}", timeout=20).strip() == "linux"
            # An event stream cut while nothing has happened yet, and a tunnel (attach) the container ends.
            events = subprocess.Popen([CLI, "events"], stdout=subprocess.PIPE, env=env)
            time.sleep(1)
            events.kill()
            events.wait()
            assert docker(env, "run", "--rm", "-i", "busybox", "cat", input="through the tunnel\n") == (
                "through the tunnel\n")
            assert docker(env, "version", "--format", "{{.Server.Os}}", timeout=20).strip() == "linux"
        # Every request was answered on the first engine connection it tried.
        assert "retrying on a new engine connection" not in gateway.log_text()[mark:]
    finally:
        docker(env, "rm", "-f", name)


def test_an_engine_restart_under_idle_connections_costs_no_request(tmp_path):
    engine = Engine()
    engine.start()
    try:
        import_busybox(engine.host)
        port = free_port()
        gateway = Gateway([f"-H=tcp://127.0.0.1:{port}", f"--upstream={engine.host}"], tmp_path / "state")
        gateway.start(wait_for_port=port)
        try:
            env = tls_client_env(port, tmp_path / "state" / "clients" / "admin", tmp_path / "config")
            for _ in range(2):
                docker(env, "version")
            assert "reused" in engine_connections(gateway)

            # The connections at rest die with the engine; a new engine on the same socket.
            engine.proc.terminate()
            engine.proc.wait(timeout=30)
            engine.log.close()
            engine.start()
            before = len(engine_connections(gateway))
            for cli in docker_clis():
                r = run_docker(cli, ["version", "--format", "{{.Server.Version}}"], env)
                assert r.returncode == 0 and r.stdout.startswith("20.10"), r.stderr
                # A request with a body right away: it never takes an idle connection.
                r = run_docker(cli, ["run", "--rm", "busybox", "echo", "after the restart"], env)
                assert r.returncode == 0 and r.stdout == "after the restart\n", r.stderr
            assert "opened" in engine_connections(gateway, before)
        finally:
            gateway.stop()
    finally:
        engine.stop()
