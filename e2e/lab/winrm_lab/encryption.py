"""WinRM HTTP message encryption (MS-WSMV 2.2.9.1, PROTOCOL.md §3): the MIME framing of
`multipart/encrypted` and `multipart/x-multi-encrypted` bodies around a security context's wrap/unwrap.

The framing is mechanism-neutral; a `MessageCipher` supplies the protocol string, the chunk size and
the per-chunk (header, data) split of its mechanism.
"""

from __future__ import annotations

import re
import struct
from typing import Optional, Protocol

import gssapi.raw as gss

from .contracts import RequestRejected

BOUNDARY = "Encrypted Boundary"
SOAP_CONTENT_TYPE = "application/soap+xml;charset=UTF-8"
SPNEGO_PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
KERBEROS_PROTOCOL = "application/HTTP-Kerberos-session-encrypted"
CREDSSP_PROTOCOL = "application/HTTP-CredSSP-session-encrypted"
SINGLE_PART = "multipart/encrypted"
MULTI_PART = "multipart/x-multi-encrypted"
CREDSSP_CHUNK = 16384  # one TLS record's plaintext (pywinrm/pypsrp SIXTEEN_KB)
NTLM_SIGNATURE_LENGTH = 16

_PARAMETER_RE = re.compile(r';\s*([A-Za-z-]+)\s*=\s*("([^"]*)"|[^;]*)')
_LENGTH_RE = re.compile(rb"Length\s*=\s*(\d+)", re.IGNORECASE)
_PROTOCOL_LINE_RE = re.compile(rb"^\s*Content-Type\s*:\s*(\S+?)\s*$", re.IGNORECASE | re.MULTILINE)
_OCTET_STREAM_LINE_RE = re.compile(rb"\A\s*Content-Type\s*:\s*application/octet-stream\s*?\r\n", re.IGNORECASE)


class MessageCipher(Protocol):
    protocol: str  # the MIME protocol string this context's messages carry
    chunk_size: Optional[int]  # plaintext bytes per encrypted part; None = the whole message in one part

    def wrap(self, plaintext: bytes) -> tuple[bytes, bytes]:
        """Seals one chunk; returns (header, data) as framed on the wire."""

    def unwrap(self, header: bytes, data: bytes) -> bytes:
        """Opens one chunk; raises on a bad signature or sequence."""


class GssCipher:
    """Wrap/unwrap with an established GSSAPI context the way Windows SSPI frames them for WinRM."""

    chunk_size = None

    def __init__(self, context: gss.SecurityContext, protocol: str, kerberos: bool):
        self._context = context
        self.protocol = protocol
        self._kerberos = kerberos

    def wrap(self, plaintext: bytes) -> tuple[bytes, bytes]:
        if self._kerberos:
            # Two buffers, TOKEN + DATA, no padding buffer (what Windows passes to EncryptMessage): for AES
            # MIT then puts the RFC 4121 header, confounder and checksum, rotated (RRC=28), in a 60-byte header.
            iov = gss.IOV(gss.IOVBufferType.header, plaintext, std_layout=False)
            gss.wrap_iov(self._context, iov, confidential=True)
            return bytes(iov[0].value), bytes(iov[1].value)
        # gss-ntlmssp's wrap output is the 16-byte NTLMSSP_MESSAGE_SIGNATURE followed by the sealed data.
        sealed = gss.wrap(self._context, plaintext, confidential=True).message
        return sealed[:NTLM_SIGNATURE_LENGTH], sealed[NTLM_SIGNATURE_LENGTH:]

    def unwrap(self, header: bytes, data: bytes) -> bytes:
        # Both mechanisms read the concatenation: NTLM is signature‖sealed, MIT undoes the Kerberos rotation.
        result = gss.unwrap(self._context, header + data)
        if not result.encrypted:
            raise ValueError("message was signed but not sealed")
        return bytes(result.message)


def content_type_parameters(content_type: str) -> tuple[str, dict[str, str]]:
    """Splits `type/sub;name="value";…` into the lower-cased media type and its parameters (names lower-cased)."""
    media_type, _, _ = content_type.partition(";")
    parameters = {}
    for match in _PARAMETER_RE.finditer(content_type[len(media_type):]):
        value = match.group(3) if match.group(3) is not None else match.group(2).strip()
        parameters[match.group(1).lower()] = value
    return media_type.strip().lower(), parameters


def is_encrypted(content_type: str) -> bool:
    return content_type_parameters(content_type)[0] in (SINGLE_PART, MULTI_PART)


