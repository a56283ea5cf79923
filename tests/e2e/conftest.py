"""Fixtures shared by the end-to-end scenarios."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from harness import Dockerd, dockgate, free_port  # noqa: E402


@pytest.fixture
def pki(tmp_path):
    """A PKI made by `dockgate certs init` for 127.0.0.1/localhost; returns its directory."""
    d = tmp_path / "pki"
    dockgate("certs", "init", "--dir", d)
    return d


@pytest.fixture
def tls_dockerd():
    """Starts dockerd the seed tutorials' way: --tlsverify with the given PKI, on tcp://127.0.0.1:PORT.
    Returns a function (pki_dir, server_cert, server_key) -> (dockerd, port); stops them all afterwards."""
    started = []

    def start(pki_dir, cert="server-cert.pem", key="server-key.pem"):
        port = free_port()
        engine = Dockerd(
            [
                "--tlsverify",
                f"--tlscacert={pki_dir / 'ca.pem'}",
                f"--tlscert={pki_dir / cert}",
                f"--tlskey={pki_dir / key}",
                f"-H=tcp://127.0.0.1:{port}",
            ]
        )
        started.append(engine)
        engine.start(wait_for_port=port)
        return engine, port

    yield start
    for engine in started:
        engine.stop()
