"""The docker CLIs, configured only by DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, work through
`dockgate serve` (first-run auto-TLS on tcp://127.0.0.1:PORT) as they do against dockerd itself."""
import hashlib
import select
import subprocess
import time

import pytest

from harness import docker_clis, run_docker, tls_client_env

CLIS = docker_clis()


@pytest.fixture(params=CLIS, ids=lambda c: c.replace("/", "_"))
def docker(request, gateway, tmp_path):
    env = tls_client_env(gateway.port, gateway.cert_path, tmp_path / "config")
    cli = request.param

    def run(*args, input=None, timeout=120):
        proc = subprocess.run([cli, *args], capture_output=True, text=True, env=env, input=input, timeout=timeout)
        assert proc.returncode == 0, f"docker {' '.join(args)} failed:\n{proc.stderr}"
        return proc.stdout

    run.cli, run.env = cli, env
    return run


def test_version_info_ps_images(docker):
    assert "20.10" in docker("version", "--format", "{{.Server.Version}}")
    assert docker("info", "--format", "{{.Driver}}").strip() == "vfs"
    docker("ps", "-a")
    assert "busybox" in docker("images")


def test_run_prints_output(docker):
    assert docker("run", "--rm", "busybox", "echo", "hello from busybox") == "hello from busybox\n"


def test_stdin_half_close_ends_cat(docker):
    # The CLI half-closes after "hi"; cat only exits if that end reaches the container.
    assert docker("run", "-i", "--rm", "busybox", "cat", input="hi\n", timeout=30) == "hi\n"


def test_run_t_under_a_pseudo_terminal(docker):
    cmd = f"{docker.cli} run -t --rm busybox sh -c 'tty; echo tty-ok'"
    proc = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, text=True, env=docker.env,
                          stdin=subprocess.DEVNULL, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "/dev/pts/" in proc.stdout and "tty-ok" in proc.stdout


def test_exec_i_logs_f_stats_cp(docker, tmp_path):
    name = f"flows-{abs(hash(docker.cli)) % 10000}"
    docker("run", "-d", "--name", name, "busybox", "sh", "-c",
           "i=0; while [ $i -lt 40 ]; do echo line $i; i=$((i+1)); sleep 0.25; done; sleep 600")
    try:
        assert docker("exec", "-i", name, "cat", input="to exec\n", timeout=30) == "to exec\n"

        # logs -f: lines arrive while the container is still writing them.
        started = time.monotonic()
        logs = subprocess.Popen([docker.cli, "logs", "-f", name], stdout=subprocess.PIPE, text=True, env=docker.env)
        try:
            first = logs.stdout.readline()
            seen = [first]
            while len(seen) < 5:
                seen.append(logs.stdout.readline())
            assert first.startswith("line "), first
            assert time.monotonic() - started < 8
            assert logs.poll() is None, "logs -f ended while the container still runs"
        finally:
            logs.kill()
            logs.wait()

        stats = docker("stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", name)
        assert stats.startswith(name)

        src = tmp_path / "in.txt"
        src.write_text("copied in\n")
        docker("cp", str(src), f"{name}:/tmp/in.txt")
        assert docker("exec", name, "cat", "/tmp/in.txt") == "copied in\n"
        docker("cp", f"{name}:/bin/busybox", str(tmp_path / "busybox.out"))
        assert hashlib.sha256((tmp_path / "busybox.out").read_bytes()).digest() == hashlib.sha256(
            open("/bin/busybox", "rb").read()).digest()
    finally:
        docker("rm", "-f", name)


def test_events_arrive_within_a_second(docker):
    events = subprocess.Popen([docker.cli, "events", "--format", "{{.Action}} {{.Actor.Attributes.name}}"],
                              stdout=subprocess.PIPE, text=True, env=docker.env)
    try:
        time.sleep(1.0)  # let the subscription reach the engine
        name = f"ev-{abs(hash(docker.cli)) % 10000}"
        docker("create", "--name", name, "busybox", "true")
        created = time.monotonic()
        ready, _, _ = select.select([events.stdout], [], [], 1.0)
        assert ready, "no event within a second of `docker create`"
        line = events.stdout.readline()
        assert time.monotonic() - created < 1.0
        assert line.split() == ["create", name]
        docker("rm", name)
    finally:
        events.kill()
        events.wait()


def test_build_the_seed_dockerfile(docker, tmp_path):
    # The Dockerfile of the seed tutorial (shared/seeds/004): COPY a file in, cat it.
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "test.txt").write_text("hello!\n")
    (ctx / "Dockerfile").write_text("FROM busybox\n\nCOPY ./test.txt /\n\nCMD cat /test.txt\n")
    tag = f"seed-build-{abs(hash(docker.cli)) % 10000}"
    docker("build", "-t", tag, str(ctx), timeout=300)
    assert docker("run", "--rm", tag) == "hello!\n"
    docker("rmi", tag)
