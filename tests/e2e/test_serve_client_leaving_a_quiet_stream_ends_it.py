"""A client that leaves in the middle of a quiet stream (`docker events`, `docker wait`, a silent
`logs -f`, a `docker build` step that prints nothing) ends its exchange at once, as dockerd cancels a
request whose client goes: the gateway does not keep the engine's stream, its connection and the session
until the engine's next write, which may never come, and dockerd cancels the build. A client that stays
gets its stream as before."""
import subprocess
import time

from harness import docker_clis, tls_client_env

CLI = docker_clis()[0]
LEFT = "the client left during the response"


def docker(env, *args, timeout=60):
    proc = subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=timeout)
    assert proc.returncode == 0, f"docker {' '.join(args)} failed:\n{proc.stderr}"
    return proc.stdout


def wait_until(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def wait_for_count(gateway, text, count, seconds):
    return wait_until(lambda: gateway.log_text().count(text) >= count, seconds)


def step_containers(env, marker):
    """IDs of the containers (running or not) whose command holds `marker`: the build step's."""
    lines = docker(env, "ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Status}} {{.Command}}").splitlines()
    return [line for line in lines if marker in line]


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


def test_leaving_a_silent_build_step_cancels_the_build(gateway, tmp_path):
    env = tls_client_env(gateway.port, gateway.cert_path, tmp_path / "config")
    env["DOCKER_BUILDKIT"] = "0"  # the classic builder: one POST /build with the context as its body
    marker = "sleep 117"
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(f"FROM busybox\nRUN {marker}\n")
    left = gateway.log_text().count(LEFT)
    build = subprocess.Popen([CLI, "build", "--no-cache", str(ctx)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env)
    try:
        assert wait_until(lambda: any(" Up " in f" {c} " for c in step_containers(env, marker)), 60), \
            "the build step never started"
        time.sleep(1)  # the step prints nothing: the stream is quiet
        assert build.poll() is None, "docker build ended by itself"
    finally:
        build.kill()
        build.wait()
    assert wait_for_count(gateway, LEFT, left + 1, 5), "the gateway did not notice"
    # dockerd cancels the build: the step's container is killed and removed, not left to sleep on.
    assert wait_until(lambda: not step_containers(env, marker), 15), \
        f"the build step still exists: {step_containers(env, marker)}"
    assert docker(env, "version", "--format", "{{.Server.Os}}").strip() == "linux"
