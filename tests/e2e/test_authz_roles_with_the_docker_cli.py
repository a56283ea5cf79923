"""Roles through the real docker CLI: an operator runs containers but nothing that escapes the sandbox; a
read-only client lists but cannot create or copy out; a monitor sees lists and events only; a client bound
to no role is denied; SIGHUP with a new policy changes decisions at once; every request is audited with the
client's identity and decision, and no credential reaches the audit log."""
import json
import os
import signal
import socket
import subprocess
import threading
import time

import pytest

from harness import Gateway, dockgate, docker_clis, free_port, read_response, tls_client_env, tls_socket

POLICY = {
    "roles": {"ci": {"extends": "operator", "bind_prefixes": ["/tmp/dockgate-ci-binds"]}},
    "bindings": [
        {"identities": ["admin"], "role": "admin"},
        {"identities": ["bob"], "role": "operator"},
        {"identities": ["group:auditors"], "role": "read-only"},
        {"identities": ["mona"], "role": "monitor"},
        {"identities": ["ci-*"], "role": "ci"},
    ],
}


@pytest.fixture(scope="module")
def setup(engine, tmp_path_factory):
    base = tmp_path_factory.mktemp("authz")
    state = base / "state"
    dockgate("certs", "init", "--dir", state)
    for name, groups in (("bob", []), ("rita", ["auditors"]), ("mona", []), ("ci-runner", []), ("eve", [])):
        dockgate("certs", "issue", "client", name, "--dir", state, *sum((["--group", g] for g in groups), []))
    policy = base / "policy.json"
    policy.write_text(json.dumps(POLICY))
    audit = base / "audit.log"
    port = free_port()
    g = Gateway([f"-H=tcp://127.0.0.1:{port}", f"--upstream={engine.host}", f"--policy={policy}",
                 f"--audit-log={audit}"], state)
    g.start(wait_for_port=port)
    yield {"gateway": g, "port": port, "state": state, "policy": policy, "audit": audit, "base": base}
    g.stop()


def docker_as(setup, name, *args, input=None, cli=None):
    env = tls_client_env(setup["port"], setup["state"] / "clients" / name, setup["base"] / f"config-{name}")
    return subprocess.run([cli or docker_clis()[0], *args], capture_output=True, text=True, env=env, input=input,
                          timeout=120)


@pytest.mark.parametrize("cli", docker_clis(), ids=lambda c: c.replace("/", "_"))
def test_operator_runs_containers_but_cannot_escape(setup, cli):
    ok = docker_as(setup, "bob", "run", "--rm", "busybox", "echo", "operator-ok", cli=cli)
    assert ok.returncode == 0 and ok.stdout == "operator-ok\n", ok.stderr
    for args, why in ((["--privileged"], "HostConfig.Privileged is set"),
                      (["-v", "/:/host"], 'HostConfig.Binds binds host path "/"'),
                      (["--pid", "host"], 'HostConfig.PidMode is "host"'),
                      (["--cap-add", "SYS_ADMIN"], "SYS_ADMIN\", which is not among the engine's default"),
                      (["--network", "host"], "HostConfig.NetworkMode names the host's network"),
                      (["--security-opt", "seccomp=unconfined"], 'HostConfig.SecurityOpt has "seccomp=unconfined"')):
        r = docker_as(setup, "bob", "run", "--rm", *args, "busybox", "true", cli=cli)
        assert r.returncode != 0
        assert "CN=bob (role operator)" in r.stderr and why in r.stderr, r.stderr


