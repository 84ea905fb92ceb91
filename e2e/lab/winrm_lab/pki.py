"""The lab's certificates: root CA -> issuing CA -> the listener's server certificate, three deliberately
flawed server certificates for trust tests, and a client certificate for certificate authentication.

Invariants: every certificate is written as PEM under the lab's work directory; the CA bundle holds the
root and the issuing CA; every server certificate except the self-signed one is issued by the issuing
CA and served together with it, so a client that trusts the root alone can build the chain.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

# Microsoft's UPN otherName (szOID_NT_PRINCIPAL_NAME), the SAN entry WinRM certificate mapping reads.
UPN_OID = ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")
SERVER_CERT_NAMES = ("chain", "self_signed", "expired", "sha384")
CLIENT_CERT_USER = "alice"
CLIENT_CERT_UPN = "alice@lab.test"


@dataclass(frozen=True)
class ServerCertificate:
    name: str  # one of SERVER_CERT_NAMES
    cert_path: str  # the leaf alone (PEM)
    chain_path: str  # leaf + issuing CA when issued by it (what the listener presents)
    key_path: str
    der: bytes

    @property
    def fingerprint_sha256(self) -> str:
        return hashlib.sha256(self.der).hexdigest()


@dataclass(frozen=True)
class LabPki:
    root_ca_path: str
    issuing_ca_path: str
    ca_bundle_path: str  # root + issuing
    server_certs: dict[str, ServerCertificate]
    client_cert_path: str
    client_key_path: str


def _new_keys(count: int) -> list[rsa.RSAPrivateKey]:
    """RSA-2048 keys generated on parallel threads (OpenSSL runs without the GIL): start-up time."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: rsa.generate_private_key(public_exponent=65537, key_size=2048), range(count)))


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "WinRM Lab"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _upn_san_value(upn: str) -> bytes:
    """DER of the UTF8String that an otherName UPN carries (tag 0x0C, short or long length form)."""
    raw = upn.encode("utf-8")
    length = bytes([len(raw)]) if len(raw) < 0x80 else bytes([0x81, len(raw)])
    return b"\x0c" + length + raw


class _Issuer:
    def __init__(self, name: x509.Name, key: rsa.RSAPrivateKey):
        self.name = name
        self.key = key

    def issue(
        self,
        subject: x509.Name,
        public_key: rsa.RSAPublicKey,
        extensions: list[tuple[x509.ExtensionType, bool]],
        not_before: datetime.datetime,
        not_after: datetime.datetime,
        hash_algorithm: hashes.HashAlgorithm = hashes.SHA256(),
    ) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
        )
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(self.key, hash_algorithm)


def _ca_extensions(path_length: int) -> list[tuple[x509.ExtensionType, bool]]:
    usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)  # keyCertSign, cRLSign
    return [(x509.BasicConstraints(ca=True, path_length=path_length), True), (usage, True)]


def _leaf_usage() -> x509.KeyUsage:
    return x509.KeyUsage(True, False, True, False, False, False, False, False, False)  # digitalSignature, keyEncipherment


def _write(path: str, *pems: bytes) -> str:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(b"".join(pems))
    return path


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def create_pki(directory: str, host_name: str) -> LabPki:
    """Generates the whole PKI into `directory` (four RSA-2048 keys: root, issuing, server, client;
    the server key is shared by the four server certificates, which differ in issuer, validity and hash)."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    hour, day = datetime.timedelta(hours=1), datetime.timedelta(days=1)

    root_key, issuing_key, server_key, client_key = _new_keys(4)
    root_name = _name("WinRM Lab Root CA")
    root = _Issuer(root_name, root_key)
    root_cert = root.issue(root_name, root_key.public_key(), _ca_extensions(1), now - day, now + 3650 * day)

    issuing_name = _name("WinRM Lab Issuing CA")
    issuing_cert = root.issue(issuing_name, issuing_key.public_key(), _ca_extensions(0), now - day, now + 1825 * day)
    issuing = _Issuer(issuing_name, issuing_key)

    server_subject = _name(host_name)
    server_extensions: list[tuple[x509.ExtensionType, bool]] = [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (_leaf_usage(), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        (
            x509.SubjectAlternativeName(
                [x509.DNSName(host_name), x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            False,
        ),
    ]
    server_public = server_key.public_key()
    leaves = {
        "chain": (issuing.issue(server_subject, server_public, server_extensions, now - hour, now + 365 * day), True),
        "self_signed": (
            _Issuer(server_subject, server_key).issue(server_subject, server_public, server_extensions, now - hour, now + 365 * day),
            False,
        ),
        "expired": (issuing.issue(server_subject, server_public, server_extensions, now - 60 * day, now - day), True),
        "sha384": (
            issuing.issue(server_subject, server_public, server_extensions, now - hour, now + 365 * day, hashes.SHA384()),
            True,
        ),
    }

    client_cert = issuing.issue(
        _name(CLIENT_CERT_USER),
        client_key.public_key(),
        [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (_leaf_usage(), True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False),
            (x509.SubjectAlternativeName([x509.OtherName(UPN_OID, _upn_san_value(CLIENT_CERT_UPN))]), False),
        ],
        now - hour,
        now + 365 * day,
    )

    path = lambda name: os.path.join(directory, name)  # noqa: E731 - a local shorthand
    server_key_path = _write(path("server-key.pem"), _key_pem(server_key))
    server_certs = {}
    for name, (cert, issued_by_issuing_ca) in leaves.items():
        file_stem = name.replace("_", "-")
        chain = (_pem(cert), _pem(issuing_cert)) if issued_by_issuing_ca else (_pem(cert),)
        server_certs[name] = ServerCertificate(
            name=name,
            cert_path=_write(path(f"server-{file_stem}.pem"), _pem(cert)),
            chain_path=_write(path(f"server-{file_stem}-chain.pem"), *chain),
            key_path=server_key_path,
            der=cert.public_bytes(serialization.Encoding.DER),
        )
    return LabPki(
        root_ca_path=_write(path("root-ca.pem"), _pem(root_cert)),
        issuing_ca_path=_write(path("issuing-ca.pem"), _pem(issuing_cert)),
        ca_bundle_path=_write(path("ca-bundle.pem"), _pem(root_cert), _pem(issuing_cert)),
        server_certs=server_certs,
        client_cert_path=_write(path("client-alice.pem"), _pem(client_cert)),
        client_key_path=_write(path("client-alice-key.pem"), _key_pem(client_key)),
    )
