"""A GSSAPI Kerberos acceptor (MIT krb5 through python3-gssapi) for interop tests of the TypeScript
initiator. It shares no code with the client under test. Messages are wrapped and unwrapped with IOV
buffers HEADER + DATA, the two buffers Windows' SSPI uses for WinRM message encryption.

Run by /usr/bin/python3 with KRB5_CONFIG (the throwaway realm) and KRB5_KTNAME (its keytab). One JSON
object a line on stdin, one reply a line on stdout:

    {"op": "accept", "token": B64, "bindings": HEX|null}
        -> {"token": B64|null, "initiator": str, "delegated": str|null, "complete": bool}
    {"op": "unwrap", "header": B64, "data": B64}  -> {"plaintext": B64, "encrypted": bool}
    {"op": "wrap", "plaintext": B64}              -> {"header": B64, "data": B64}
    {"op": "verify_mic", "message": B64, "mic": B64} -> {"ok": true}
    {"op": "get_mic", "message": B64}              -> {"mic": B64}
    any failure                                    -> {"error": str}

Each "accept" starts a new context (a new connection).
"""

import base64
import json
import sys

import gssapi.raw as gss
from gssapi.raw import IOV, IOVBufferType


def b64(data):
    return None if data is None else base64.b64encode(bytes(data)).decode("ascii")


def unb64(text):
    return base64.b64decode(text)


class Acceptor:
    def __init__(self):
        self.context = None

    def accept(self, token, bindings_hex):
        bindings = gss.ChannelBindings(application_data=bytes.fromhex(bindings_hex)) if bindings_hex else None
        result = gss.accept_sec_context(token, None, None, bindings)
        self.context = result.context
        delegated = None
        if result.delegated_creds is not None:
            delegated = gss.display_name(gss.inquire_cred(result.delegated_creds).name, name_type=False).name.decode()
        return {
            "token": b64(result.token),
            "initiator": gss.display_name(result.initiator_name, name_type=False).name.decode(),
            "delegated": delegated,
            "complete": not result.more_steps,
        }

    def unwrap(self, header, data):
        iov = IOV((IOVBufferType.header, False, header), data, std_layout=False)
        result = gss.unwrap_iov(self.context, iov)
        return {"plaintext": b64(iov[1].value), "encrypted": bool(result.encrypted)}

    def wrap(self, plaintext):
        iov = IOV(IOVBufferType.header, plaintext, std_layout=False)
        gss.wrap_iov(self.context, iov, confidential=True)
        return {"header": b64(iov[0].value), "data": b64(iov[1].value)}

    def verify_mic(self, message, mic):
        gss.verify_mic(self.context, message, mic)
        return {"ok": True}

    def get_mic(self, message):
        return {"mic": b64(gss.get_mic(self.context, message))}


def main():
    acceptor = Acceptor()
    operations = {
        "accept": lambda r: acceptor.accept(unb64(r["token"]), r.get("bindings")),
        "unwrap": lambda r: acceptor.unwrap(unb64(r["header"]), unb64(r["data"])),
        "wrap": lambda r: acceptor.wrap(unb64(r["plaintext"])),
        "verify_mic": lambda r: acceptor.verify_mic(unb64(r["message"]), unb64(r["mic"])),
        "get_mic": lambda r: acceptor.get_mic(unb64(r["message"])),
    }
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        try:
            request = json.loads(line)
            reply = operations[request["op"]](request)
        except gss.GSSError as error:
            reply = {"error": error.gen_message()}
        except (KeyError, ValueError, TypeError) as error:
            reply = {"error": f"bad request: {error!r}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