def _reject(message: str) -> RequestRejected:
    return RequestRejected(400, f"malformed encrypted message: {message}")


def open_message(content_type: str, body: bytes, cipher: MessageCipher) -> bytes:
    """Returns the plaintext SOAP of an encrypted request body. Raises RequestRejected (400) for a wrong
    protocol, broken framing, a Length= that disagrees with the plaintext, or a failed unwrap."""
    media_type, parameters = content_type_parameters(content_type)
    if media_type not in (SINGLE_PART, MULTI_PART):
        raise _reject(f"content type {media_type!r} is not an encrypted one")
    if parameters.get("protocol", "").lower() != cipher.protocol.lower():
        raise _reject(f"protocol {parameters.get('protocol')!r} does not match the context ({cipher.protocol})")
    boundary = parameters.get("boundary", BOUNDARY).encode("latin-1", "replace")
    # Tolerant of Exchange's `-- Encrypted Boundary` (pypsrp's regex); the closing delimiter ends in `--`.
    delimiter = re.compile(rb"--\s*" + re.escape(boundary) + rb"(--)?\r\n")
    pieces = delimiter.split(body)
    # split() with one group yields: text, group, text, group, …; the group is "--" only on the closing one.
    texts, closings = pieces[0::2], pieces[1::2]
    if len(closings) < 3 or texts[0] != b"" or texts[-1] != b"" or closings[-1] != b"--":
        raise _reject("missing or misplaced boundaries")
    if any(closing is not None for closing in closings[:-1]):
        raise _reject("closing boundary before the last part")
    parts = texts[1:-1]
    if len(parts) % 2:
        raise _reject("parts do not come in (description, data) pairs")
    if media_type == SINGLE_PART and len(parts) != 2:
        raise _reject("multipart/encrypted carries exactly one encrypted part")
    plaintext = []
    for description, payload in zip(parts[0::2], parts[1::2]):
        protocol_line = _PROTOCOL_LINE_RE.search(description)
        if protocol_line is None or protocol_line.group(1).decode("latin-1").lower() != cipher.protocol.lower():
            raise _reject("part description names another protocol")
        length_match = _LENGTH_RE.search(description)
        if length_match is None:
            raise _reject("OriginalContent without Length=")
        octet_line = _OCTET_STREAM_LINE_RE.match(payload)
        if octet_line is None:
            raise _reject("data part without Content-Type: application/octet-stream")
        frame = payload[octet_line.end():]
        if len(frame) < 4:
            raise _reject("data part shorter than its length prefix")
        (header_length,) = struct.unpack_from("<I", frame)
        if header_length > len(frame) - 4:
            raise _reject(f"header length {header_length} exceeds the {len(frame) - 4} bytes present")
        header, data = frame[4:4 + header_length], frame[4 + header_length:]
        try:
            chunk = cipher.unwrap(header, data)
        except Exception as error:  # any mechanism failure is the sender's fault: a bad token
            raise RequestRejected(400, f"could not decrypt the message: {error}") from error
        if len(chunk) != int(length_match.group(1)):
            raise _reject(f"Length={int(length_match.group(1))} but the part decrypts to {len(chunk)} bytes")
        plaintext.append(chunk)
    return b"".join(plaintext)


def seal_message(plaintext: bytes, cipher: MessageCipher) -> tuple[str, bytes]:
    """Encrypts a SOAP response; returns (content_type, body) framed exactly as Windows does."""
    chunk_size = cipher.chunk_size or max(len(plaintext), 1)
    chunks = [plaintext[i:i + chunk_size] for i in range(0, len(plaintext), chunk_size)] or [b""]
    delimiter = f"--{BOUNDARY}\r\n".encode()
    body = bytearray()
    for chunk in chunks:
        header, data = cipher.wrap(chunk)
        body += delimiter
        body += f"\tContent-Type: {cipher.protocol}\r\n".encode()
        body += f"\tOriginalContent: type={SOAP_CONTENT_TYPE};Length={len(chunk)}\r\n".encode()
        body += delimiter
        body += b"\tContent-Type: application/octet-stream\r\n"
        body += struct.pack("<I", len(header)) + header + data
    body += f"--{BOUNDARY}--\r\n".encode()
    media_type = MULTI_PART if len(chunks) > 1 else SINGLE_PART
    return f'{media_type};protocol="{cipher.protocol}";boundary="{BOUNDARY}"', bytes(body)
