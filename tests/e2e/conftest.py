"""Fixtures shared by the end-to-end scenarios."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from harness import Dockerd, Engine, Gateway, dockgate, free_port, import_busybox  # noqa: E402


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


@pytest.fixture(scope="module")
def engine():
    """A private dockerd on a unix socket with a busybox image, shared by one scenario file."""
    e = Engine()
    e.start()
    import_busybox(e.host)
    yield e
    e.stop()


@pytest.fixture(scope="module")
def gateway(engine, tmp_path_factory):
    """`dockgate serve` with first-run auto-TLS on tcp://127.0.0.1:PORT in front of `engine`.
    Has .port and .cert_path (the admin bundle it created)."""
    state = tmp_path_factory.mktemp("gateway") / "state"
    port = free_port()
    g = Gateway([f"-H=tcp://127.0.0.1:{port}", f"--upstream={engine.host}"], state)
    g.start(wait_for_port=port)
    g.port = port
    g.cert_path = state / "clients" / "admin"
    yield g
    g.stop()


@pytest.fixture
def make_gateway(engine, tmp_path):
    """Starts more gateways in front of `engine`: make_gateway(args, **start_kwargs) -> Gateway."""
    started = []

    def make(args, state=None, env=None, pass_fds=(), wrapper=(), **start_kwargs):
        g = Gateway([*args, f"--upstream={engine.host}"], state or tmp_path / f"state{len(started)}", env=env,
                    pass_fds=pass_fds, wrapper=wrapper)
        started.append(g)
        if start_kwargs.get("start", True):
            start_kwargs.pop("start", None)
            g.start(**start_kwargs)
        return g

    yield make
    for g in started:
        g.stop()
