"""The kubeconfig's legacy ``auth-provider``: ``oidc`` as client-go's plugin did it (use the
id-token while it is valid, else refresh it at the issuer's token endpoint and write the new
tokens back into the kubeconfig file that defines the user); ``gcp`` and ``azure`` were
removed from kubectl in 1.26, and get its sentence naming their replacement."""

from __future__ import annotations

import base64
import json
import os
import ssl
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from kubectl_batch.kube.config import ClusterConfig, ConfigError

if TYPE_CHECKING:
    import urllib3

# kubectl's text (client-go plugin/pkg/client/auth/{gcp,azure}), its lines joined.
REMOVED = {
    "gcp": 'The gcp auth plugin has been removed. Please use the "gke-gcloud-auth-plugin" '
    "kubectl/client-go credential plugin instead. See https://cloud.google.com/blog/products/"
    "containers-kubernetes/kubectl-auth-changes-in-gke for further details",
    "azure": "The azure auth plugin has been removed. Please use the "
    "https://github.com/Azure/kubelogin kubectl/client-go credential plugin instead. See "
    "https://kubernetes.io/docs/reference/access-authn-authz/authentication/"
    "#client-go-credential-plugins for further details",
}
#: An id-token this close to its expiry is refreshed (client-go's expiryDelta).
EXPIRY_DELTA = 10.0


def validate_provider(provider: dict[str, Any]) -> None:
    name = provider.get("name")
    if name in REMOVED:
        raise ConfigError(REMOVED[name])
    if name != "oidc":
        raise ConfigError(f'no Auth Provider found for name "{name}"')


def _jwt_expiry(token: str) -> float | None:
    parts = token.split(".")
    if len(parts) != 3:
        raise ConfigError("ID Token is not a valid JWT")
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        return float(payload["exp"]) if "exp" in payload else None
    except (ValueError, TypeError, KeyError):
        raise ConfigError("ID Token is not a valid JWT") from None


class OidcProvider:
    def __init__(self, config: ClusterConfig):
        self.config = config
        provider = config.credentials.auth_provider or {}
        self.cfg: dict[str, str] = dict(provider.get("config") or {})
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            current = self.cfg.get("id-token")
            if current:
                exp = _jwt_expiry(current)
                if exp is None or time.time() + EXPIRY_DELTA < exp:
                    return current
            refresh = self.cfg.get("refresh-token")
            if not refresh:
                raise ConfigError("No valid id-token, and cannot refresh without refresh-token")
            answer = self._refresh(refresh)
            id_token = answer.get("id_token")
            if not isinstance(id_token, str) or not id_token:
                raise ConfigError(
                    'token response did not contain an id_token, either the scope "openid" '
                    "wasn't requested upon login, or the provider doesn't support id_tokens "
                    "as part of the refresh response."
                )
            new = dict(self.cfg, **{"id-token": id_token})
            if answer.get("refresh_token"):
                new["refresh-token"] = answer["refresh_token"]
            self._persist(new)
            self.cfg = new
            return id_token

    # -- the issuer ----------------------------------------------------------------------
    def _pool(self, issuer: str) -> urllib3.PoolManager:
        import urllib3

        from kubectl_batch.kube.proxy import from_environment

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ca_file, ca_data = self.cfg.get("idp-certificate-authority"), None
        if self.cfg.get("idp-certificate-authority-data"):
            ca_data = base64.b64decode(self.cfg["idp-certificate-authority-data"]).decode()
        if ca_file or ca_data:
            ctx.load_verify_locations(cafile=ca_file, cadata=ca_data)
        else:
            ctx.load_default_certs()
        # client-go reaches the issuer with Go's default transport: the environment's proxy.
        via = from_environment(issuer, os.environ)
        if via:
            return urllib3.ProxyManager(via, ssl_context=ctx, retries=False)
        return urllib3.PoolManager(ssl_context=ctx, retries=False)

    def _refresh(self, refresh_token: str) -> dict[str, Any]:
        import urllib3

        issuer = (self.cfg.get("idp-issuer-url") or "").rstrip("/")
        pool = self._pool(issuer)
        try:
            discovery = pool.request("GET", issuer + "/.well-known/openid-configuration")
            endpoint = json.loads(discovery.data).get("token_endpoint")
            if discovery.status != 200 or not endpoint:
                raise ConfigError(
                    f"failed to refresh token: no token endpoint in the discovery document "
                    f"of {issuer} (HTTP {discovery.status})"
                )
            client = f"{self.cfg.get('client-id', '')}:{self.cfg.get('client-secret', '')}"
            answer = pool.request(
                "POST",
                endpoint,
                body=urlencode({"grant_type": "refresh_token", "refresh_token": refresh_token}),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Authorization": "Basic " + base64.b64encode(client.encode()).decode(),
                },
            )
        except (urllib3.exceptions.HTTPError, ssl.SSLError, OSError) as exc:
            raise ConfigError(f"failed to refresh token: {exc}") from None
        except ValueError:
            raise ConfigError(
                f"failed to refresh token: the discovery document of {issuer} is not JSON"
            ) from None
        try:
            body = json.loads(answer.data)
        except ValueError:
            body = {}
        if answer.status != 200:
            reason = body.get("error") if isinstance(body, dict) else None
            raise ConfigError(
                f"failed to refresh token: the token endpoint answered HTTP {answer.status}"
                + (f" ({reason})" if reason else "")
            )
        return body if isinstance(body, dict) else {}

    # -- write-back ----------------------------------------------------------------------
    def _persist(self, new: dict[str, str]) -> None:
        """The new tokens into the file that defines the user, as kubectl's persister does
        (the file is re-serialised: comments in it are lost, as with kubectl)."""
        import yaml

        source, name = self.config.credentials.source, self.config.user_name
        if not source:
            return
        path = Path(source)
        try:
            data = yaml.safe_load(path.read_text()) or {}
            for entry in data.get("users") or []:
                if entry.get("name") == name:
                    provider = entry.setdefault("user", {}).setdefault("auth-provider", {})
                    provider["config"] = new
                    break
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".kubeconfig-")
            with os.fdopen(fd, "w") as f:
                yaml.safe_dump(data, f, default_flow_style=False)
            os.chmod(tmp, path.stat().st_mode & 0o777)
            os.replace(tmp, path)
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"could not persist new tokens: {exc}") from None
