"""Objects an administrator made with what the sandbox refuses to create: a container with a host bind, an exec
made with --privileged, a volume that binds a host directory. The operator may not use them (exec, attach,
cp in or out, start, restart, update, start the exec, mount the volume), and afterwards the engine, asked
over its own socket, shows that nothing ran, changed or was written. The same requests on objects made the
ordinary way are allowed."""
import json
import subprocess
import threading

import pytest

from harness import CP_REFUSED, docker_clis, docker_cp_is_safe_on, policy_gateway, read_response, tls_client_env, \
    tls_socket


@pytest.fixture(scope="module")
def host(engine, tmp_path_factory):
    base = tmp_path_factory.mktemp("escaping")
    hostdir = base / "host-files"  # stands in for the host's root: outside every bind prefix
    hostdir.mkdir()
    (hostdir / "secret").write_text("host-secret\n")

    def admin(*args, check=True):
        r = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60,
                           env={"DOCKER_HOST": engine.host, "PATH": "/usr/local/bin:/usr/bin:/bin"})
        assert r.returncode == 0 or not check, r.stderr
        return r.stdout.strip()

    admin("run", "-d", "--name", "agent", "-v", f"{hostdir}:/host", "busybox", "sleep", "600")
    admin("create", "--name", "agent-stopped", "-v", f"{hostdir}:/host", "busybox", "sleep", "600")
    admin("run", "-d", "--name", "plain", "busybox", "sleep", "600")
    admin("volume", "create", "--opt", "type=none", "--opt", "o=bind", "--opt", f"device={hostdir}", "bindvol")
    admin("volume", "create", "plainvol")
    # dave's role allows every endpoint and keeps the sandbox, as a custom role does unless it says otherwise.
    g = policy_gateway(engine, base, {"roles": {"wide": {"rules": [{"allow": ["*"]}]}},
                                      "bindings": [{"identities": ["bob"], "role": "operator"},
                                                   {"identities": ["dave"], "role": "wide"}]}, ["bob", "dave"])
    yield {"port": g.port, "state": g.state, "base": base, "hostdir": hostdir, "admin": admin}
    g.stop()


def bob(host, *args, cli=None):
    env = tls_client_env(host["port"], host["state"] / "clients" / "bob", host["base"] / "config-bob")
    return subprocess.run([cli or docker_clis()[0], *args], capture_output=True, text=True, env=env, timeout=60)


def raw(host, method, path, body=b"", client="bob"):
    with tls_socket(host["port"], cert_path=host["state"] / "clients" / client) as s:
        s.settimeout(10)
        head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        s.sendall(head.encode() + b"\r\n" + body)
        status, _, answer = read_response(s)
        return status, answer


def inspect(host, kind, name):
    return json.loads(host["admin"](kind, "inspect", name))[0]


BIND = "HostConfig.Binds binds host path"


@pytest.mark.parametrize("cli", docker_clis(), ids=lambda c: c.replace("/", "_"))
def test_operator_cannot_use_an_admins_container_with_a_host_bind(host, cli, tmp_path):
    (tmp_path / "payload").write_text("x\n")
    before = inspect(host, "container", "agent")
    refused = {
        "exec": bob(host, "exec", "agent", "cat", "/host/secret", cli=cli),
        "cp out": bob(host, "cp", "agent:/host/secret", str(tmp_path / "copied"), cli=cli),
        "cp in": bob(host, "cp", str(tmp_path / "payload"), "agent:/host/payload", cli=cli),
        "restart": bob(host, "restart", "agent", cli=cli),
        "update": bob(host, "update", "--memory", "64m", "--memory-swap", "128m", "agent", cli=cli),
        "start": bob(host, "start", "agent-stopped", cli=cli),
    }
    for what, r in refused.items():
        assert r.returncode != 0, what
        assert 'container "agent' in r.stderr and BIND in r.stderr and "CN=bob (role operator)" in r.stderr, \
            (what, r.stderr)
        assert "host-secret" not in r.stdout, what
    status, answer = raw(host, "POST", "/v1.41/containers/agent/attach?stream=1&stdout=1&logs=1")
    assert status == 403 and BIND.encode() in answer, answer
    assert not (tmp_path / "copied").exists() and not (host["hostdir"] / "payload").exists()
    after = inspect(host, "container", "agent")
    assert after["ExecIDs"] is None, "an exec was created in the admin's container"
    assert after["State"]["StartedAt"] == before["State"]["StartedAt"], "the container was restarted"
    assert after["HostConfig"]["Memory"] == 0, "the container was updated"
    assert inspect(host, "container", "agent-stopped")["State"]["Running"] is False


def engine_api(engine, path, body=None):
    """Asks the engine itself, over its own socket."""
    args = ["curl", "-sf", "--unix-socket", str(engine.socket), f"http://engine{path}"]
    if body is not None:
        args += ["-XPOST", "-H", "Content-Type: application/json", "-d", body]
    return json.loads(subprocess.run(args, capture_output=True, text=True, check=True, timeout=30).stdout)


def test_operator_cannot_start_an_admins_privileged_exec(host, engine):
    exec_id = engine_api(engine, "/containers/plain/exec", '{"Cmd":["true"],"Privileged":true}')["Id"]
    status, answer = raw(host, "POST", f"/v1.41/exec/{exec_id}/start", b'{"Detach":true}')
    assert status == 403 and b"runs privileged" in answer, answer
    started = engine_api(engine, f"/exec/{exec_id}/json")
    assert started["Running"] is False and started["ExitCode"] is None and started["Pid"] == 0, started


