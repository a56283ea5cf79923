"""A client that leaves in the middle of a quiet stream (`docker events`, `docker wait`, a silent
`logs -f`) ends its exchange at once, as dockerd cancels a request whose client goes: the gateway does not
keep the engine's stream, its connection and the session until the engine's next write, which may never
come. A client that stays gets its stream as before."""
import subprocess
import time

from harness import docker_clis, tls_client_env

CLI = docker_clis()[0]
LEFT = "the client left during the response"


def docker(env, *args, timeout=60):
    proc = subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=timeout)
    assert proc.returncode == 0, f"docker {' '.join(args)} failed:\n{proc.stderr}"
    return proc.stdout


def wait_for_count(gateway, text, count, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if gateway.log_text().count(text) >= count:
            return True
        time.sleep(0.1)
    return False


def test_quiet_streams_end_when_their_client_leaves(gateway, tmp_path):
    env = tls_client_env(gateway.port, gateway.cert_path, tmp_path / "config")
    name = "quiet-stream"
    docker(env, "run", "-d", "--name", name, "busybox", "sleep", "600")
    try:
        left = gateway.log_text().count(LEFT)
        for command in (["events"], ["wait", name], ["logs", "-f", name]):
            client = subprocess.Popen([CLI, *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            time.sleep(1.5)  # the request is at the engine, which has nothing to say
            assert client.poll() is None, f"docker {command[0]} ended by itself"
            client.kill()
            client.wait()
            left += 1
            assert wait_for_count(gateway, LEFT, left, 5), f"docker {command[0]}: the gateway did not notice"
        assert docker(env, "version", "--format", "{{.Server.Os}}").strip() == "linux"
    finally:
        docker(env, "rm", "-f", name)


def test_a_client_that_stays_gets_the_stream(gateway, tmp_path):
    env = tls_client_env(gateway.port, gateway.cert_path, tmp_path / "config")
    name = "waited-for"
    docker(env, "run", "-d", "--name", name, "busybox", "sh", "-c", "sleep 2; exit 3")
    try:
        # Two seconds of silence on the stream, then the answer.
        assert docker(env, "wait", name, timeout=30).strip() == "3"
    finally:
        docker(env, "rm", "-f", name)
