"""The kubeconfig's legacy auth-provider: oidc refreshes its id-token at the issuer and
writes the new tokens back into the kubeconfig; gcp and azure get kubectl's sentence."""

from __future__ import annotations

import time

import pytest
import yaml
from support.connect import kubeconfig_for, run_cli
from support.fake_apiserver import jwt


def oidc_user(api, id_token: str | None, refresh_token: str | None = "rt-0") -> dict:
    config = {
        "client-id": "kubectl",
        "client-secret": "shh",
        "idp-issuer-url": api.url,  # the fake API server is the issuer too
        "idp-certificate-authority": str(api.pki.ca_file),
        "id-token": id_token,
        "refresh-token": refresh_token,
    }
    return {"auth-provider": {"name": "oidc", "config": {k: v for k, v in config.items() if v}}}


def provider_config(cfg) -> dict:
    return yaml.safe_load(cfg.read_text())["users"][0]["user"]["auth-provider"]["config"]


def test_a_valid_id_token_is_used_as_it_is(tmp_path, api):
    token = jwt({"sub": "olga", "exp": time.time() + 600})
    api.policy.tokens[token] = "olga"
    cfg = kubeconfig_for(tmp_path, api, oidc_user(api, token))
    done = run_cli("next-runs", "--kubeconfig", str(cfg))
    assert done.returncode == 0, done.stderr
    assert not api.requests("/token")
    assert api.requests("/cronjobs")[0].user == "olga"


def test_an_expired_id_token_is_refreshed_and_written_back(tmp_path, api):
    expired = jwt({"sub": "olga", "exp": time.time() - 60})
    api.policy.tokens[expired] = "olga"  # the server would still take it: we must not send it
    api.refresh_tokens["rt-0"] = "olga"
    cfg = kubeconfig_for(tmp_path, api, oidc_user(api, expired))
    done = run_cli("next-runs", "--kubeconfig", str(cfg))
    assert done.returncode == 0, done.stderr
    (refresh,) = api.requests("/token")
    assert refresh.method == "POST"
    assert refresh.header("Authorization").startswith("Basic ")  # client id and secret
    written = provider_config(cfg)
    assert written["id-token"] != expired
    assert written["refresh-token"] != "rt-0"
    assert written["client-id"] == "kubectl"  # the rest of the entry kept
    assert api.requests("/cronjobs")[0].header("Authorization") == f"Bearer {written['id-token']}"
    # The next run uses the written token without asking the issuer again.
    assert run_cli("next-runs", "--kubeconfig", str(cfg)).returncode == 0
    assert len(api.requests("/token")) == 1


def test_expired_without_a_refresh_token(tmp_path, api):
    expired = jwt({"sub": "olga", "exp": time.time() - 60})
    cfg = kubeconfig_for(tmp_path, api, oidc_user(api, expired, refresh_token=None))
    done = run_cli("next-runs", "--kubeconfig", str(cfg))
    assert done.returncode == 1
    assert done.stderr == ("error: No valid id-token, and cannot refresh without refresh-token\n")
    assert not api.seen


def test_a_refused_refresh(tmp_path, api):
    expired = jwt({"sub": "olga", "exp": time.time() - 60})
    cfg = kubeconfig_for(tmp_path, api, oidc_user(api, expired, refresh_token="revoked"))
    done = run_cli("next-runs", "--kubeconfig", str(cfg))
    assert done.returncode == 1
    assert done.stderr == (
        "error: failed to refresh token: the token endpoint answered HTTP 400 (invalid_grant)\n"
    )
    assert not api.requests("/cronjobs")


@pytest.mark.parametrize(
    "name,sentence",
    [
        (
            "gcp",
            'The gcp auth plugin has been removed. Please use the "gke-gcloud-auth-plugin" '
            "kubectl/client-go credential plugin instead. See https://cloud.google.com/blog/"
            "products/containers-kubernetes/kubectl-auth-changes-in-gke for further details",
        ),
        (
            "azure",
            "The azure auth plugin has been removed. Please use the "
            "https://github.com/Azure/kubelogin kubectl/client-go credential plugin instead. "
            "See https://kubernetes.io/docs/reference/access-authn-authz/authentication/"
            "#client-go-credential-plugins for further details",
        ),
        ("keystone", 'no Auth Provider found for name "keystone"'),
    ],
)
def test_removed_and_unknown_providers(tmp_path, api, name, sentence):
    cfg = kubeconfig_for(tmp_path, api, {"auth-provider": {"name": name, "config": {}}})
    done = run_cli("next-runs", "--kubeconfig", str(cfg))
    assert done.returncode == 1
    assert done.stderr == f"error: {sentence}\n"
    assert not api.seen
