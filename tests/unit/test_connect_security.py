"""Impersonation on every request, and TLS trust exactly as kubectl's: against a local HTTPS
API server that checks credentials and records what it receives."""

from __future__ import annotations

import threading

import pytest
from support.connect import TOKEN, kubeconfig_for, run_cli
from support.fake_apiserver import FakeApiServer, Policy
from support.pki import Pki

from kubectl_batch.kube import access, logs
from kubectl_batch.kube.client import ApiClient
from kubectl_batch.kube.config import Overrides, load

IMPERSONATING = {
    "token": TOKEN,
    "as": "restricted",
    "as-uid": "uid-42",
    "as-groups": ["team-a", "team-b"],
    "as-user-extra": {"acme.com/project id": ["p1", "p2"], "scopes": ["view"]},
}


def assert_impersonated(seen, user="restricted", groups=("team-a", "team-b"), uid="uid-42"):
    assert seen.header("Impersonate-User") == user
    assert seen.all("Impersonate-Group") == list(groups)
    assert seen.header("Impersonate-Uid") == uid
    assert seen.user == user


def test_kubeconfig_impersonation_goes_on_every_request_of_a_command(tmp_path, api):
    cfg = kubeconfig_for(tmp_path, api, IMPERSONATING)
    done = run_cli("next-runs", "--kubeconfig", str(cfg))
    assert done.returncode == 0, done.stderr
    assert "nightly" in done.stdout
    lists = api.requests("/cronjobs")
    assert lists
    for seen in api.seen:
        assert_impersonated(seen)
        # Extra keys are percent-encoded where a header name cannot hold them (client-go).
        assert seen.all("Impersonate-Extra-acme.com%2Fproject%20id") == ["p1", "p2"]
        assert seen.all("Impersonate-Extra-scopes") == ["view"]
        assert seen.header("Authorization") == f"Bearer {TOKEN}"


def test_flags_beat_the_kubeconfig_impersonation(tmp_path, api):
    cfg = kubeconfig_for(tmp_path, api, IMPERSONATING)
    done = run_cli(
        "next-runs",
        "--kubeconfig",
        str(cfg),
        "--as",
        "bob",
        "--as-group",
        "ops",
        "--as-group",
        "dev",
        "--as-uid",
        "u-7",
    )
    assert done.returncode == 0, done.stderr
    for seen in api.seen:
        assert_impersonated(seen, "bob", ("ops", "dev"), "u-7")


def test_impersonation_on_watches_logs_and_access_reviews(tmp_path, api):
    cfg = kubeconfig_for(tmp_path, api, {"token": TOKEN})
    client = ApiClient(load(kubeconfig=str(cfg), overrides=Overrides(impersonate="restricted")))
    events = list(client.watch("/apis/batch/v1/namespaces/etl/cronjobs", {}, timeout_seconds=5))
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED"]
    lines = list(logs.stream(client, "etl", "pod-1", follow=True))
    assert [line.text for line in lines] == ["line 0", "line 1", "line 2"]
    assert access.can_i(client, "patch", "cronjobs", "batch", "etl") == (True, "")
    for part in ("/cronjobs", "/log", "/selfsubjectaccessreviews"):
        (seen,) = api.requests(part)
        assert seen.header("Impersonate-User") == "restricted", part
        assert seen.user == "restricted"


def test_an_action_refused_names_the_impersonated_user(tmp_path, pki):
    server = FakeApiServer(
        pki,
        policy=Policy(tokens={TOKEN: "admin"}, impersonators={"admin"}, forbidden={"viewer"}),
    )
    try:
        cfg = kubeconfig_for(tmp_path, server, {"token": TOKEN})
        done = run_cli("suspend", "cronjob/nightly", "--kubeconfig", str(cfg), "--as", "viewer")
        assert done.returncode == 1
        assert done.stderr == (
            "error: forbidden: cannot patch cronjobs in namespace etl (user viewer)\n"
        )
        assert not server.requests("/cronjobs/nightly")  # refused before any PATCH
        allowed = run_cli("suspend", "cronjob/nightly", "--kubeconfig", str(cfg), "--as", "ops")
        assert allowed.returncode == 0, allowed.stderr
        (patch,) = [s for s in server.seen if s.method == "PATCH"]
        assert patch.user == "ops"
    finally:
        server.close()


def test_groups_without_a_user_to_impersonate_are_refused(tmp_path, api):
    cfg = kubeconfig_for(tmp_path, api, {"token": TOKEN, "as-groups": ["ops"]})
    done = run_cli("next-runs", "--kubeconfig", str(cfg))
    assert done.returncode == 1
    assert done.stderr == (
        "error: invalid configuration: requesting uid, groups or user-extra for u without "
        "impersonating a user\n"
    )
    assert not api.seen


# -- trust ---------------------------------------------------------------------------------


@pytest.fixture
def foreign(tmp_path):
    """An API server whose certificate chains to another CA: a "system root"."""
    other = Pki("a public CA")
    server = FakeApiServer(other, policy=Policy(tokens={TOKEN: "jane"}))
    yield server, other
    server.close()


