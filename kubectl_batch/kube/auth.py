"""Who we are to the API server: the Authorization header and any client certificate a
credential plugin gives, with client-go's precedence (a token, basic auth or a client
certificate in the kubeconfig or flags means the exec plugin is not run)."""

from __future__ import annotations

import base64

from kubectl_batch.kube.config import ClusterConfig, ConfigError
from kubectl_batch.kube.exec_plugin import Around, ExecPlugin, ExecResult, ShowStderr
from kubectl_batch.kube.oidc import OidcProvider
from kubectl_batch.kube.transport import ClientCert


class Authenticator:
    def __init__(self, config: ClusterConfig):
        self.config = config
        creds = config.credentials
        static = creds.token or creds.token_file or creds.username or creds.static_client_cert
        secure = config.secure  # client-go sends no credentials over plain http
        self.exec = ExecPlugin(config) if secure and creds.exec_config and not static else None
        self.oidc = OidcProvider(config) if secure and creds.auth_provider else None

    def set_plugin_ui(self, around: Around | None, show_stderr: ShowStderr | None) -> None:
        if self.exec:
            self.exec.around, self.exec.show_stderr = around, show_stderr

    def plugin_answer(
        self, force: bool = False, stale: ExecResult | None = None
    ) -> ExecResult | None:
        return self.exec.get(force, stale) if self.exec else None

    def client_cert(self) -> ClientCert | None:
        """The plugin's client certificate (it may rotate), None if it gives none."""
        answer = self.plugin_answer()
        return answer.client_cert if answer else None

    def headers(self, answer: ExecResult | None) -> dict[str, str]:
        cfg, creds = self.config, self.config.credentials
        if not cfg.secure:
            return {}
        token = creds.token
        if not token and creds.token_file:
            try:
                with open(creds.token_file) as f:  # re-read: projected tokens rotate
                    token = f.read().strip()
            except OSError as exc:
                raise ConfigError(
                    f"cannot read the token file {creds.token_file}: {exc.strerror}"
                ) from None
        if not token and answer is not None:
            token = answer.token
        if not token and self.oidc:
            token = self.oidc.token()
        if token:
            return {"Authorization": f"Bearer {token}"}
        if creds.username is not None:
            raw = f"{creds.username}:{creds.password or ''}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
        return {}