def test_operator_cannot_mount_an_admins_volume_that_binds_the_host(host):
    for args in (["-v", "bindvol:/x"], ["--mount", "type=volume,source=bindvol,target=/x"]):
        r = bob(host, "run", "--rm", *args, "busybox", "sh", "-c", "cat /x/secret; touch /x/owned")
        assert r.returncode != 0 and 'volume "bindvol" Options' in r.stderr, r.stderr
        assert "host-secret" not in r.stdout
    assert not (host["hostdir"] / "owned").exists()
    names = [c for c in host["admin"]("ps", "-aq", "--filter", "volume=bindvol").split()]
    assert len(names) == 0, "a container mounting bindvol was created"


def test_the_same_requests_on_ordinary_objects_are_allowed(host, engine, tmp_path):
    (tmp_path / "payload").write_text("payload\n")
    assert bob(host, "exec", "plain", "true").returncode == 0
    put = bob(host, "cp", str(tmp_path / "payload"), "plain:/tmp/payload")
    got = bob(host, "cp", "plain:/tmp/payload", str(tmp_path / "back"))
    if docker_cp_is_safe_on(engine.host):
        assert put.returncode == 0, put.stderr
        assert got.returncode == 0 and (tmp_path / "back").read_text() == "payload\n", got.stderr
    else:  # docker cp itself is refused on this engine, by name
        assert put.returncode != 0 and CP_REFUSED in put.stderr, put.stderr
        assert got.returncode != 0 and CP_REFUSED in got.stderr and not (tmp_path / "back").exists(), got.stderr
    assert bob(host, "restart", "-t", "0", "plain").returncode == 0
    for volume in ("plainvol", "fresh-by-operator"):
        r = bob(host, "run", "--rm", "-v", f"{volume}:/v", "busybox", "sh", "-c", "echo ok > /v/f && cat /v/f")
        assert r.returncode == 0 and r.stdout == "ok\n", r.stderr
    assert inspect(host, "volume", "fresh-by-operator")["Options"] is None
    # A container that does not exist is the engine's 404, answered by the gateway (forwarding the name could
    # reach a container given that name meanwhile).
    status, answer = raw(host, "POST", "/v1.41/containers/no-such-thing/start")
    assert status == 404 and 'container "no-such-thing" does not exist' in json.loads(answer)["message"], answer


def test_a_name_moved_between_judging_and_use_reaches_nothing(host, engine):
    """The engine tries a name before an ID prefix: an operator's container named like the admin container's
    ID prefix, renamed away and back in a loop, once let a judged request land on the admin's container
    (13 in 100 copies out). The request is forwarded naming the judged container by its full ID. Execs
    are made here, since docker cp is refused outright on engines before 29.5.1."""
    agent_id = engine_api(engine, "/containers/agent/json")["Id"]
    alias = agent_id[:12]
    status, answer = raw(host, "POST", f"/v1.41/containers/create?name={alias}",
                         b'{"Image":"busybox","Cmd":["sleep","600"]}')
    assert status == 201, answer
    status, answer = raw(host, "POST", f"/v1.41/containers/{alias}/start")
    assert status == 204, answer
    stop = threading.Event()

    def flip():
        while not stop.is_set():
            raw(host, "POST", f"/v1.41/containers/{alias}/rename?name=moved-away")
            raw(host, "POST", f"/v1.41/containers/moved-away/rename?name={alias}")

    flipper = threading.Thread(target=flip)
    flipper.start()
    try:
        answers = [raw(host, "POST", f"/v1.41/containers/{alias}/exec", b'{"Cmd":["cat","/host/secret"]}')
                   for _ in range(100)]
    finally:
        stop.set()
        flipper.join()
    # 201: an exec in the operator's own container; 404: the name was away; 403: the name was away and the
    # engine's prefix lookup gave the admin's container, which was judged.
    assert {s for s, _ in answers} <= {201, 403, 404}, {s for s, _ in answers}
    assert 201 in {s for s, _ in answers}, "no exec was made in the operator's own container"
    assert inspect(host, "container", "agent")["ExecIDs"] is None, "an exec reached the admin's container"


def test_no_container_takes_the_name_of_a_full_id(host, engine):
    """A judged request is forwarded naming its container by full ID; once that container is removed the
    engine would read the ID as a name, which an operator could have given to the admin's container."""
    status, answer = raw(host, "POST", "/v1.41/containers/create?name=victim-a",
                         b'{"Image":"busybox","Cmd":["sleep","600"]}')
    assert status == 201, answer
    victim_id = json.loads(answer)["Id"]
    for path in (f"/v1.41/containers/agent/rename?name={victim_id}", f"/v1.41/containers/create?name={victim_id}"):
        status, answer = raw(host, "POST", path, b'{"Image":"busybox"}')
        assert status == 403 and "has the form of a container ID" in json.loads(answer)["message"], answer
    assert engine_api(engine, "/containers/agent/json")["Name"] == "/agent"


def test_a_sandboxed_role_reaches_no_endpoint_dockgate_does_not_know(host):
    """Before API 1.24 the engine copied files out through POST /containers/{id}/copy, which dockgate has no
    endpoint for: a role whose rules allow everything, but which keeps the sandbox, is refused it (and every
    other path dockgate does not know) rather than let through unjudged."""
    body = json.dumps({"Resource": "/host/secret"}).encode()
    for path in ("/v1.23/containers/agent/copy", "/v1.41/containers/agent/copy", "/v1.41/no/such/endpoint"):
        status, answer = raw(host, "POST", path, body, client="dave")
        assert status == 403, (path, status, answer)
        assert b"CN=dave (role wide)" in answer and b"one dockgate does not know" in answer, answer
        assert b"host-secret" not in answer
    status, _ = raw(host, "GET", "/v1.41/containers/plain/json", client="dave")
    assert status == 200  # the role's rules still allow what the sandbox judges
