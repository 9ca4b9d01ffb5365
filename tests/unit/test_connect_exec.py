"""Exec credential plugins as client-go runs them, with fake plugins (tests/support/
fake_plugins.py) against the local HTTPS API server."""

from __future__ import annotations

import base64
import json
import os
import pty
import select
import subprocess
import sys
import threading
import time

from support.connect import ROOT, kubeconfig_for, run_cli
from support.fake_plugins import VERSION, calls, exec_user, make_plugin

from kubectl_batch.kube.client import ApiClient
from kubectl_batch.kube.config import load

TOKEN_PLUGIN = 'answer({"token": "plugin-token"})'


def test_token_plugin_with_env_and_no_terminal(tmp_path, api):
    api.policy.tokens["plugin-token"] = "pat"
    plugin = make_plugin(tmp_path / "p", "token", TOKEN_PLUGIN)
    user = exec_user(plugin, env=[{"name": "FAKE_ENV", "value": "hello"}])
    done = run_cli("next-runs", "--kubeconfig", str(kubeconfig_for(tmp_path, api, user)))
    assert done.returncode == 0, done.stderr
    assert {s.user for s in api.seen} == {"pat"}
    (call,) = calls(plugin)  # run once, its answer cached
    assert call["env"] == "hello"
    assert call["tty"] is False
    assert call["info"] == {
        "apiVersion": VERSION,
        "kind": "ExecCredential",
        "spec": {"interactive": False},
    }


def test_the_plugins_stderr_reaches_the_user(tmp_path, api):
    """kubelogin's device code, oidc-login's browser URL: shown while the plugin waits."""
    api.policy.tokens["t"] = "pat"
    plugin = make_plugin(
        tmp_path / "p",
        "device",
        'print("To sign in, open https://microsoft.com/devicelogin and enter ABCD-1234",'
        " file=sys.stderr)\n"
        'answer({"token": "t"})',
    )
    done = run_cli(
        "next-runs", "--kubeconfig", str(kubeconfig_for(tmp_path, api, exec_user(plugin)))
    )
    assert done.returncode == 0
    assert done.stderr == (
        "To sign in, open https://microsoft.com/devicelogin and enter ABCD-1234\n"
    )


def test_expiring_token_is_renewed_and_nanosecond_timestamps_parse(tmp_path, api):
    for i in range(1, 5):
        api.policy.tokens[f"tok-{i}"] = "pat"
    plugin = make_plugin(
        tmp_path / "p",
        "expiring",
        'answer({"token": f"tok-{n}", "expirationTimestamp": in_seconds(1)})',
    )
    client = ApiClient(load(kubeconfig=str(kubeconfig_for(tmp_path, api, exec_user(plugin)))))
    client.get("/version")
    client.get("/version")
    time.sleep(1.2)
    client.get("/version")
    auth = [s.header("Authorization") for s in api.requests("/version")]
    assert auth == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]


def test_a_401_runs_the_plugin_again(tmp_path, api):
    api.policy.tokens["tok-2"] = "pat"  # tok-1 was revoked early
    plugin = make_plugin(tmp_path / "p", "revoked", 'answer({"token": f"tok-{n}"})')
    client = ApiClient(load(kubeconfig=str(kubeconfig_for(tmp_path, api, exec_user(plugin)))))
    assert client.get("/version")["major"] == "1"
    assert [s.header("Authorization") for s in api.seen] == ["Bearer tok-1", "Bearer tok-2"]


def test_client_certificates_rotate(tmp_path, api, pki):
    """Teleport/Pinniped: short certificates. Each new one gets a new TLS context and pool."""
    certs = tmp_path / "certs"
    certs.mkdir()
    for i in (1, 2, 3):
        cert, key = pki.client(f"carol-{i}")
        (certs / f"{i}.json").write_text(json.dumps([cert.decode(), key.decode()]))
    plugin = make_plugin(
        tmp_path / "p",
        "certs",
        f"cert, key = json.load(open({str(certs)!r} + f'/{{n}}.json'))\n"
        'answer({"clientCertificateData": cert, "clientKeyData": key,'
        ' "expirationTimestamp": in_seconds(1)})',
    )
    client = ApiClient(load(kubeconfig=str(kubeconfig_for(tmp_path, api, exec_user(plugin)))))
    client.get("/version")
    # A watch open on the first certificate's connection...
    api.watch_hold, ended = 30.0, threading.Event()
    path = "/apis/batch/v1/namespaces/etl/cronjobs"
    watcher = threading.Thread(
        target=lambda: (list(client.watch(path, {}, timeout_seconds=60)), ended.set()),
        daemon=True,
    )
    watcher.start()
    client.get("/version")
    time.sleep(1.2)
    client.get("/version")
    # ...ends when the certificate rotates (client-go closes its connections then).
    assert ended.wait(5)
    api.watch_hold = 0
    # And when the API server refuses a certificate before its expiry (401): the next one.
    api.policy.revoked.add("carol-2")
    client.get("/version")
    versions = api.requests("/version")
    cns = ["carol-1", "carol-1", "carol-2", "carol-2", "carol-3"]
    assert [s.client_cn for s in versions] == cns
    assert [s.user for s in versions] == ["carol-1", "carol-1", "carol-2", None, "carol-3"]
    assert api.requests("/cronjobs")[0].client_cn == "carol-1"
    assert all(s.header("Authorization") is None for s in api.seen)


