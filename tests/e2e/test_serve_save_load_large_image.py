"""`docker save | docker load` of a 200 MB image through the gateway: the bytes that come out are exactly
the engine's, and the image loads back with the same content."""
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness import docker_clis, tls_client_env

SIZE = 200 * 1024 * 1024


def sha256_of_stream(cmd, env):
    h = hashlib.sha256()
    total = 0
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env) as p:
        while block := p.stdout.read(1 << 20):
            h.update(block)
            total += len(block)
    assert p.returncode == 0, f"{cmd} failed"
    return h.hexdigest(), total


def test_save_load_round_trip(engine, gateway, tmp_path):
    direct = {**os.environ, "DOCKER_HOST": engine.host}
    through = tls_client_env(gateway.port, gateway.cert_path, tmp_path / "config")
    cli = docker_clis()[0]

    # An image with a 200 MB layer of incompressible bytes.
    root = Path(tempfile.mkdtemp(prefix="dg-big-"))
    try:
        with open(root / "blob", "wb") as f:
            for _ in range(SIZE // (1 << 20)):
                f.write(os.urandom(1 << 20))
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        subprocess.run([cli, "import", "-", "big:1"], stdin=tar.stdout, env=through, check=True,
                       capture_output=True)
        tar.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)

    engine_sum, engine_size = sha256_of_stream([cli, "save", "big:1"], direct)
    gateway_sum, gateway_size = sha256_of_stream([cli, "save", "big:1"], through)
    assert engine_size > SIZE
    assert (gateway_sum, gateway_size) == (engine_sum, engine_size)

    saved = tmp_path / "big.tar"
    with open(saved, "wb") as f:
        subprocess.run([cli, "save", "big:1"], stdout=f, env=through, check=True)
    subprocess.run([cli, "rmi", "big:1"], env=through, check=True, capture_output=True)
    load = subprocess.run([cli, "load", "-i", str(saved)], env=through, capture_output=True, text=True)
    assert load.returncode == 0, load.stderr
    assert "big:1" in load.stdout
    saved.unlink()
    assert sha256_of_stream([cli, "save", "big:1"], direct)[0] == engine_sum
