"""Proxies (the cluster's proxy-url, HTTPS_PROXY/NO_PROXY by Go's rules) for LISTs,
WATCHes and log streams, and gzip, against the local API server and CONNECT proxy. The
API server is named ``apiserver.test``, a name only the proxy resolves: an answer proves
the request went through it."""

from __future__ import annotations

import importlib.util
import ssl

import pytest
from support.connect import TOKEN, kubeconfig_for, run_cli, write_kubeconfig
from support.connect_proxy import ConnectProxy, Socks5Proxy

from kubectl_batch.kube import logs
from kubectl_batch.kube.client import ApiClient
from kubectl_batch.kube.config import load
from kubectl_batch.kube.proxy import from_environment

HIDDEN = "apiserver.test"


@pytest.fixture
def proxy():
    server = ConnectProxy(hosts={HIDDEN: "127.0.0.1"})
    yield server
    server.close()


def hidden_kubeconfig(tmp_path, api, **cluster):
    return write_kubeconfig(
        tmp_path / "kubeconfig",
        f"https://{HIDDEN}:{api.port}",
        {"token": TOKEN},
        {"certificate-authority": str(api.pki.ca_file), **cluster},
    )


def list_watch_and_follow(cfg) -> None:
    client = ApiClient(load(kubeconfig=str(cfg)))
    events = list(client.watch("/apis/batch/v1/namespaces/etl/cronjobs", {}, timeout_seconds=5))
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED"]
    lines = list(logs.stream(client, "etl", "pod-1", follow=True))
    assert [line.text for line in lines] == ["line 0", "line 1", "line 2"]


def test_proxy_url_carries_list_watch_and_log_stream(tmp_path, api, proxy):
    cfg = hidden_kubeconfig(tmp_path, api, **{"proxy-url": proxy.url()})
    done = run_cli("next-runs", "--kubeconfig", str(cfg))
    assert done.returncode == 0, done.stderr
    assert "nightly" in done.stdout
    list_watch_and_follow(cfg)
    assert {t.target for t in proxy.tunnels} == {f"{HIDDEN}:{api.port}"}
    kinds = {(s.method, s.path.rsplit("/", 1)[-1], bool(s.query.get("watch"))) for s in api.seen}
    assert ("GET", "cronjobs", False) in kinds  # LIST
    assert ("GET", "cronjobs", True) in kinds  # WATCH
    assert ("GET", "log", False) in kinds  # followed log
    assert {s.sni for s in api.seen} == {HIDDEN}  # TLS end to end, through the tunnel


def test_https_proxy_with_credentials(tmp_path, api, pki):
    cert, key = pki.server(("127.0.0.1",))
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    proxy = ConnectProxy(hosts={HIDDEN: "127.0.0.1"}, tls=tls, password="alice:pa ss")
    try:
        url = f"https://alice:pa%20ss@127.0.0.1:{proxy.port}"
        cfg = hidden_kubeconfig(tmp_path, api, **{"proxy-url": url})
        done = run_cli("next-runs", "--kubeconfig", str(cfg))
        assert done.returncode == 0, done.stderr
        list_watch_and_follow(cfg)
        assert proxy.tunnels and all(t.target == f"{HIDDEN}:{api.port}" for t in proxy.tunnels)
    finally:
        proxy.close()


def test_https_proxy_environment_and_no_proxy(tmp_path, api, proxy):
    cfg = hidden_kubeconfig(tmp_path, api)
    env = {"HTTPS_PROXY": f"127.0.0.1:{proxy.port}"}  # no scheme: http://, as Go reads it
    done = run_cli("next-runs", "--kubeconfig", str(cfg), env=env)
    assert done.returncode == 0, done.stderr
    assert proxy.tunnels
    proxy.tunnels.clear()
    for no_proxy in (HIDDEN, ".test", f"other.example,{HIDDEN}:{api.port}", "*"):
        done = run_cli("next-runs", "--kubeconfig", str(cfg), env=dict(env, NO_PROXY=no_proxy))
        # Straight to apiserver.test, which nothing else resolves.
        assert done.returncode == 1, no_proxy
        assert done.stderr.endswith(": the host name does not resolve\n"), done.stderr
    assert not proxy.tunnels
    # A NO_PROXY entry for another port does not bypass.
    done = run_cli("next-runs", "--kubeconfig", str(cfg), env=dict(env, NO_PROXY=f"{HIDDEN}:1"))
    assert done.returncode == 0, done.stderr


def test_http_proxy_is_not_for_https_servers_and_loopback_is_never_proxied(tmp_path, api, proxy):
    cfg = hidden_kubeconfig(tmp_path, api)
    done = run_cli("next-runs", "--kubeconfig", str(cfg), env={"HTTP_PROXY": proxy.url()})
    assert "the host name does not resolve" in done.stderr
    direct = kubeconfig_for(tmp_path, api)  # https://127.0.0.1:port
    done = run_cli("next-runs", "--kubeconfig", str(direct), env={"HTTPS_PROXY": proxy.url()})
    assert done.returncode == 0, done.stderr
    assert not proxy.tunnels