@pytest.mark.parametrize("cli", docker_clis(), ids=lambda c: c.replace("/", "_"))
def test_operator_is_not_refused_what_keeps_the_sandbox(setup, cli, engine):
    """The false positives an ordinary operator hit: each is allowed, and the engine has what was asked."""
    volume = f"tmpvol-{os.path.basename(cli)}"
    made = docker_as(setup, "bob", "volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs",
                     "--opt", "o=size=10m", volume, cli=cli)
    assert made.returncode == 0, made.stderr
    run = docker_as(setup, "bob", "run", "-d", "--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE",
                    "--sysctl", "net.ipv4.ip_unprivileged_port_start=0", "--runtime", "io.containerd.runc.v2",
                    "-v", "/data", "-v", f"{volume}:/t", "--cgroupns", "host", "busybox", "sleep", "60", cli=cli)
    assert run.returncode == 0, run.stderr
    cid = run.stdout.strip()
    try:
        env = {**os.environ, "DOCKER_HOST": engine.host}
        inspected = json.loads(subprocess.run(["docker", "inspect", cid], env=env, capture_output=True, text=True,
                                              check=True).stdout)[0]
        hc = inspected["HostConfig"]
        assert hc["CapAdd"] in (["NET_BIND_SERVICE"], ["CAP_NET_BIND_SERVICE"]) and hc["CapDrop"] in (["ALL"],)
        assert hc["Sysctls"] == {"net.ipv4.ip_unprivileged_port_start": "0"}
        assert hc["Runtime"] == "io.containerd.runc.v2" and hc["CgroupnsMode"] == "host"
        assert not hc["Privileged"]
        assert {m["Destination"] for m in inspected["Mounts"]} == {"/data", "/t"}
        vol = json.loads(subprocess.run(["docker", "volume", "inspect", volume], env=env, capture_output=True,
                                         text=True, check=True).stdout)[0]
        assert vol["Options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=10m"}
    finally:
        docker_as(setup, "admin", "rm", "-f", cid, cli=cli)
        docker_as(setup, "admin", "volume", "rm", volume, cli=cli)


def test_operator_cannot_exec_privileged(setup):
    started = docker_as(setup, "bob", "run", "-d", "busybox", "sleep", "600")
    cid = started.stdout.strip()
    try:
        assert docker_as(setup, "bob", "exec", cid, "true").returncode == 0
        r = docker_as(setup, "bob", "exec", "--privileged", cid, "true")
        assert r.returncode != 0 and "Privileged is set" in r.stderr, r.stderr
        # Root in a container the role may run as root anyway (docker run -u root) is no escape.
        r = docker_as(setup, "bob", "exec", "-u", "0", cid, "id", "-u")
        if r.returncode == 0 and r.stdout == "":
            # The engine can lose a very short exec's output (moby/moby#27289): once in a CI run, through the
            # gateway; the exec was allowed and ran, which is what this checks. Ask once more for its output.
            r = docker_as(setup, "bob", "exec", "-u", "0", cid, "sh", "-c", "id -u; sleep 0.2")
        assert r.returncode == 0 and r.stdout == "0\n", r.stderr
    finally:
        docker_as(setup, "admin", "rm", "-f", cid)


def test_custom_role_binds_its_prefix_whole(setup):
    """A role's bind prefix is bound whole: a container of the role that writes into the prefix can make a path
    inside it a symlink to the host's root, which the engine would follow when it mounts that path."""
    prefix = "/tmp/dockgate-ci-binds"
    os.makedirs(prefix, exist_ok=True)
    try:
        planted = docker_as(setup, "ci-runner", "run", "--rm", "-v", f"{prefix}:/w", "busybox",
                            "ln", "-sfn", "/", "/w/root")
        assert planted.returncode == 0, planted.stderr
        assert os.readlink(f"{prefix}/root") == "/"  # on the host, a way out of the prefix
        whole = f'inside the role\'s bind prefix "{prefix}", which is bound whole'
        r = docker_as(setup, "ci-runner", "run", "--rm", "-v", f"{prefix}/root:/h", "busybox", "ls", "/h/etc")
        assert r.returncode != 0 and whole in r.stderr and "passwd" not in r.stdout, r.stderr
        r = docker_as(setup, "ci-runner", "run", "--rm", "--mount", f"type=bind,source={prefix}/root,target=/h",
                      "busybox", "ls", "/h/etc")
        assert r.returncode != 0 and whole in r.stderr and "passwd" not in r.stdout, r.stderr
        r = docker_as(setup, "ci-runner", "run", "--rm", "-v", "/tmp/dockgate-ci-bindsX:/w", "busybox", "true")
        assert r.returncode != 0 and 'binds host path "/tmp/dockgate-ci-bindsX", outside' in r.stderr, r.stderr
    finally:
        if os.path.islink(f"{prefix}/root"):
            os.unlink(f"{prefix}/root")


