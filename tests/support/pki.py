"""Throwaway certificate authorities for the tests, made at test time (never in the repo)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class Pki:
    """One CA; issues server and client certificates, as PEM bytes or files."""

    def __init__(self, name: str = "kubectl-batch test CA"):
        self.dir = Path(tempfile.mkdtemp(prefix="kb-pki-"))
        self._key = _key()
        self._name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = dt.datetime.now(dt.timezone.utc)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(self._name)
            .issuer_name(self._name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.ca_pem = self.cert.public_bytes(serialization.Encoding.PEM)
        self.ca_file = self.dir / "ca.crt"
        self.ca_file.write_bytes(self.ca_pem)

    def _issue(
        self,
        subject: x509.Name,
        usage,
        sans: list | None,
        lifetime: dt.timedelta,
    ) -> tuple[bytes, bytes]:
        key = _key()
        now = dt.datetime.now(dt.timezone.utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + lifetime)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = builder.sign(self._key, hashes.SHA256())
        return cert.public_bytes(serialization.Encoding.PEM), _pem_key(key)

    def server(self, hosts: tuple[str, ...]) -> tuple[Path, Path]:
        sans = []
        for host in hosts:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                sans.append(x509.DNSName(host))
        cert, key = self._issue(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]),
            ExtendedKeyUsageOID.SERVER_AUTH,
            sans,
            dt.timedelta(days=1),
        )
        return self.write(f"server-{hosts[0]}", cert, key)

    def client(
        self, user: str, groups: tuple[str, ...] = (), lifetime: dt.timedelta | None = None
    ) -> tuple[bytes, bytes]:
        """A client certificate for ``user`` (CN) in ``groups`` (O), as PEM."""
        attrs = [x509.NameAttribute(NameOID.COMMON_NAME, user)]
        attrs += [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups]
        return self._issue(
            x509.Name(attrs),
            ExtendedKeyUsageOID.CLIENT_AUTH,
            None,
            lifetime or dt.timedelta(hours=1),
        )

    def write(self, stem: str, cert: bytes, key: bytes) -> tuple[Path, Path]:
        cert_path, key_path = self.dir / f"{stem}.crt", self.dir / f"{stem}.key"
        cert_path.write_bytes(cert)
        key_path.write_bytes(key)
        return cert_path, key_path
