"""`dockgate client` takes a client from the PKI to a working docker CLI in one step: an archive that works
wherever it is unpacked, shell lines that real bash and fish evaluate, a docker context, and ~/.docker."""
import os
import stat
import subprocess
import tarfile

from harness import DOCKGATE, dockgate, docker_clis


def clean_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env["DOCKER_CONFIG"] = str(tmp_path / "docker-config")
    env.update(extra)
    return env


def make_bundle(gateway, tmp_path, name="admin"):
    state = gateway.cert_path.parent.parent
    archive = tmp_path / f"{name}.tar.gz"
    dockgate("client", "bundle", name, "--dir", state, "-H", f"tcp://127.0.0.1:{gateway.port}", "--archive", archive)
    elsewhere = tmp_path / "unpacked" / "somewhere else"
    elsewhere.mkdir(parents=True)
    with tarfile.open(archive) as t:
        assert stat.S_IMODE(t.getmember(f"{name}/key.pem").mode) == 0o600
        t.extractall(elsewhere)
    return elsewhere / name


def test_bundle_and_env_in_bash_and_fish(gateway, tmp_path):
    bundle = make_bundle(gateway, tmp_path)
    env = clean_env(tmp_path)
    for cli in docker_clis():
        bash = subprocess.run(["bash", "-c", f'eval "$("{DOCKGATE}" client env "{bundle}")" && "{cli}" version '
                               "--format '{{.Server.Version}}'"], env=env, capture_output=True, text=True)
        assert bash.returncode == 0 and bash.stdout.startswith("20.10"), bash.stderr
        fish = subprocess.run(["fish", "-c", f"'{DOCKGATE}' client env --shell fish '{bundle}' | source; and "
                               f"'{cli}' version --format '{{{{.Server.Version}}}}'"], env=env, capture_output=True,
                              text=True)
        assert fish.returncode == 0 and fish.stdout.startswith("20.10"), fish.stderr
    unset = subprocess.run(["bash", "-c", f'eval "$("{DOCKGATE}" client env "{bundle}")"; '
                            f'eval "$("{DOCKGATE}" client env --unset --shell bash)"; env'],
                           env=env, capture_output=True, text=True)
    assert "DOCKER_HOST" not in unset.stdout and "DOCKER_CERT_PATH" not in unset.stdout


def test_context(gateway, tmp_path):
    bundle = make_bundle(gateway, tmp_path)
    env = clean_env(tmp_path)
    made = subprocess.run([DOCKGATE, "client", "context", "viagate", str(bundle)], env=env, capture_output=True,
                          text=True)
    assert made.returncode == 0, made.stderr
    for cli in docker_clis():
        r = subprocess.run([cli, "--context", "viagate", "version", "--format", "{{.Server.Version}}"], env=env,
                           capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout.startswith("20.10"), r.stderr
    # The doctor reads the context as the CLI does.
    doc = subprocess.run([DOCKGATE, "doctor", "--context", "viagate"], env=env, capture_output=True, text=True)
    assert doc.returncode == 0 and "from context viagate" in doc.stdout, doc.stdout + doc.stderr
    again = subprocess.run([DOCKGATE, "client", "context", "viagate", str(bundle)], env=env, capture_output=True,
                           text=True)
    assert again.returncode == 1 and "--force replaces" in again.stderr
    forced = subprocess.run([DOCKGATE, "client", "context", "viagate", str(bundle), "--force"], env=env,
                            capture_output=True, text=True)
    assert forced.returncode == 0, forced.stderr


def test_install_into_docker_config_keeps_backups(gateway, tmp_path):
    bundle = make_bundle(gateway, tmp_path)
    env = clean_env(tmp_path)
    r = subprocess.run([DOCKGATE, "client", "install", str(bundle)], env=env, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    config = tmp_path / "docker-config"
    assert stat.S_IMODE(os.stat(config / "key.pem").st_mode) == 0o400
    use = clean_env(tmp_path, DOCKER_HOST=f"tcp://127.0.0.1:{gateway.port}", DOCKER_TLS_VERIFY="1")
    v = subprocess.run([docker_clis()[0], "version"], env=use, capture_output=True, text=True)
    assert v.returncode == 0, v.stderr

    # Another client's bundle: replacing needs --yes when nobody can be asked, and keeps the old files.
    state = gateway.cert_path.parent.parent
    dockgate("certs", "issue", "client", "carol", "--dir", state)
    (tmp_path / "c").mkdir()
    carol = make_bundle(gateway, tmp_path / "c", name="carol")
    refused = subprocess.run([DOCKGATE, "client", "install", str(carol)], env=env, capture_output=True, text=True,
                             stdin=subprocess.DEVNULL)
    # One question names every file that differs: the key is replaced with its certificate, never unasked.
    assert refused.returncode == 1 and "pass --yes to replace them" in refused.stderr
    assert str(config / "cert.pem") in refused.stderr and str(config / "key.pem") in refused.stderr
    assert (config / "cert.pem").read_text() == (bundle / "cert.pem").read_text()
    forced = subprocess.run([DOCKGATE, "client", "install", str(carol), "--yes"], env=env, capture_output=True,
                            text=True, stdin=subprocess.DEVNULL)
    assert forced.returncode == 0, forced.stderr
    assert (config / "cert.pem").read_text() == (carol / "cert.pem").read_text()
    backups = sorted(p.name for p in config.glob("cert.pem.bak-*"))
    assert len(backups) == 1 and (config / backups[0]).read_text() == (bundle / "cert.pem").read_text()


def test_install_needs_no_endpoint_file_and_bundle_names_its_own_flags(gateway, tmp_path):
    bundle = make_bundle(gateway, tmp_path)
    (bundle / "endpoint").unlink()
    env = clean_env(tmp_path)
    r = subprocess.run([DOCKGATE, "client", "install", str(bundle)], env=env, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert "export DOCKER_HOST=tcp://HOST:2376   # the gateway's address" in r.stdout
    assert "DOCKER_TLS_VERIFY=1" in r.stdout
    # `client env` points a shell at the endpoint, so it still needs one.
    e = subprocess.run([DOCKGATE, "client", "env", str(bundle)], env=env, capture_output=True, text=True)
    assert e.returncode == 2 and "pass -H tcp://HOST:2376" in e.stderr

    state = gateway.cert_path.parent.parent
    archive = tmp_path / "admin.tar.gz"  # make_bundle wrote it
    again = dockgate("client", "bundle", "admin", "--dir", state, "--archive", archive, check=False)
    assert again.returncode == 1 and "choose another --archive" in again.stderr, again.stderr
    out = tmp_path / "out"
    dockgate("client", "bundle", "admin", "--dir", state, "--output", out)
    again = dockgate("client", "bundle", "admin", "--dir", state, "--output", out, check=False)
    assert again.returncode == 1 and "choose another --output" in again.stderr, again.stderr
