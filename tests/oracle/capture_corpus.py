"""Records the request bodies real Docker clients send for the judged endpoints, for the oracle's corpus.

Run by hand (not in CI): python3 tests/oracle/capture_corpus.py OUTDIR. It serves a fake engine on a unix
socket that answers just enough for each client to send its create requests, then drives the docker CLIs,
docker-py and (when `node` finds it) dockerode against it. Each body lands in OUTDIR as
<client>-<endpoint>-<n>.json, next to a line in OUTDIR/index.tsv naming its endpoint.
"""
import json
import os
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

ENDPOINTS = [("/containers/create", "container.create"), ("/exec", "container.exec"),
             ("/update", "container.update"), ("/volumes/create", "volume.create"),
             ("/networks/create", "network.create"), ("/services/create", "service.create")]
captured = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Api-Version", "1.41")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                out += self.rfile.read(size)
                self.rfile.readline()
                if size == 0:
                    return out
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def handle_any(self):
        body = self.body()
        path = self.path.split("?")[0]
        for suffix, name in ENDPOINTS:
            if self.command == "POST" and path.endswith(suffix) and body:
                captured.append((name, body))
        if path.endswith("/_ping"):
            return self.answer(200, b"OK")
        if path.endswith("/version"):
            return self.answer(200, {"ApiVersion": "1.41", "MinAPIVersion": "1.12", "Version": "20.10.24",
                                     "Os": "linux", "Arch": "amd64", "Components": []})
        if path.endswith("/containers/create"):
            return self.answer(201, {"Id": "c" * 64, "Warnings": []})
        if path.endswith("/exec"):
            return self.answer(201, {"Id": "e" * 64})
        if path.endswith("/volumes/create"):
            return self.answer(201, {"Name": "v", "Driver": "local", "Mountpoint": "/x", "Labels": {}, "Scope": "local"})
        if path.endswith("/networks/create"):
            return self.answer(201, {"Id": "n" * 64})
        if path.endswith("/json") and "/containers/" in path:
            return self.answer(200, {"Id": "c" * 64, "State": {"Running": True}, "Config": {}, "HostConfig": {}})
        return self.answer(200, {})

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        request, _ = super().get_request()
        return request, ("local", 0)


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="dg-capture-"))
    sock = tmp / "d.sock"
    server = Server(str(sock), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**os.environ, "DOCKER_HOST": f"unix://{sock}", "DOCKER_CONFIG": str(tmp)}
    runs = []
    for cli in dict.fromkeys(filter(None, [shutil.which("docker"), "/usr/bin/docker"])):
        tag = "cli" + subprocess.run([cli, "--version"], capture_output=True, text=True).stdout.split()[2].split(".")[0]
        for args in (["create", "busybox"],
                     ["create", "-it", "--name", "x", "-e", "A=1", "-l", "a=b", "-v", "/srv/ci:/x:ro", "-v", "/data",
                      "--mount", "type=tmpfs,target=/t", "--mount", "type=volume,source=v,target=/v",
                      "--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE", "--sysctl", "net.ipv4.ip_unprivileged_port_start=0",
                      "--network", "mynet", "-p", "8080:80", "--restart", "on-failure:3", "--memory", "64m",
                      "--pids-limit", "100", "--ulimit", "nofile=1024:2048", "--health-cmd", "true",
                      "--security-opt", "no-new-privileges", "--runtime", "io.containerd.runc.v2", "--init",
                      "--tmpfs", "/run", "--read-only", "-w", "/", "-u", "1000", "--entrypoint", "sh",
                      "--log-driver", "json-file", "--log-opt", "max-size=1m", "busybox", "-c", "true"],
                     ["exec", "-d", "x", "true"], ["exec", "-d", "-u", "root", "-e", "A=1", "-w", "/", "x", "id"],
                     ["update", "--memory", "128m", "--restart", "always", "x"],
                     ["volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=size=10m", "t"],
                     ["volume", "create", "plain"],
                     ["network", "create", "--label", "a=b", "mynet"],
                     ["network", "create", "--subnet", "10.9.0.0/24", "-o", "com.docker.network.driver.mtu=1400", "n2"]):
            runs.append((tag, subprocess.run([cli, *args], env=env, capture_output=True, text=True, timeout=30)))
    py = """
import docker
c = docker.DockerClient(base_url='unix://%s', version='1.41')
c.containers.create('busybox', 'true', environment={'A': '1'}, volumes={'/srv/ci': {'bind': '/x', 'mode': 'ro'}},
                    cap_add=['NET_BIND_SERVICE'], mem_limit='64m', network='mynet', labels={'a': 'b'})
c.api.exec_create('x', 'true', user='root')
c.volumes.create('t', driver='local', driver_opts={'type': 'tmpfs', 'device': 'tmpfs'})
c.networks.create('mynet', driver='bridge')
c.api.update_container('x', mem_limit='128m')
""" % sock
    runs.append(("py", subprocess.run(["python3", "-c", py], env=env, capture_output=True, text=True, timeout=60)))
    node = """
const Docker = require('dockerode'); const d = new Docker({socketPath: '%s'});
(async () => {
  await d.createContainer({Image: 'busybox', Cmd: ['true'], HostConfig: {Binds: ['/srv/ci:/x'], CapAdd: ['CHOWN']}});
  await d.getContainer('x').exec({Cmd: ['id'], AttachStdout: true, User: 'root'});
  await d.createVolume({Name: 't', DriverOpts: {type: 'tmpfs', device: 'tmpfs'}});
  await d.createNetwork({Name: 'mynet', Driver: 'bridge'});
})().catch(e => { console.error(e); process.exit(1); });
""" % sock
    if shutil.which("node"):
        runs.append(("dockerode", subprocess.run(["node", "-e", node], env=env, capture_output=True, text=True,
                                                 timeout=60, cwd=os.environ.get("DOCKERODE_DIR", "."))))
    server.shutdown()
    index = []
    counts = {}
    for name, body in captured:
        counts[name] = counts.get(name, 0) + 1
        file = f"{len(index):03d}-{name}.json"
        (out / file).write_bytes(body)
        index.append(f"{file}\t{name}")
    (out / "index.tsv").write_text("\n".join(index) + "\n")
    for tag, r in runs:
        if r.returncode != 0:
            print(f"{tag} {r.args[1:3]}: {r.stderr.strip()[:200]}", file=sys.stderr)
    print(counts)


if __name__ == "__main__":
    main(sys.argv[1])
