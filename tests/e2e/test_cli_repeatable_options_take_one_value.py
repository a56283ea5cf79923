"""A repeatable option takes one value per occurrence, everywhere: the word after it is the next positional
argument, as with dockerd and the docker CLI. Before, `--host NAME web3` took `web3` for a second host and
replaced the live default server certificate."""
import json

from harness import dockgate


def test_certs_issue_server_name_after_a_host_is_the_name(tmp_path):
    pki = tmp_path / "pki"
    dockgate("certs", "init", "--dir", pki)
    default_cert = (pki / "server-cert.pem").read_bytes()
    dockgate("certs", "issue", "server", "--force", "--host", "web3.example.com", "web3", "--dir", pki)
    assert (pki / "servers" / "web3" / "server-cert.pem").exists()
    assert (pki / "server-cert.pem").read_bytes() == default_cert, "the default server certificate was replaced"
    shown = dockgate("certs", "show", pki / "servers" / "web3" / "server-cert.pem").stdout
    assert "web3.example.com" in shown


def test_policy_explain_in_the_readmes_order(tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"bindings": [{"identities": ["group:developers"], "role": "operator"}]}))
    body = tmp_path / "b.json"
    body.write_text('{"Image":"busybox","HostConfig":{"Privileged":true}}')
    r = dockgate("policy", "explain", "--policy", policy, "--identity", "bob", "--group", "developers",
                 "POST", "/v1.41/containers/create", "--body", body, check=False)
    assert r.returncode == 1 and r.stdout.startswith("deny") and "role:     operator" in r.stdout, r.stdout + r.stderr
    # Each occurrence adds one group.
    r = dockgate("policy", "explain", "--policy", policy, "--identity", "bob", "--group", "testers", "--group",
                 "developers", "GET", "/_ping")
    assert "role:     operator" in r.stdout
