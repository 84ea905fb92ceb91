"""A GSSAPI acceptor for interop tests of the TypeScript NTLM and SPNEGO initiators: gss-ntlmssp
(through MIT's mechglue, python3-gssapi) accepts the initiator's tokens, then wraps and unwraps
messages with the established context. It shares no code with the client under test.

Run by /usr/bin/python3 with NTLM_USER_FILE (`DOMAIN:user:password` lines) in the environment:

    gss_acceptor.py --mech ntlm|spnego --host HOST [--bindings HEX]

`--bindings` is the RFC 5929 application data (`tls-server-end-point:` ‖ hash) as hex; the acceptor
then requires matching channel bindings. One JSON object a line on stdin, one reply a line on stdout:

    {"op": "accept", "token": B64}    -> {"status": "continue"|"complete", "token": B64|null, "initiator": str|null}
    {"op": "unwrap", "message": B64}  -> {"plaintext": B64, "sealed": bool}   (message = signature ‖ sealed data)
    {"op": "wrap", "plaintext": B64}  -> {"message": B64}
    any failure                       -> {"error": str}
"""

import argparse
import base64
import json
import sys

import gssapi.raw as gss

NTLM_MECH = gss.OID.from_int_seq("1.3.6.1.4.1.311.2.2.10")


def b64(data):
    return None if data is None else base64.b64encode(bytes(data)).decode("ascii")


class Acceptor:
    def __init__(self, mech, host, bindings_hex):
        self.context = None
        self.credentials = None
        if mech == "ntlm":
            # Raw NTLMSSP tokens: an NTLM-only credential named after the host, as the lab does.
            name = gss.import_name(f"HTTP@{host}".encode(), gss.NameType.hostbased_service)
            self.credentials = gss.acquire_cred(name, mechs=[NTLM_MECH], usage="accept").creds
        # SPNEGO: the default acceptor credential; the mechglue's SPNEGO picks NTLM from the token.
        self.bindings = (gss.ChannelBindings(application_data=bytes.fromhex(bindings_hex))
                         if bindings_hex else None)

    def accept(self, token):
        result = gss.accept_sec_context(token, self.credentials, self.context, self.bindings)
        self.context = result.context
        if result.more_steps:
            return {"status": "continue", "token": b64(result.token), "initiator": None}
        initiator = gss.display_name(result.initiator_name, name_type=False).name
        return {"status": "complete", "token": b64(result.token),
                "initiator": initiator.decode("utf-8", "replace").rstrip("\0")}

    def unwrap(self, message):
        result = gss.unwrap(self.context, message)
        return {"plaintext": b64(result.message), "sealed": bool(result.encrypted)}

    def wrap(self, plaintext):
        return {"message": b64(gss.wrap(self.context, plaintext, confidential=True).message)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mech", choices=["ntlm", "spnego"], required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--bindings")
    arguments = parser.parse_args()
    acceptor = Acceptor(arguments.mech, arguments.host, arguments.bindings)
    operations = {
        "accept": lambda request: acceptor.accept(base64.b64decode(request["token"])),
        "unwrap": lambda request: acceptor.unwrap(base64.b64decode(request["message"])),
        "wrap": lambda request: acceptor.wrap(base64.b64decode(request["plaintext"])),
    }
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        try:
            request = json.loads(line)
            reply = operations[request["op"]](request)
        except gss.GSSError as error:
            reply = {"error": error.gen_message()}
        except (KeyError, ValueError) as error:
            reply = {"error": f"bad request: {error!r}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