def test_provide_cluster_info(tmp_path, api):
    api.policy.tokens["plugin-token"] = "pat"
    plugin = make_plugin(tmp_path / "p", "gke", TOKEN_PLUGIN)
    ext = [{"name": "client.authentication.k8s.io/exec", "extension": {"audience": "gke"}}]
    cfg = kubeconfig_for(
        tmp_path,
        api,
        exec_user(plugin, provideClusterInfo=True),
        cluster={"tls-server-name": "localhost", "extensions": ext},
    )
    assert run_cli("next-runs", "--kubeconfig", str(cfg)).returncode == 0
    (call,) = calls(plugin)
    assert call["info"]["spec"]["cluster"] == {
        "server": api.url,
        "tls-server-name": "localhost",
        "certificate-authority-data": base64.b64encode(api.pki.ca_pem).decode(),
        "config": {"audience": "gke"},
    }


def test_v1beta1_plugins_work_too(tmp_path, api):
    api.policy.tokens["plugin-token"] = "pat"
    beta = "client.authentication.k8s.io/v1beta1"
    plugin = make_plugin(tmp_path / "p", "beta", f'answer({{"token": "plugin-token"}}, {beta!r})')
    user = exec_user(plugin, apiVersion=beta, interactiveMode=None)  # optional in v1beta1
    done = run_cli("next-runs", "--kubeconfig", str(kubeconfig_for(tmp_path, api, user)))
    assert done.returncode == 0, done.stderr


# -- failures: one line each (the plugin's own stderr first) ---------------------------------


def fails(tmp_path, api, user: dict) -> str:
    done = run_cli("next-runs", "--kubeconfig", str(kubeconfig_for(tmp_path, api, user)))
    assert done.returncode == 1
    assert not api.requests("/cronjobs")
    return done.stderr


def test_failing_plugin(tmp_path, api):
    plugin = make_plugin(
        tmp_path / "p", "fail", 'print("the SSO session has expired", file=sys.stderr)\nsys.exit(3)'
    )
    assert fails(tmp_path, api, exec_user(plugin)) == (
        "the SSO session has expired\n"
        f"error: getting credentials: exec: executable {plugin} failed with exit code 3\n"
    )


def test_garbage_output(tmp_path, api):
    plugin = make_plugin(tmp_path / "p", "garbage", 'print("hello")')
    assert fails(tmp_path, api, exec_user(plugin)) == (
        "error: getting credentials: decoding stdout: the plugin did not print an "
        "ExecCredential (JSON)\n"
    )


def test_wrong_api_version_is_refused(tmp_path, api):
    beta = "client.authentication.k8s.io/v1beta1"
    plugin = make_plugin(tmp_path / "p", "wrong", f'answer({{"token": "x"}}, {beta!r})')
    assert fails(tmp_path, api, exec_user(plugin)) == (
        f"error: getting credentials: exec plugin is configured to use API version {VERSION}, "
        f"plugin returned version {beta}\n"
    )


def test_no_token_nor_certificate(tmp_path, api):
    plugin = make_plugin(tmp_path / "p", "empty", "answer({})")
    assert fails(tmp_path, api, exec_user(plugin)) == (
        "error: getting credentials: exec plugin didn't return a token or cert/key pair\n"
    )


def test_missing_command_prints_the_whole_install_hint(tmp_path, api):
    shown = (
        "kubelogin is not installed.\n\nInstall it with:\n  brew install Azure/kubelogin/kubelogin"
    )
    # A hint cannot drive the terminal: its escape characters are shown, not sent.
    user = exec_user(tmp_path / "no-such-plugin", installHint=shown + "\x1b[2J")
    shown += "U+001B[2J"
    stderr = fails(tmp_path, api, user)
    assert stderr.startswith(
        f"error: getting credentials: exec: executable {tmp_path / 'no-such-plugin'} not found\n\n"
        "It looks like you are trying to use a client-go credential plugin that is not installed."
    )
    assert stderr.endswith("\n\n" + shown + "\n")


def test_interactive_mode_always_without_a_terminal_is_refused_before_running(tmp_path, api):
    plugin = make_plugin(tmp_path / "p", "always", TOKEN_PLUGIN)
    assert fails(tmp_path, api, exec_user(plugin, interactiveMode="Always")) == (
        "error: getting credentials: exec plugin cannot support interactive mode: "
        "standard input is not a terminal\n"
    )
    assert calls(plugin) == []