@pytest.mark.parametrize(
    "server,no_proxy,proxied",
    [
        ("https://api.corp.example:6443", "", True),
        ("https://api.corp.example:6443", "corp.example", False),  # a domain and its subdomains
        ("https://corp.example:6443", "corp.example", False),
        ("https://corp.example:6443", ".corp.example", True),  # subdomains only
        ("https://api.corp.example:6443", ".corp.example", False),
        ("https://api.corp.example:6443", "*.corp.example", False),
        ("https://xcorp.example:6443", "corp.example", True),  # a suffix, not a domain
        ("https://10.1.2.3:6443", "10.0.0.0/8", False),  # CIDR
        ("https://10.1.2.3:6443", "10.1.2.3", False),
        ("https://10.1.2.3:6443", "10.1.2.3:443", True),  # another port
        ("https://[fd00::1]:6443", "fd00::/16", False),
        ("https://11.1.2.3:6443", "10.0.0.0/8, corp.example", True),
        ("https://api.corp.example:6443", "  API.CORP.EXAMPLE  ", False),  # case, spaces
        ("https://127.0.0.1:6443", "", False),  # loopback: never
        ("https://localhost:6443", "", False),
        ("https://anything:6443", "*", False),
    ],
)
def test_no_proxy_rules_are_gos(server, no_proxy, proxied):
    env = {"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": no_proxy}
    assert (from_environment(server, env) is not None) is proxied
    # lower-case names work too; upper case wins when both are set, as in Go
    assert from_environment(server, {"https_proxy": "p:1", "no_proxy": no_proxy}) == (
        "http://p:1" if proxied else None
    )


def test_upper_case_proxy_variable_wins():
    env = {"HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:1"}
    assert from_environment("https://api.example:6443", env) == "http://upper:1"


@pytest.mark.skipif(importlib.util.find_spec("socks") is None, reason="PySocks is not installed")
def test_socks5_proxy_url_lets_the_proxy_resolve(tmp_path, api):
    socks = Socks5Proxy(hosts={HIDDEN: "127.0.0.1"})
    try:
        cfg = hidden_kubeconfig(tmp_path, api, **{"proxy-url": f"socks5://127.0.0.1:{socks.port}"})
        done = run_cli("next-runs", "--kubeconfig", str(cfg))
        assert done.returncode == 0, done.stderr
        list_watch_and_follow(cfg)
        assert set(socks.targets) == {f"{HIDDEN}:{api.port}"}  # the name, not an address
    finally:
        socks.close()


def test_socks5_without_pysocks_is_one_line_naming_the_extra(tmp_path, api):
    hide = tmp_path / "no-pysocks"
    hide.mkdir()
    (hide / "socks.py").write_text('raise ImportError("No module named socks")\n')
    cfg = hidden_kubeconfig(tmp_path, api, **{"proxy-url": "socks5://127.0.0.1:1080"})
    done = run_cli("next-runs", "--kubeconfig", str(cfg), env={"PYTHONPATH": str(hide)})
    assert done.returncode == 1
    assert done.stderr == (
        "error: the proxy-url socks5://127.0.0.1:1080 needs SOCKS support, which is not "
        "installed: pip install 'kubectl-batch[socks]' (PySocks)\n"
    )


def test_unsupported_proxy_scheme(tmp_path, api):
    cfg = hidden_kubeconfig(tmp_path, api, **{"proxy-url": "ftp://127.0.0.1:21"})
    done = run_cli("next-runs", "--kubeconfig", str(cfg))
    assert done.stderr == 'error: unsupported scheme "ftp", must be http, https, or socks5\n'


# -- gzip ------------------------------------------------------------------------------------


def test_gzip_is_asked_for_and_decoded(tmp_path, api):
    api.big_list = True
    done = run_cli("next-runs", "--kubeconfig", str(kubeconfig_for(tmp_path, api)))
    assert done.returncode == 0, done.stderr
    assert "nightly" in done.stdout
    (seen,) = api.requests("/cronjobs")
    assert seen.header("Accept-Encoding") == "gzip"
    assert seen.gzipped


def test_disable_compression(tmp_path, api):
    api.big_list = True
    cfg = kubeconfig_for(tmp_path, api, cluster={"disable-compression": True})
    done = run_cli("next-runs", "--kubeconfig", str(cfg))
    assert done.returncode == 0, done.stderr
    (seen,) = api.requests("/cronjobs")
    assert "gzip" not in (seen.header("Accept-Encoding") or "")  # http.client: identity
    assert not seen.gzipped


def test_a_proxy_that_is_down_or_refuses_is_named_in_one_line(tmp_path, api):
    guarded = ConnectProxy(hosts={HIDDEN: "127.0.0.1"}, password="alice:secret")
    try:
        for url, detail in (
            ("http://127.0.0.1:1", "connection refused"),
            (
                f"http://alice:wrong@127.0.0.1:{guarded.port}",
                "the proxy refused the tunnel: 407 Proxy Authentication Required",
            ),
        ):
            cfg = hidden_kubeconfig(tmp_path, api, **{"proxy-url": url})
            done = run_cli("next-runs", "--kubeconfig", str(cfg))
            shown = url.replace("alice:wrong@", "")  # the credentials are not printed
            assert done.stderr == (
                f"error: cannot reach the Kubernetes API server https://{HIDDEN}:{api.port} of "
                f'context "test": through the proxy {shown}: {detail}\n'
            )
    finally:
        guarded.close()
