"""client-go exec credential plugins (client.authentication.k8s.io v1 and v1beta1).

As client-go runs them: the plugin's stderr goes to the user (device codes, browser URLs,
``aws sso`` prompts), it gets the terminal's stdin when interactive, there is no time
limit (a person may take minutes to log in), and its answer is cached until it expires or
the API server answers 401. Errors use client-go's wording.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from kubectl_batch.domain.timeutil import parse_time
from kubectl_batch.kube.config import ClusterConfig, ConfigError

API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")
MODES = ("Never", "IfAvailable", "Always")

# client-go's installHintVerboseHelp, printed before the kubeconfig's installHint.
INSTALL_HELP = (
    "\n\nIt looks like you are trying to use a client-go credential plugin that is not "
    "installed.\n\nTo learn more about this feature, consult the documentation available "
    "at:\n      https://kubernetes.io/docs/reference/access-authn-authz/authentication/"
    "#client-go-credential-plugins"
)

T = TypeVar("T")
#: Runs the plugin on behalf of a UI that owns the terminal (it suspends itself around it).
Around = Callable[[Callable[[], T]], T]
#: Shows what a plugin not given the terminal wrote to stderr, in a UI that owns it.
ShowStderr = Callable[[str], None]


def validate(spec: dict[str, Any], user: str) -> None:
    """The kubeconfig's exec entry, checked as kubectl's loader does."""

    def invalid(text: str) -> ConfigError:
        return ConfigError(f"invalid configuration: {text}")

    if not spec.get("command"):
        raise invalid(f"command must be specified for {user} to use exec authentication plugin")
    version = spec.get("apiVersion")
    if not version:
        raise invalid(f"apiVersion must be specified for {user} to use exec authentication plugin")
    if version not in API_VERSIONS:
        raise ConfigError(f'exec plugin: invalid apiVersion "{version}"')
    mode = spec.get("interactiveMode")
    if not mode and version.endswith("/v1"):
        raise invalid(
            f"interactiveMode must be specified for {user} to use exec authentication plugin"
        )
    if mode and mode not in MODES:
        raise invalid(f'invalid interactiveMode for {user}: "{mode}"')


@dataclass(frozen=True)
class ExecResult:
    token: str | None
    client_cert: tuple[bytes, bytes] | None
    expires: datetime | None


def _credentials_error(text: str) -> ConfigError:
    return ConfigError(f"getting credentials: {text}")


class ExecPlugin:
    """Runs the plugin and caches its answer until it expires; safe between threads."""

    def __init__(self, config: ClusterConfig):
        self.config = config
        self.spec = config.credentials.exec_config or {}
        self.around: Around | None = None
        self.show_stderr: ShowStderr | None = None
        self._lock = threading.Lock()
        self._result: ExecResult | None = None

    def get(self, force: bool = False, stale: ExecResult | None = None) -> ExecResult:
        """The cached answer, or a new one when expired; ``force`` re-runs the plugin unless
        another thread already replaced ``stale`` (client-go's maybeRefreshCreds)."""
        with self._lock:
            current = self._result
            if force and current is not None and stale is not None and current is not stale:
                return current
            now = datetime.now(timezone.utc)
            if force or current is None or (current.expires and now > current.expires):
                interactive = self._interactive()

                def run() -> ExecResult:
                    return self._run(interactive)

                # A plugin that may talk to the user gets the terminal from the UI.
                result = self.around(run) if interactive and self.around else run()
                self._result = result
                return result
            return current

    def _interactive(self) -> bool:
        mode = self.spec.get("interactiveMode") or "IfAvailable"
        terminal = _stdin_is_terminal()
        if mode == "Always" and not terminal:
            raise _credentials_error(
                "exec plugin cannot support interactive mode: standard input is not a terminal"
            )
        return mode != "Never" and terminal

    def exec_info(self, interactive: bool) -> dict[str, Any]:
        spec: dict[str, Any] = {"interactive": interactive}
        if self.spec.get("provideClusterInfo"):
            spec["cluster"] = cluster_info(self.config)
        return {"apiVersion": self.spec["apiVersion"], "kind": "ExecCredential", "spec": spec}

    def _run(self, interactive: bool) -> ExecResult:
        command = self.spec["command"]
        env = dict(os.environ)
        for item in self.spec.get("env") or []:
            env[item["name"]] = item.get("value", "")
        env["KUBERNETES_EXEC_INFO"] = json.dumps(self.exec_info(interactive))
        # What the plugin tells the user reaches them: its stderr is inherited, unless a UI
        # owns the terminal and the plugin does not get it (the UI shows the text instead).
        capture = not interactive and self.show_stderr is not None
        try:
            done = subprocess.run(
                [command, *(self.spec.get("args") or [])],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE if capture else None,
                stdin=None if interactive else subprocess.DEVNULL,
            )
        except FileNotFoundError:
            text = f"exec: executable {command} not found{INSTALL_HELP}"
            hint = _printable((self.spec.get("installHint") or "").strip())
            raise _credentials_error(text + (f"\n\n{hint}" if hint else "")) from None
        except OSError as exc:
            raise _credentials_error(f"exec: {exc.strerror or exc}") from None
        if capture and done.stderr and self.show_stderr is not None:
            self.show_stderr(done.stderr.decode(errors="replace").strip())
        if done.returncode != 0:
            raise _credentials_error(
                f"exec: executable {command} failed with exit code {done.returncode}"
            )
        return self._decode(done.stdout)

    def _decode(self, stdout: bytes) -> ExecResult:
        try:
            answer = json.loads(stdout)
        except ValueError:
            raise _credentials_error(
                "decoding stdout: the plugin did not print an ExecCredential (JSON)"
            ) from None
        if not isinstance(answer, dict):
            raise _credentials_error("decoding stdout: the plugin did not print an object")
        expected, got = self.spec["apiVersion"], answer.get("apiVersion")
        if got != expected or answer.get("kind") != "ExecCredential":
            raise _credentials_error(
                f"exec plugin is configured to use API version {expected}, "
                f"plugin returned version {got}"
            )
        status = answer.get("status")
        if not isinstance(status, dict):
            raise _credentials_error("exec plugin didn't return a status field")
        token = status.get("token") or None
        cert, key = status.get("clientCertificateData"), status.get("clientKeyData")
        if not token and not cert and not key:
            raise _credentials_error("exec plugin didn't return a token or cert/key pair")
        if bool(cert) != bool(key):
            raise _credentials_error("exec plugin returned only certificate or key, not both")
        try:
            expires = parse_time(status.get("expirationTimestamp"))
        except ValueError as exc:
            raise _credentials_error(f"decoding stdout: {exc}") from None
        pair = (cert.encode(), key.encode()) if cert and key else None
        return ExecResult(token=token, client_cert=pair, expires=expires)


def cluster_info(config: ClusterConfig) -> dict[str, Any]:
    """spec.cluster for provideClusterInfo (client-go's clientauthentication.Cluster)."""
    ca = config.ca_data
    if not ca and config.ca_file:
        try:
            with open(config.ca_file, "rb") as f:
                ca = f.read()
        except OSError as exc:
            raise ConfigError(
                f"cannot read the certificate authority {config.ca_file}: {exc.strerror}"
            ) from None
    info: dict[str, Any] = {"server": config.server}
    if config.tls_server_name:
        info["tls-server-name"] = config.tls_server_name
    if config.insecure:
        info["insecure-skip-tls-verify"] = True
    if ca:
        info["certificate-authority-data"] = base64.b64encode(ca).decode()
    if config.proxy_url:
        info["proxy-url"] = config.proxy_url
    if config.disable_compression:
        info["disable-compression"] = True
    if config.exec_extension is not None:
        info["config"] = config.exec_extension
    return info


def _printable(text: str) -> str:
    """client-go's cleanANSIEscapeCodes: a kubeconfig's hint cannot drive the terminal;
    control characters but whitespace are shown as U+XXXX."""
    return "".join(
        ch if ch in "\t\n\v\f\r" or unicodedata.category(ch)[0] in "LMNPSZ" else f"U+{ord(ch):04X}"
        for ch in text
    )


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and os.isatty(sys.stdin.fileno())
    except (OSError, ValueError):
        return False