def test_a_named_ca_is_the_only_one_trusted(tmp_path, pki, foreign):
    server, public = foreign
    # The public CA is a system root here; the kubeconfig pins our CA instead.
    cfg = kubeconfig_for(tmp_path, server, cluster={"certificate-authority": str(pki.ca_file)})
    roots = {"SSL_CERT_FILE": str(public.ca_file)}
    done = run_cli("next-runs", "--kubeconfig", str(cfg), env=roots)
    assert done.returncode == 1
    assert done.stderr == (
        f'error: cannot reach the Kubernetes API server {server.url} of context "test": '
        "its TLS certificate is not trusted\n"
    )
    assert not server.seen  # the token never left


def test_no_ca_named_means_the_system_roots(tmp_path, foreign):
    server, public = foreign
    cfg = kubeconfig_for(tmp_path, server)
    cfg.write_text(cfg.read_text().replace(f"certificate-authority: {server.pki.ca_file}", ""))
    roots = {"SSL_CERT_FILE": str(public.ca_file)}
    done = run_cli("next-runs", "--kubeconfig", str(cfg), env=roots)
    assert done.returncode == 0, done.stderr
    assert server.requests("/cronjobs")


def test_insecure_together_with_a_ca_is_refused(tmp_path, api):
    cfg = kubeconfig_for(tmp_path, api, cluster={"insecure-skip-tls-verify": True})
    done = run_cli("next-runs", "--kubeconfig", str(cfg))
    assert done.returncode == 1
    assert done.stderr == (
        "error: specifying a root certificates file with the insecure flag is not allowed\n"
    )


def test_insecure_flag_replaces_the_kubeconfig_ca(tmp_path, pki, foreign):
    server, _ = foreign
    # Names our CA, which did not sign this server.
    cfg = kubeconfig_for(tmp_path, server, cluster={"certificate-authority": str(pki.ca_file)})
    assert run_cli("next-runs", "--kubeconfig", str(cfg)).returncode == 1
    done = run_cli("next-runs", "--kubeconfig", str(cfg), "--insecure-skip-tls-verify=true")
    assert done.returncode == 0, done.stderr


def test_certificate_authority_flag_replaces_the_kubeconfig_trust(tmp_path, pki, foreign):
    import base64

    server, public = foreign
    ours = base64.b64encode(pki.ca_pem).decode()
    cfg = kubeconfig_for(tmp_path, server, cluster={"certificate-authority-data": ours})
    assert "not trusted" in run_cli("next-runs", "--kubeconfig", str(cfg)).stderr
    done = run_cli(
        "next-runs", "--kubeconfig", str(cfg), "--certificate-authority", str(public.ca_file)
    )
    assert done.returncode == 0, done.stderr


def test_tls_server_name_is_sent_and_verified(tmp_path, pki):
    server = FakeApiServer(pki, hosts=("api.internal",), policy=Policy(tokens={TOKEN: "jane"}))
    try:
        cfg = kubeconfig_for(tmp_path, server)
        refused = run_cli("next-runs", "--kubeconfig", str(cfg))
        assert "its TLS certificate is not trusted" in refused.stderr
        cfg = kubeconfig_for(tmp_path, server, cluster={"tls-server-name": "api.internal"})
        done = run_cli("next-runs", "--kubeconfig", str(cfg))
        assert done.returncode == 0, done.stderr
        assert {s.sni for s in server.seen} == {"api.internal"}
        # --server drops the kubeconfig's tls-server-name (it named the other host)...
        moved = run_cli("next-runs", "--kubeconfig", str(cfg), "-s", server.url)
        assert "its TLS certificate is not trusted" in moved.stderr
        # ...unless --tls-server-name comes with it.
        both = ["-s", server.url, "--tls-server-name", "api.internal"]
        assert run_cli("next-runs", "--kubeconfig", str(cfg), *both).returncode == 0
    finally:
        server.close()


# -- client certificates and the connection flags -----------------------------------------


def test_client_certificate_from_files_data_and_flags(tmp_path, api, pki):
    import base64

    cert, key = pki.client("carol")
    cert_file, key_file = pki.write("carol", cert, key)
    by_file = kubeconfig_for(
        tmp_path, api, {"client-certificate": str(cert_file), "client-key": str(key_file)}
    )
    assert run_cli("next-runs", "--kubeconfig", str(by_file)).returncode == 0
    data = {
        "client-certificate-data": base64.b64encode(cert).decode(),
        "client-key-data": base64.b64encode(key).decode(),
    }
    by_data = kubeconfig_for(tmp_path, api, data)
    assert run_cli("next-runs", "--kubeconfig", str(by_data)).returncode == 0
    dave_cert, dave_key = pki.write("dave", *pki.client("dave"))
    flags = ["--client-certificate", str(dave_cert), "--client-key", str(dave_key)]
    assert run_cli("next-runs", "--kubeconfig", str(by_data), *flags).returncode == 0
    assert [s.client_cn for s in api.requests("/cronjobs")] == ["carol", "carol", "dave"]


