"""dockerode (docker-modem) sends `POST /containers/{id}/attach` with a small JSON body and `Upgrade: tcp`.
dockerd hijacks the connection once it has read the head and hands what arrives after it to the container's
stdin: the gateway must send the head and that body in one write, or the body lands in stdin. Twenty
attaches in a row, each container echoing the first line it reads."""
import json
import os
import subprocess
from pathlib import Path

NODE_MODULES = Path(__file__).parent / "node" / "node_modules"

SCRIPT = r"""
const fs = require('fs');
const Docker = require('dockerode');
const { PassThrough } = require('stream');
const dir = process.env.CERT_DIR;
const docker = new Docker({host: '127.0.0.1', port: Number(process.env.PORT), protocol: 'https',
  ca: fs.readFileSync(dir + '/ca.pem'), cert: fs.readFileSync(dir + '/cert.pem'),
  key: fs.readFileSync(dir + '/key.pem')});
(async () => {
  const seen = [];
  for (let i = 0; i < 20; i++) {
    const c = await docker.createContainer({Image: 'busybox', Cmd: ['sh', '-c', 'read line; echo "got:$line"'],
      OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false});
    const stream = await c.attach({stream: true, stdin: true, stdout: true, stderr: true, hijack: true});
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => { text += d.toString(); });
    c.modem.demuxStream(stream, out, out);
    await c.start();
    stream.write('attach-' + i + '\n');
    await c.wait();
    await new Promise((r) => setTimeout(r, 50));
    stream.destroy();
    await c.remove({force: true});
    seen.push(text.trim());
  }
  console.log(JSON.stringify(seen));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def test_twenty_dockerode_attaches_get_only_what_was_typed(gateway):
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES), "PORT": str(gateway.port),
           "CERT_DIR": str(gateway.cert_path)}
    r = subprocess.run(["node", "-e", SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    seen = json.loads(r.stdout.strip().splitlines()[-1])
    assert seen == [f"got:attach-{i}" for i in range(20)], seen
