"""Raw requests that try to sneak a privileged container past the operator role: each is denied (or never
reaches the engine), and afterwards the engine is asked whether any privileged container exists."""
import gzip
import io
import json
import os
import subprocess
import tarfile

import pytest

from harness import CP_REFUSED, dockgate, docker_cp_is_safe_on, policy_gateway, read_response, tls_socket

CREATE = "/v1.41/containers/create"


@pytest.fixture(scope="module")
def operator(engine, tmp_path_factory):
    g = policy_gateway(engine, tmp_path_factory.mktemp("adversary"),
                       {"bindings": [{"identities": ["mallory"], "role": "operator"}]}, ["mallory"])
    yield g.port, g.state / "clients" / "mallory"
    g.stop()


def send(operator, raw):
    """Sends raw bytes; returns every (status, body) answered before the connection ends."""
    port, cert_path = operator
    answers = []
    with tls_socket(port, cert_path=cert_path) as s:
        s.settimeout(3)
        try:
            s.sendall(raw)
        except OSError:
            pass  # refused before the whole body was sent: the answer may still be there to read
        try:
            while True:
                status, _, body = read_response(s)
                answers.append((status, body))
        except (EOFError, ConnectionResetError, OSError):
            pass
    return answers


def request(path, body, headers="", close=True):
    close_header = "Connection: close\r\n" if close else ""
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\n{headers}{close_header}Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body


def chunked(path, body, headers="", size=7):
    parts = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size]) for i in range(0, len(body), size))
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
            ).encode() + parts + b"0\r\n\r\n"


JSON = "Content-Type: application/json\r\n"


def create_with(host_config):
    """A create request whose HostConfig is `host_config` (bytes, as sent)."""
    return request(CREATE, b'{"Image":"busybox","Cmd":["true"],"HostConfig":' + host_config + b"}", JSON)
PRIV = b'{"Image":"busybox","Cmd":["true"],"HostConfig":{"Privileged":true}}'

