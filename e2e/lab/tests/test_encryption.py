"""The MIME framing of WinRM message encryption (PROTOCOL.md §3.3) with a stand-in cipher; the real GSSAPI
and CredSSP ciphers are exercised end to end in test_auth.py and test_pywinrm.py."""

from __future__ import annotations

import struct
from typing import Optional

import pytest

from winrm_lab.contracts import RequestRejected
from winrm_lab.encryption import (CREDSSP_PROTOCOL, SPNEGO_PROTOCOL, content_type_parameters, is_encrypted,
                                  open_message, seal_message)

SINGLE = 'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"'


class XorCipher:
    """A 4-byte "signature" (the chunk's length) and XOR-masked data: enough to see framing mistakes."""

    def __init__(self, protocol: str = SPNEGO_PROTOCOL, chunk_size: Optional[int] = None):
        self.protocol = protocol
        self.chunk_size = chunk_size

    def wrap(self, plaintext: bytes) -> tuple[bytes, bytes]:
        return struct.pack("<I", len(plaintext)), bytes(b ^ 0x5A for b in plaintext)

    def unwrap(self, header: bytes, data: bytes) -> bytes:
        if header != struct.pack("<I", len(data)):
            raise ValueError("bad signature")
        return bytes(b ^ 0x5A for b in data)


def frame(plaintext: bytes, length: Optional[int] = None, tab: str = "\t", open_delimiter: str = "--Encrypted Boundary",
          header: Optional[bytes] = None) -> bytes:
    signature, data = XorCipher().wrap(plaintext)
    signature = signature if header is None else header
    stated_length = len(plaintext) if length is None else length
    return (f"{open_delimiter}\r\n{tab}Content-Type: {SPNEGO_PROTOCOL}\r\n"
            f"{tab}OriginalContent: type=application/soap+xml;charset=UTF-8;Length={stated_length}\r\n"
            f"{open_delimiter}\r\n{tab}Content-Type: application/octet-stream\r\n").encode() + \
        struct.pack("<I", len(signature)) + signature + data + b"--Encrypted Boundary--\r\n"


def test_seal_message_matches_the_windows_layout_byte_for_byte() -> None:
    content_type, body = seal_message(b"<s:Envelope/>", XorCipher())
    assert content_type == SINGLE
    expected = (b"--Encrypted Boundary\r\n"
                b"\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
                b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=13\r\n"
                b"--Encrypted Boundary\r\n"
                b"\tContent-Type: application/octet-stream\r\n"
                b"\x04\x00\x00\x00" + struct.pack("<I", 13) + bytes(b ^ 0x5A for b in b"<s:Envelope/>") +
                b"--Encrypted Boundary--\r\n")
    assert body == expected
    assert open_message(content_type, body, XorCipher()) == b"<s:Envelope/>"


def test_credssp_messages_over_16_kib_are_chunked_and_multi_encrypted() -> None:
    cipher = XorCipher(CREDSSP_PROTOCOL, chunk_size=16384)
    plaintext = bytes(range(256)) * 160  # 40960 bytes: 16384 + 16384 + 8192
    content_type, body = seal_message(plaintext, cipher)
    assert content_type.startswith("multipart/x-multi-encrypted;")
    assert body.count(b"Length=16384\r\n") == 2 and body.count(b"Length=8192\r\n") == 1
    assert open_message(content_type, body, cipher) == plaintext
    small_type, _ = seal_message(b"x" * 16384, cipher)
    assert small_type.startswith("multipart/encrypted;")


def test_parsing_tolerates_a_missing_tab_and_exchanges_spaced_boundary() -> None:
    assert open_message(SINGLE, frame(b"hello", tab=""), XorCipher()) == b"hello"
    assert open_message(SINGLE, frame(b"hello", open_delimiter="-- Encrypted Boundary"), XorCipher()) == b"hello"
    unquoted = "multipart/encrypted; protocol=application/HTTP-SPNEGO-session-encrypted; boundary=Encrypted Boundary"
    assert open_message(unquoted, frame(b"hello"), XorCipher()) == b"hello"


@pytest.mark.parametrize("body, reason", [
    (frame(b"hello", length=6), "Length=6"),
    (frame(b"hello", header=b"\x06\x00\x00\x00"), "decrypt"),
    (frame(b"hello")[:-24], "boundaries"),
    (b"garbage", "boundaries"),
    (b"", "boundaries"),
    (frame(b"hello").replace(b"\x04\x00\x00\x00", b"\xff\xff\xff\x7f", 1), "exceeds"),
    (frame(b"hello").replace(b"application/octet-stream", b"text/plain"), "octet-stream"),
    (frame(b"hello").replace(b";Length=5", b""), "Length="),
])
def test_malformed_bodies_are_rejected_with_400(body: bytes, reason: str) -> None:
    with pytest.raises(RequestRejected) as rejected:
        open_message(SINGLE, body, XorCipher())
    assert rejected.value.status == 400 and reason in str(rejected.value)


def test_a_protocol_other_than_the_contexts_is_rejected() -> None:
    kerberos_type = SINGLE.replace("SPNEGO", "Kerberos")
    with pytest.raises(RequestRejected, match="does not match"):
        open_message(kerberos_type, frame(b"hello"), XorCipher())


def test_content_type_parsing() -> None:
    media, parameters = content_type_parameters(SINGLE)
    assert media == "multipart/encrypted"
    assert parameters == {"protocol": SPNEGO_PROTOCOL, "boundary": "Encrypted Boundary"}
    assert is_encrypted("Multipart/Encrypted;protocol=x") and not is_encrypted("application/soap+xml;charset=UTF-8")