def test_read_only_lists_but_cannot_create_or_copy_out(setup):
    cid = docker_as(setup, "admin", "create", "busybox", "true").stdout.strip()
    try:
        ps = docker_as(setup, "rita", "ps", "-a")
        assert ps.returncode == 0 and cid[:12] in ps.stdout
        r = docker_as(setup, "rita", "run", "--rm", "busybox", "true")
        assert r.returncode != 0 and "CN=rita (role read-only) may not POST /containers/create" in r.stderr
        r = docker_as(setup, "rita", "cp", f"{cid}:/bin/busybox", str(setup["base"] / "out"))
        assert r.returncode != 0 and "container.archive" in r.stderr, r.stderr
    finally:
        docker_as(setup, "admin", "rm", "-f", cid)


def test_monitor_and_unbound_clients(setup):
    assert docker_as(setup, "mona", "ps").returncode == 0
    r = docker_as(setup, "mona", "network", "ls")
    assert r.returncode != 0 and "role monitor" in r.stderr
    r = docker_as(setup, "eve", "ps")
    assert r.returncode != 0 and "CN=eve matches no binding" in r.stderr


def test_sighup_with_a_new_policy_changes_the_decision(setup):
    assert docker_as(setup, "eve", "ps").returncode != 0
    # A hijacked session open across the reload keeps working.
    env = tls_client_env(setup["port"], setup["state"] / "clients" / "bob", setup["base"] / "config-bob")
    session = subprocess.Popen([docker_clis()[0], "run", "-i", "--rm", "busybox", "sh", "-c", "read x; echo got $x"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    time.sleep(1.5)
    policy = json.loads(json.dumps(POLICY))
    policy["bindings"].append({"identities": ["eve"], "role": "read-only"})
    setup["policy"].write_text(json.dumps(policy))
    setup["gateway"].proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while "reloaded TLS files and policy" not in setup["gateway"].log_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert docker_as(setup, "eve", "ps").returncode == 0
    out, _ = session.communicate("across-reload\n", timeout=60)
    assert session.returncode == 0 and out == "got across-reload\n"
    # A broken policy keeps the last good one in force.
    setup["policy"].write_text("{ not json")
    setup["gateway"].proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while "reload failed" not in setup["gateway"].log_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "reload failed" in setup["gateway"].log_text()
    assert docker_as(setup, "eve", "ps").returncode == 0
    assert docker_as(setup, "bob", "run", "--rm", "--privileged", "busybox", "true").returncode != 0
    setup["policy"].write_text(json.dumps(POLICY))


def test_every_request_is_audited_without_credentials(setup):
    # A request carrying registry credentials, as `docker pull` sends them.
    docker_as(setup, "bob", "run", "--rm", "busybox", "echo", "audited")
    with tls_socket(setup["port"], cert_path=setup["state"] / "clients" / "bob") as s:
        s.sendall(b"POST /images/create?fromImage=nothing.invalid/x&tag=1 HTTP/1.1\r\nHost: x\r\n"
                  b"X-Registry-Auth: c2VjcmV0LXBhc3N3b3Jk\r\nContent-Length: 0\r\n\r\n")
        read_response(s)
    time.sleep(0.2)
    lines = [json.loads(l) for l in setup["audit"].read_text().splitlines()]
    assert lines, "the audit log is empty"
    creates = [l for l in lines if l["endpoint"] == "container.create" and l["identity"]["cn"] == "bob"]
    assert any(l["decision"] == "allow" and l["status"] == 201 for l in creates)
    assert any(l["decision"] == "deny" and l["status"] == 403 and "sandbox" in l["rule"] for l in creates)
    attaches = [l for l in lines if l["endpoint"] == "container.attach" and l["identity"]["cn"] == "bob"]
    assert attaches and all("session" in l for l in attaches)
    pulls = [l for l in lines if l["endpoint"] == "image.pull"]
    assert pulls and pulls[-1]["redacted"] == ["X-Registry-Auth"]
    text = setup["audit"].read_text()
    assert "c2VjcmV0LXBhc3N3b3Jk" not in text and "secret-password" not in text
    assert all({"time", "identity", "peer", "method", "path", "status", "decision", "rule", "bytes_in",
                "bytes_out", "duration_ms"} <= set(l) for l in lines)


def test_a_judged_body_never_takes_an_engine_connection_left_at_rest(setup):
    # A connection another client left at rest gets one retry if the engine closed it meanwhile, which a
    # judged body is not given (it is not sent twice): such a request opens its own.
    def engine_connection_of(method, path, after=0):
        # The gateway logs a request once it has relayed the answer, so the line may follow the client's
        # read of it by a moment: wait for it (for a line past the `after` lines seen before).
        deadline = time.monotonic() + 5
        while True:
            lines = setup["gateway"].log_text().splitlines()
            for line in reversed(lines[after:]):
                if '"msg":"request"' in line:
                    event = json.loads(line)
                    if event["method"] == method and event["target"].startswith(path):
                        return event["engine_connection"]
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)

    cert_path = setup["state"] / "clients" / "bob"
    with tls_socket(setup["port"], cert_path=cert_path) as s:
        s.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(s)[0] == 200
    time.sleep(0.3)  # the connection it used is at rest now
    seen = len(setup["gateway"].log_text().splitlines())
    body = json.dumps({"Image": "busybox", "Cmd": ["true"]}).encode()
    with tls_socket(setup["port"], cert_path=cert_path) as s:
        s.sendall(b"POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        status, _, answer = read_response(s)
    assert status == 201, answer
    assert engine_connection_of("POST", "/containers/create", seen) == "opened"
    seen = len(setup["gateway"].log_text().splitlines())
    with tls_socket(setup["port"], cert_path=cert_path) as s:
        s.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(s)[0] == 200
    assert engine_connection_of("GET", "/version", seen) == "reused"  # bodiless requests still take one
    docker_as(setup, "bob", "rm", json.loads(answer)["Id"])


def test_read_only_cannot_make_the_engine_connect_out_or_read_join_tokens(setup):
    """Engine-initiated outbound requests go where the request says; a listener on loopback stands in for
    an attacker's address and must see no connection from the engine for read-only requests."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    addr = f"127.0.0.1:{listener.getsockname()[1]}"
    connections = []
    stop = threading.Event()

    def accept():  # closes each connection at once, so the engine fails fast
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                connections.append(time.monotonic())
                conn.close()
            except socket.timeout:
                pass

    def send_as(name, method, path, body=b""):
        with tls_socket(setup["port"], cert_path=setup["state"] / "clients" / name) as s:
            s.settimeout(30)
            s.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
            return read_response(s)

    acceptor = threading.Thread(target=accept)
    acceptor.start()
    try:
        for method, path, body in (
                ("GET", "/v1.41/swarm", b""),
                ("GET", f"/v1.41/images/search?term={addr}/x", b""),
                ("GET", f"/v1.41/distribution/{addr}/x/json", b""),
                ("GET", f"/v1.41/plugins/privileges?remote={addr}/x", b""),
                ("POST", f"/v1.41/images/create?fromImage={addr}/x&tag=1", b""),
                ("POST", "/v1.41/auth", json.dumps({"serveraddress": f"http://{addr}"}).encode()),
                ("POST", f"/v1.41/build?remote=http://{addr}/context.tar", b"")):
            status, _, answer = send_as("rita", method, path, body)
            assert status == 403 and b"role read-only" in answer, (path, answer)
        time.sleep(1)
        assert not connections, "the engine connected out for a read-only request"
        # The same pull as the operator, whose role has `outbound`: the engine does connect.
        send_as("bob", "POST", f"/v1.41/images/create?fromImage={addr}/x&tag=1")
        assert connections, "the control pull never reached the listener"
    finally:
        stop.set()
        acceptor.join()
        listener.close()


def test_a_stream_the_client_ends_is_audited_with_the_bytes_that_moved(setup):
    """`docker events` left with Ctrl-C: the audit event counts the bytes the stream carried (it said 0)."""
    env = tls_client_env(setup["port"], setup["state"] / "clients" / "bob", setup["base"] / "config-bob")
    events = subprocess.Popen([docker_clis()[0], "events", "--filter", "type=volume"], stdout=subprocess.PIPE,
                              text=True, env=env)
    try:
        time.sleep(1.5)
        assert docker_as(setup, "bob", "volume", "create", "audited-stream").returncode == 0
        assert "audited-stream" in events.stdout.readline()
    finally:
        events.send_signal(signal.SIGINT)
        events.wait(timeout=10)
        docker_as(setup, "bob", "volume", "rm", "audited-stream")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [json.loads(l) for l in setup["audit"].read_text().splitlines()]
        streams = [l for l in lines if l["endpoint"] == "system.events" and l["identity"]["cn"] == "bob"]
        if streams:
            break
        time.sleep(0.1)
    assert streams and streams[-1]["bytes_out"] > 100, streams
