"""WinRM's certificate mapping for the lab: a TLS client certificate that chains to the lab's client CA
and names a local account (UPN in the SAN, as Windows' certmapping expects, or else the subject CN)
authenticates as that account."""

from __future__ import annotations

from typing import Optional

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyasn1.codec.der import decoder as der_decoder
from pyasn1.type import char

from .accounts import AccountTable
from .contracts import Account

UPN_OTHER_NAME = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")
MAX_CHAIN_DEPTH = 4


def load_pem_certificates(pem: str) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle (cryptography 38 has no bundle loader)."""
    end_marker = "-----END CERTIFICATE-----"
    blocks = [block + end_marker for block in pem.split(end_marker) if "-----BEGIN CERTIFICATE-----" in block]
    return [x509.load_pem_x509_certificate(block.encode()) for block in blocks]


def certificate_upn(certificate: x509.Certificate) -> Optional[str]:
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    for other in names.get_values_for_type(x509.OtherName):
        if other.type_id == UPN_OTHER_NAME:
            try:
                value, _ = der_decoder.decode(other.value, asn1Spec=char.UTF8String())
            except Exception:  # pyasn1 raises its own error family for malformed DER
                return None
            return str(value)
    return None


def signed_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    if certificate.issuer != issuer.subject or certificate.signature_hash_algorithm is None:
        return False
    key = issuer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(certificate.signature, certificate.tbs_certificate_bytes, padding.PKCS1v15(),
                       certificate.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(certificate.signature, certificate.tbs_certificate_bytes,
                       ec.ECDSA(certificate.signature_hash_algorithm))
        else:
            return False
    except Exception:  # InvalidSignature, or a key/algorithm mismatch
        return False
    return True


class ClientCertificateMap:
    """Maps client certificates to accounts. The TLS layer has already verified the chain against the whole
    lab CA bundle; this checks that the certificate descends from the *client* CA (`client_ca_pem`),
    through intermediates of `ca_bundle_pem` if needed, as Windows' mapping names the issuer it trusts."""

    def __init__(self, table: AccountTable, client_ca_pem: str, ca_bundle_pem: str):
        self._table = table
        self._anchors = load_pem_certificates(client_ca_pem)
        self._intermediates = self._anchors + load_pem_certificates(ca_bundle_pem)

    def _chains_to_client_ca(self, certificate: x509.Certificate) -> bool:
        current = certificate
        for _ in range(MAX_CHAIN_DEPTH):
            if any(signed_by(current, anchor) for anchor in self._anchors):
                return True
            issuer = next((c for c in self._intermediates if c != current and signed_by(current, c)), None)
            if issuer is None:
                return False
            current = issuer
        return False

    def account_for(self, certificate_der: bytes) -> Optional[Account]:
        try:
            certificate = x509.load_der_x509_certificate(certificate_der)
        except ValueError:
            return None
        if not self._chains_to_client_ca(certificate):
            return None
        upn = certificate_upn(certificate)
        if upn is not None:
            return self._table.lookup(upn)
        common_names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        return self._table.lookup(str(common_names[0].value)) if common_names else None
