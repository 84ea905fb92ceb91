"""Channel binding (EPA) for the HTTPS listener: the RFC 5929 tls-server-end-point bindings of the lab's
certificate, and a look inside NTLM AUTHENTICATE messages (raw or SPNEGO-wrapped) for MsvAvChannelBindings.

Why look inside: gss-ntlmssp refuses an AUTHENTICATE without bindings whenever the acceptor passes
bindings, but WinRM's CbtHardeningLevel=Relaxed accepts a client that sent none. The acceptor therefore
decides per AUTHENTICATE whether to pass bindings, and Strict refuses before GSSAPI is asked.
"""

from __future__ import annotations

import struct
from typing import Iterator, Optional

import gssapi.raw as gss
from cryptography import x509
from cryptography.hazmat.primitives import hashes

NTLM_SIGNATURE = b"NTLMSSP\0"
NTLM_AUTHENTICATE = 3
MSV_AV_EOL = 0x0000
MSV_AV_CHANNEL_BINDINGS = 0x000A
# NTLMv2 response: NTProofStr (16) then the client blob header (28 bytes) before its AV pairs.
NTLMV2_AV_PAIRS_OFFSET = 16 + 28
SPNEGO_OID_DER = bytes.fromhex("06062b0601050502")


def tls_server_end_point(server_cert_der: bytes) -> bytes:
    """`tls-server-end-point:` ‖ H(certificate), H per RFC 5929 §4.1: SHA-256 when the certificate is
    signed with MD5 or SHA-1 (or a hash-less algorithm such as Ed25519), else the signature's own hash."""
    certificate = x509.load_der_x509_certificate(server_cert_der)
    algorithm = certificate.signature_hash_algorithm
    if algorithm is None or isinstance(algorithm, (hashes.MD5, hashes.SHA1)):
        algorithm = hashes.SHA256()
    digest = hashes.Hash(algorithm)
    digest.update(server_cert_der)
    return b"tls-server-end-point:" + digest.finalize()


def gss_bindings(server_cert_der: bytes) -> gss.ChannelBindings:
    return gss.ChannelBindings(application_data=tls_server_end_point(server_cert_der))


def _der_elements(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Yields (tag, contents) of consecutive DER TLVs; stops quietly at anything malformed (the real
    parser, GSSAPI, reports the error)."""
    position = 0
    while position + 2 <= len(data):
        tag = data[position]
        length = data[position + 1]
        position += 2
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 4 or position + count > len(data):
                return
            length = int.from_bytes(data[position:position + count], "big")
            position += count
        if position + length > len(data):
            return
        yield tag, data[position:position + length]
        position += length


def _first(data: bytes, tag: int) -> Optional[bytes]:
    return next((contents for found, contents in _der_elements(data) if found == tag), None)


def ntlm_message(token: bytes) -> Optional[bytes]:
    """The NTLM message a Negotiate token carries: the token itself when raw, the mechToken of a SPNEGO
    NegTokenInit, or the responseToken of a NegTokenResp. None for anything else (Kerberos, garbage)."""
    if token.startswith(NTLM_SIGNATURE):
        return token
    inner: Optional[bytes] = None
    if token[:1] == b"\x60":  # [APPLICATION 0] { SPNEGO OID, [0] NegTokenInit { …, [2] mechToken } }
        framed = _first(token, 0x60)
        if framed is None or not framed.startswith(SPNEGO_OID_DER):
            return None
        init = _first(framed[len(SPNEGO_OID_DER):], 0xA0)
        fields = _first(init, 0x30) if init is not None else None
        inner = _first(fields, 0xA2) if fields is not None else None
    elif token[:1] == b"\xa1":  # [1] NegTokenResp { …, [2] responseToken }
        response = _first(token, 0xA1)
        fields = _first(response, 0x30) if response is not None else None
        inner = _first(fields, 0xA2) if fields is not None else None
    octets = _first(inner, 0x04) if inner is not None else None
    return octets if octets is not None and octets.startswith(NTLM_SIGNATURE) else None


def is_ntlm_authenticate(message: bytes) -> bool:
    return len(message) >= 12 and struct.unpack_from("<I", message, 8)[0] == NTLM_AUTHENTICATE


def has_channel_bindings(authenticate: bytes) -> bool:
    """True when an NTLM AUTHENTICATE's NTLMv2 response carries a non-zero MsvAvChannelBindings (an
    all-zero hash is how clients say "no bindings"). Malformed messages count as having none."""
    if len(authenticate) < 28:
        return False
    length, _, offset = struct.unpack_from("<HHI", authenticate, 20)
    response = authenticate[offset:offset + length]
    if len(response) != length:
        return False
    position = NTLMV2_AV_PAIRS_OFFSET
    while position + 4 <= len(response):
        av_id, av_length = struct.unpack_from("<HH", response, position)
        value = response[position + 4:position + 4 + av_length]
        if av_id == MSV_AV_EOL:
            return False
        if av_id == MSV_AV_CHANNEL_BINDINGS:
            return len(value) == 16 and value != bytes(16)
        position += 4 + av_length
    return False