def test_v1_without_interactive_mode_is_an_error(tmp_path, api):
    plugin = make_plugin(tmp_path / "p", "nomode", TOKEN_PLUGIN)
    assert fails(tmp_path, api, exec_user(plugin, interactiveMode=None)) == (
        "error: invalid configuration: interactiveMode must be specified for u to use exec "
        "authentication plugin\n"
    )
    bad = exec_user(plugin, apiVersion="client.authentication.k8s.io/v1alpha1")
    assert fails(tmp_path, api, bad) == (
        'error: exec plugin: invalid apiVersion "client.authentication.k8s.io/v1alpha1"\n'
    )


# -- on a terminal ---------------------------------------------------------------------------


def run_on_terminal(args: list[str], typed: bytes, timeout: float = 30) -> tuple[int, str]:
    """``kubectl-batch ARGS`` with a pseudo-terminal as stdin/stdout/stderr; ``typed`` is
    written once the plugin's prompt appears. Returns (exit code, everything shown)."""
    master, slave = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubectl_batch", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
        cwd=ROOT,
    )
    os.close(slave)
    shown, sent = b"", False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        if not sent and b"Password:" in shown:
            os.write(master, typed)
            sent = True
        if proc.poll() is not None and not ready:
            break
    os.close(master)
    return proc.wait(timeout=5), shown.decode(errors="replace")


def test_a_plugin_that_needs_the_terminal_gets_it(tmp_path, api):
    api.policy.tokens["hunter2-token"] = "pat"
    plugin = make_plugin(
        tmp_path / "p",
        "prompt",
        'if not os.isatty(0) or not info["spec"]["interactive"]:\n'
        '    print("no terminal", file=sys.stderr); sys.exit(2)\n'
        'sys.stderr.write("Password: "); sys.stderr.flush()\n'
        'answer({"token": sys.stdin.readline().strip() + "-token"})',
    )
    cfg = kubeconfig_for(tmp_path, api, exec_user(plugin, interactiveMode="Always"))
    code, shown = run_on_terminal(["next-runs", "--kubeconfig", str(cfg)], b"hunter2\n")
    assert code == 0, shown
    assert "Password: " in shown and "nightly" in shown
    assert calls(plugin)[0]["tty"] is True
    assert {s.user for s in api.seen} == {"pat"}


def test_interactive_mode_never_keeps_the_terminal_from_the_plugin(tmp_path, api):
    api.policy.tokens["plugin-token"] = "pat"
    plugin = make_plugin(tmp_path / "p", "never", TOKEN_PLUGIN)
    cfg = kubeconfig_for(tmp_path, api, exec_user(plugin, interactiveMode="Never"))
    code, shown = run_on_terminal(["next-runs", "--kubeconfig", str(cfg)], b"")
    assert code == 0, shown
    (call,) = calls(plugin)
    assert call["tty"] is False and call["info"]["spec"]["interactive"] is False


def test_the_cache_outlives_a_failed_plugin_run(tmp_path, api):
    """A login given up (the plugin fails) leaves the watches reconnecting, not dead."""
    from kubectl_batch.kube.cache import ClusterCache, Phase

    api.watch_hold = 0.5
    api.policy.tokens["tok-2"] = "pat"
    plugin = make_plugin(
        tmp_path / "p",
        "flaky",
        'if n == 1:\n    print("login cancelled", file=sys.stderr); sys.exit(1)\n'
        'answer({"token": "tok-2"})',
    )
    client = ApiClient(load(kubeconfig=str(kubeconfig_for(tmp_path, api, exec_user(plugin)))))
    cache = ClusterCache(client, "etl", None).start()
    try:
        # Not wait_synced(): the watch whose list met the failed run is RECONNECTING,
        # which counts as synced. Wait for every watch to come back after its backoff.
        deadline, seen = time.monotonic() + 20, cache.version
        while time.monotonic() < deadline and any(
            s.phase is not Phase.CONNECTED for s in cache.states().values()
        ):
            seen = cache.wait_changed(seen, timeout=0.5)
        assert {s.phase for s in cache.states().values()} == {Phase.CONNECTED}
        assert [c["metadata"]["name"] for c in cache.cronjobs()] == ["nightly"]
    finally:
        cache.stop()
    assert len(calls(plugin)) == 2


def test_a_ui_shows_the_stderr_of_a_plugin_it_does_not_lend_the_terminal(tmp_path, api):
    """In the UI, a plugin without the terminal must not write over the screen: its stderr
    goes to the UI (a notification). (One given the terminal: test_connect_tui.py.)"""
    api.policy.tokens["t"] = "pat"
    body = 'print("using cached SSO session", file=sys.stderr)\nanswer({"token": "t"})'
    plugin = make_plugin(tmp_path / "p", "warn", body)
    user = exec_user(plugin, interactiveMode="Never")
    client = ApiClient(load(kubeconfig=str(kubeconfig_for(tmp_path, api, user))))
    shown, lent = [], []
    client.set_plugin_ui(lambda fn: (lent.append(fn), fn())[1], shown.append)
    client.get("/version")
    assert shown == ["using cached SSO session"]
    assert lent == []