def test_server_and_token_flags_need_no_kubeconfig(tmp_path, api):
    env = {"HOME": str(tmp_path), "KUBECONFIG": ""}
    done = run_cli(
        "next-runs",
        "-s",
        api.url,
        "--token",
        TOKEN,
        "--certificate-authority",
        str(api.pki.ca_file),
        "-n",
        "etl",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    (seen,) = api.requests("/cronjobs")
    assert seen.path == "/apis/batch/v1/namespaces/etl/cronjobs"
    assert seen.user == "jane"


def test_token_flag_beats_the_kubeconfig_token(tmp_path, api):
    api.policy.tokens["other"] = "omar"
    cfg = kubeconfig_for(tmp_path, api, {"token": TOKEN})
    assert run_cli("next-runs", "--kubeconfig", str(cfg), "--token", "other").returncode == 0
    assert api.requests("/cronjobs")[0].user == "omar"


def test_user_and_cluster_flags_pick_other_entries(tmp_path, api):
    import yaml

    cfg = kubeconfig_for(tmp_path, api, {"token": "wrong"})
    doc = yaml.safe_load(cfg.read_text())
    doc["users"].append({"name": "good", "user": {"token": TOKEN}})
    good_cluster = dict(doc["clusters"][0]["cluster"])
    doc["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:1"
    doc["clusters"].append({"name": "real", "cluster": good_cluster})
    cfg.write_text(yaml.safe_dump(doc))
    done = run_cli("next-runs", "--kubeconfig", str(cfg), "--user", "good", "--cluster", "real")
    assert done.returncode == 0, done.stderr
    missing = run_cli("next-runs", "--kubeconfig", str(cfg), "--user", "nobody")
    assert missing.stderr == 'error: auth info "nobody" does not exist\n'
    missing = run_cli("next-runs", "--kubeconfig", str(cfg), "--cluster", "nowhere")
    assert missing.stderr == 'error: cluster "nowhere" does not exist\n'


def test_a_kubeconfig_setting_we_do_not_know_is_an_error(tmp_path, api):
    cfg = kubeconfig_for(tmp_path, api, {"token": TOKEN, "tokn-file": "x"})
    done = run_cli("next-runs", "--kubeconfig", str(cfg))
    assert done.returncode == 1
    assert done.stderr == (
        'error: user "u" in the kubeconfig has the setting "tokn-file", which is not a '
        "kubeconfig setting kubectl knows\n"
    )


def test_context_switch_keeps_the_connection_flags(tmp_path, api):
    """The app reconnects through commands.connect.connect(args, context)."""
    from kubectl_batch.cli import build_parser
    from kubectl_batch.commands.connect import connect

    cfg = kubeconfig_for(
        tmp_path,
        api,
        {"token": "wrong"},
        extra_contexts={"other": {"cluster": "c", "user": "u", "namespace": "ml"}},
    )
    args = build_parser().parse_args(
        ["--kubeconfig", str(cfg), "--token", TOKEN, "--as", "restricted", "-n", "x"]
    )
    client = connect(args, "other")
    assert client.config.namespace == "ml"  # the new context's namespace, not -n
    client.get("/version")
    (seen,) = api.requests("/version")
    assert (seen.header("Authorization"), seen.user) == (f"Bearer {TOKEN}", "restricted")


def test_requests_from_threads_share_one_client(tmp_path, api):
    client = ApiClient(load(kubeconfig=str(kubeconfig_for(tmp_path, api))))
    threads = [threading.Thread(target=client.get, args=("/version",)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(api.requests("/version")) == 8


def test_an_unknown_context_or_cluster_setting_is_an_error_too(tmp_path, api):
    import yaml

    cfg = kubeconfig_for(tmp_path, api, cluster={"proxy_url": "http://p:1"})
    done = run_cli("next-runs", "--kubeconfig", str(cfg))
    assert done.stderr == (
        'error: cluster "c" in the kubeconfig has the setting "proxy_url", which is not a '
        "kubeconfig setting kubectl knows\n"
    )
    cfg = kubeconfig_for(tmp_path, api)
    doc = yaml.safe_load(cfg.read_text())
    doc["contexts"][0]["context"]["namepsace"] = "etl"
    cfg.write_text(yaml.safe_dump(doc))
    done = run_cli("next-runs", "--kubeconfig", str(cfg))
    assert done.stderr == (
        'error: context "test" in the kubeconfig has the setting "namepsace", which is not a '
        "kubeconfig setting kubectl knows\n"
    )


def test_a_server_without_a_scheme_is_https_when_tls_is_configured(tmp_path, api):
    env = {"HOME": str(tmp_path), "KUBECONFIG": ""}
    flags = ["--token", TOKEN, "--certificate-authority", str(api.pki.ca_file)]
    done = run_cli("next-runs", "-s", f"127.0.0.1:{api.port}", *flags, env=env)
    assert done.returncode == 0, done.stderr
    bad = run_cli("next-runs", "-s", "ftp://127.0.0.1:1", env=env)
    assert bad.stderr == 'error: the server "ftp://127.0.0.1:1" is not an http(s) URL\n'
