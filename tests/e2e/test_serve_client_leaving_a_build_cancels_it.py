"""A client that leaves a `docker build` (the classic builder) while a step runs silently ends its exchange at
once, so that dockerd cancels the build, kills the step's container and removes it, as it does when the
client is connected to it directly: the gateway does not wait for the step's next output, which may be
minutes away."""
import subprocess
import time

from harness import docker_clis, tls_client_env

CLI = docker_clis()[0]
LEFT = "the client left during the response"


def docker(env, *args, timeout=60):
    proc = subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=timeout)
    assert proc.returncode == 0, f"docker {' '.join(args)} failed:\n{proc.stderr}"
    return proc.stdout


def step_containers(env, marker):
    """IDs of the containers (running or not) whose command holds `marker`: the build step's."""
    lines = docker(env, "ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Status}} {{.Command}}").splitlines()
    return [line for line in lines if marker in line]


def wait_until(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


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
    assert wait_until(lambda: gateway.log_text().count(LEFT) > left, 5), "the gateway did not notice"
    # dockerd cancels the build: the step's container is killed and removed, not left to sleep on.
    assert wait_until(lambda: not step_containers(env, marker), 15), \
        f"the build step still exists: {step_containers(env, marker)}"
    assert docker(env, "version", "--format", "{{.Server.Os}}").strip() == "linux"
