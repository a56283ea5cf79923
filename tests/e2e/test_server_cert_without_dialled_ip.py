"""A server certificate that does not name the address the client dials makes the docker CLI fail with its
x509 name error, exactly as in the seeds' troubleshooting sections; adding the address fixes it."""
from harness import client_env, docker_clis, dockgate, run_docker


def test_docker_cli_reports_the_x509_name_mismatch(tmp_path, tls_dockerd):
    d = tmp_path / "pki"
    dockgate("certs", "init", "--dir", d, "--no-local", "--host", "docker.example.com", "--host", "127.0.0.2")
    _, port = tls_dockerd(d)
    env = client_env(f"tcp://127.0.0.1:{port}", d / "clients" / "admin", tmp_path / "docker-config")

    for cli in docker_clis():
        result = run_docker(cli, ["version", "--format", "{{.Server.Version}}"], env)
        assert result.returncode != 0
        assert "x509: certificate is valid for" in result.stderr and "not 127.0.0.1" in result.stderr, result.stderr


def test_reissuing_the_server_certificate_with_the_address_fixes_it(tmp_path, tls_dockerd):
    d = tmp_path / "pki"
    dockgate("certs", "init", "--dir", d, "--no-local", "--host", "docker.example.com")
    dockgate("certs", "issue", "server", "--force", "--dir", d, "--host", "docker.example.com", "--host", "127.0.0.1")
    _, port = tls_dockerd(d)
    env = client_env(f"tcp://127.0.0.1:{port}", d / "clients" / "admin", tmp_path / "docker-config")
    result = run_docker(docker_clis()[0], ["version"], env)
    assert result.returncode == 0, result.stderr