ATTEMPTS = {
    "plain": request(CREATE, PRIV, JSON),
    "lower-case-key": request(CREATE, b'{"Image":"busybox","hostconfig":{"privileged":true}}', JSON),
    "upper-case-key": request(CREATE, b'{"Image":"busybox","HOSTCONFIG":{"PRIVILEGED":true}}', JSON),
    "duplicate-key-last-wins": request(
        CREATE, b'{"Image":"busybox","HostConfig":{"Privileged":false,"privileged":true}}', JSON),
    "duplicate-object-merged": request(
        CREATE, b'{"Image":"busybox","HostConfig":{"Privileged":true},"hostconfig":{"Memory":0}}', JSON),
    "unicode-escaped-key": request(CREATE, b'{"Image":"busybox","HostConfig":{"\\u0050rivileged":true}}', JSON),
    "long-s-folding": request(CREATE, b'{"Image":"busybox","HostConfig":{"Binds":["/:/h"]},"Bind\xc5\xbf":1}', JSON),
    "top-level-hostconfig-fields": request(CREATE, b'{"Image":"busybox","Privileged":true}', JSON),
    "chunked": chunked(CREATE, PRIV, JSON),
    "chunked-one-byte": chunked(CREATE, PRIV, JSON, size=1),
    "wrong-content-type": request(CREATE, PRIV, "Content-Type: text/plain\r\n"),
    "no-content-type": request(CREATE, PRIV),
    "padding-past-1MiB": request(CREATE, b'{"Image":"busybox",' + b" " * (1 << 20 | 4096) +
                                 b'"HostConfig":{"Privileged":true}}', JSON),
    "padding-past-the-cap": request(CREATE, b'{"Image":"busybox",' + b" " * (5 << 20) +
                                    b'"HostConfig":{"Privileged":true}}', JSON),
    "content-length-0-then-body": (f"POST {CREATE} HTTP/1.1\r\nHost: x\r\n{JSON}Content-Length: 0\r\n\r\n").encode()
    + PRIV,
    "pipelined-behind-allowed": request(CREATE, b'{"Image":"busybox","Cmd":["true"]}', JSON, close=False)
    + request(CREATE, PRIV, JSON),
    "trailing-second-document": request(CREATE, b'{"Image":"busybox"} {"HostConfig":{"Privileged":true}}', JSON),
    "cl-and-te": (f"POST {CREATE} HTTP/1.1\r\nHost: x\r\n{JSON}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                  ).encode() + b"%x\r\n" % len(PRIV) + PRIV + b"\r\n0\r\n\r\n",
    "dot-segment": request("/v1.41/images/../containers/create", PRIV, JSON),
    "double-slash": request("/v1.41//containers/create", PRIV, JSON),
    "encoded-slash": request("/v1.41/containers%2Fcreate", PRIV, JSON),
    "case-trick": request("/v1.41/Containers/create", PRIV, JSON),
    "privileged-exec": request("/v1.41/containers/x/exec", b'{"Cmd":["sh"],"Privileged":true}', JSON),
    "build-host-network": b"POST /v1.41/build?networkmode=%68ost HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    "build-shadowed-query": b"POST /v1.41/build?networkmode=%zz&networkmode=host HTTP/1.1\r\nHost: x\r\n"
                            b"Content-Length: 0\r\n\r\n",
    "bind-volume-driver": request("/v1.41/volumes/create",
                                  b'{"Name":"v","DriverOpts":{"type":"none","o":"bind","device":"/"}}', JSON),
    "buildkit-grpc": b"POST /grpc HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
    # The six classes that escaped the previous checks (issue 27).
    "null-after-a-value": create_with(b'{"Privileged":true,"Privileged":null}'),
    "null-after-a-value-folded": create_with(b'{"NetworkMode":"host","networkMode":null}'),
    "repeated-mounts-array": create_with(
        b'{"Mounts":[{"Type":"volume","Source":"rootvol","Target":"/h","VolumeOptions":{"DriverConfig":'
        b'{"Name":"local","Options":{"type":"none","o":"bind","device":"/"}}}}],'
        b'"Mounts":[{"Type":"volume","Source":"rootvol","Target":"/h"}]}'),
    "masked-paths-one-entry": create_with(b'{"MaskedPaths":["/proc/kcore"]}'),
    "readonly-paths-one-entry": create_with(b'{"ReadonlyPaths":["/proc/bus"]}'),
    "inline-seccomp-profile": create_with(b'{"SecurityOpt":["seccomp={\\"defaultAction\\":\\"SCMP_ACT_ALLOW\\"}"]}'),
    "selinux-spc-type": create_with(b'{"SecurityOpt":["label=type:spc_t"]}'),
    "old-api-start-with-hostconfig": request(
        "/v1.23/containers/victim/start", b'{"Binds":["/:/host"],"Privileged":true,"PidMode":"host"}', JSON),
    "old-api-create": request("/v1.23/containers/create", PRIV, JSON),
    "build-form-body": request("/v1.41/build", b"a=" + b"x" * 4096 + b"&networkmode=host",
                               "Content-Type: application/x-www-form-urlencoded\r\n"),
    "build-multipart-body": request(
        "/v1.41/build", b'--b\r\nContent-Disposition: form-data; name="networkmode"\r\n\r\nhost\r\n--b--\r\n',
        "Content-Type: multipart/form-data; boundary=b\r\n"),
    # Go's mime.ParseMediaType trims a no-break space and lowers a dotted capital I to "i": forms to the engine.
    "build-form-body-nbsp-type": request("/v1.41/build", b"a=" + b"x" * 4096 + b"&networkmode=host",
                                         "Content-Type: \u00a0application/x-www-form-urlencoded\r\n"),
    "build-form-body-dotted-i-type": request("/v1.41/build", b"a=" + b"x" * 4096 + b"&networkmode=host",
                                             "Content-Type: appl\u0130cation/x-www-form-urlencoded\r\n"),
    "volume-bind-options": request(
        "/v1.41/volumes/create", b'{"Name":"rootvol","DriverOpts":{"type":"none","o":"bind","device":"/"}}', JSON),
    "unknown-field": create_with(b'{"FutureEscape":true}'),
    "tmpfs-bind-option": create_with(b'{"Tmpfs":{"/x":"rbind"}}'),
}


@pytest.mark.parametrize("name", list(ATTEMPTS))
def test_attempt_is_denied(operator, engine, name):
    answers = send(operator, ATTEMPTS[name])
    assert answers, "no answer at all"
    escalations = [a for a in answers if a[0] in (200, 201, 101)]
    if name == "pipelined-behind-allowed":
        assert answers[0][0] == 201 and answers[1][0] == 403, answers
        escalations = answers[2:]
    assert not escalations, answers
    # Refused by the gateway (4xx), or harmless and refused by the engine itself (an empty create body).
    assert any(status >= 400 for status, _ in answers), answers
    for status, body in answers:
        if status == 403:
            assert "CN=mallory" in json.loads(body)["message"] or "path" in json.loads(body)["message"]
    # And the engine agrees: no privileged container exists.
    env = {**os.environ, "DOCKER_HOST": engine.host}
    ids = subprocess.run(["docker", "ps", "-aq"], env=env, capture_output=True, text=True, check=True).stdout.split()
    if ids:
        inspected = json.loads(subprocess.run(["docker", "inspect", *ids], env=env, capture_output=True, text=True,
                                              check=True).stdout)
        for c in inspected:
            hc = c["HostConfig"]
            assert not hc["Privileged"] and not hc.get("Binds"), c["Id"]
            assert hc.get("MaskedPaths") is None or "/proc/keys" in hc["MaskedPaths"], c["Id"]
            assert hc.get("ReadonlyPaths") is None or "/proc/sys" in hc["ReadonlyPaths"], c["Id"]
            assert not hc.get("SecurityOpt") and hc["NetworkMode"] != "host" and hc["PidMode"] != "host", c["Id"]
            assert not [m for m in hc.get("Mounts") or [] if m.get("VolumeOptions") or m["Type"] == "bind"], c["Id"]
    volumes = json.loads(subprocess.run(["docker", "volume", "ls", "-q", "--format", "{{json .Name}}"], env=env,
                                        capture_output=True, text=True, check=True).stdout.replace("\n", ",")
                         .rstrip(",").join("[]"))
    for name in volumes:
        vol = json.loads(subprocess.run(["docker", "volume", "inspect", name], env=env, capture_output=True,
                                        text=True, check=True).stdout)[0]
        assert "bind" not in (vol.get("Options") or {}).get("o", ""), vol


def tar_of(name, data):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


@pytest.mark.parametrize("framing", ["length", "chunked-one-byte"])
def test_compressed_archive_upload_is_denied(operator, engine, framing):
    """Engines before 29.5.1 decompress such an upload with the container's own programs as host root."""
    env = {**os.environ, "DOCKER_HOST": engine.host}
    name = f"archive-target-{framing}"
    subprocess.run(["docker", "create", "--name", name, "busybox", "true"], env=env, capture_output=True, check=True)
    body = gzip.compress(tar_of("dropped", b"x\n"))
    path = f"/v1.41/containers/{name}/archive?path=/tmp"
    headers = "Content-Type: application/x-tar\r\n"
    raw = request(path, body, headers) if framing == "length" else chunked(path, body, headers, size=1)
    raw = raw.replace(b"POST ", b"PUT ", 1)
    answers = send(operator, raw)
    assert answers and answers[0][0] == 403, answers
    assert "gzip-compressed" in json.loads(answers[0][1])["message"]
    # The engine never got it: the file is not in the container.
    probe = subprocess.run(["docker", "cp", f"{name}:/tmp/dropped", "-"], env=env, capture_output=True)
    assert probe.returncode != 0 and b"Could not find the file" in probe.stderr, probe.stderr
    # A plain tar of the same file goes through, on an engine whose docker cp a container cannot turn on the
    # host; on an older one the upload is refused for that.
    plain = send(operator, request(path, tar_of("dropped", b"x\n"), headers).replace(b"POST ", b"PUT ", 1))
    if docker_cp_is_safe_on(engine.host):
        assert plain and plain[0][0] == 200, plain
    else:
        assert plain and plain[0][0] == 403 and CP_REFUSED in json.loads(plain[0][1])["message"], plain


@pytest.mark.parametrize("spelling", ["\u00a0application/x-www-form-urlencoded",
                                      "appl\u0130cation/x-www-form-urlencoded"], ids=["nbsp", "dotted-i"])
def test_a_form_content_type_outside_ascii_is_refused(operator, engine, spelling):
    """Go's mime.ParseMediaType trims Unicode spaces and lowers U+0130 to "i", so to the engine these are
    form bodies, whose parameters it reads before the query's: here a rename judged as "ok" that would give
    the container a name of a full ID's form."""
    env = {**os.environ, "DOCKER_HOST": engine.host}
    name = "rename-target-" + spelling.encode().hex()[:8]
    subprocess.run(["docker", "create", "--name", name, "busybox", "true"], env=env, capture_output=True, check=True)
    answers = send(operator, request(f"/v1.41/containers/{name}/rename?name=ok", b"name=" + b"a" * 64,
                                     f"Content-Type: {spelling}\r\n"))
    assert answers and answers[0][0] == 403, answers
    assert "Content-Type holds bytes outside printable ASCII" in json.loads(answers[0][1])["message"]
    names = subprocess.run(["docker", "ps", "-a", "--format", "{{.Names}}"], env=env, capture_output=True,
                           text=True, check=True).stdout.split()
    assert name in names and "a" * 64 not in names and "ok" not in names, names


SWARM_SPECS = {
    "service-binds-host-root": ({"TaskTemplate": {"ContainerSpec": {"Image": "busybox", "Mounts": [
        {"Type": "bind", "Source": "/", "Target": "/host"}]}}}, 'Mounts[0] binds host path "/"'),
    "service-host-network": ({"TaskTemplate": {"ContainerSpec": {"Image": "busybox"},
                                               "Networks": [{"Target": "host"}]}}, "names the host's network"),
    "service-plugin-runtime": ({"TaskTemplate": {"Runtime": "plugin", "PluginSpec": {"Name": "x"}}},
                               "a plugin task runs with the privileges its spec grants"),
    "service-capabilities": ({"TaskTemplate": {"ContainerSpec": {"Image": "busybox", "CapabilityAdd": ["SYS_ADMIN"]}}},
                             '"SYS_ADMIN", which is not among'),
    "service-null-after-value": (None, "is given twice"),
}


@pytest.mark.parametrize("name", list(SWARM_SPECS))
def test_swarm_escapes_are_denied_by_policy_explain(tmp_path, name):
    """Classes that need a swarm, decided by `dockgate policy explain` on the same decision code."""
    spec, why = SWARM_SPECS[name]
    body = tmp_path / "spec.json"
    if spec is None:
        body.write_text('{"TaskTemplate":{"ContainerSpec":{"Image":"busybox","Privileges":{"NoNewPrivileges":true},'
                        '"Privileges":null}}}')
    else:
        body.write_text(json.dumps(spec))
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"bindings": [{"identities": ["mallory"], "role": "operator"}]}))
    for path in ("/v1.41/services/create", "/v1.41/services/abc/update?version=3"):
        r = dockgate("policy", "explain", "--policy", policy, "--identity", "mallory", "POST", path,
                     "--body", body, check=False)
        assert r.returncode == 1 and r.stdout.startswith("deny"), r.stdout
        assert why in r.stdout and "container sandbox" in r.stdout, r.stdout
    r = dockgate("policy", "explain", "--policy", policy, "--identity", "mallory", "POST",
                 "/v1.41/services/abc/update?version=3&rollback=previous", check=False)
    assert r.returncode == 1 and "never judged" in r.stdout, r.stdout
