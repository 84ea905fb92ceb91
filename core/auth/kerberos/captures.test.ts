import { describe, expect, it } from 'vitest';
import { readSequence, readSingleElement } from '../asn1/der';
import { ApOption, decodeApReply, decodeApRequest } from './ap-messages';
import { decodeMethodData, encodeApplication, MessageType } from './asn1';
import { KerberosErrorCode } from './error-codes';
import {
  decodeKdcRequest,
  decodeKdcResponse,
  decodeKrbError,
  encodeKdcRequestBody,
  findEtypeInfo,
  KdcOption,
} from './kdc-messages';
import { decodeKerberosToken, TokenId } from './gss-token';
import { hex, readToken } from './test-support/tokens';

/**
 * The Kerberos tokens Windows produced (pyspnego tests/data, PROTOCOL.md §8.4): user vagrant-domain of
 * DOMAIN.LOCAL talking to server2019.domain.local. The KDC messages are stored without their
 * [APPLICATION n] tag (pyspnego keeps the inner SEQUENCE); the GSS tokens are complete.
 */

const kdcMessage = (name: string, application: number): Uint8Array => encodeApplication(application, readToken(name));

/** The DER of the KDC-REQ-BODY ([4]) inside a stored KDC-REQ SEQUENCE. */
function requestBodyBytes(name: string): Uint8Array {
  const fields = readSequence(readSingleElement(readToken(name)), 'KDC-REQ');
  let body: Uint8Array | undefined;
  while (!fields.done) {
    const field = fields.next();
    if (field.number === 4) body = readSingleElement(field.content).encoded;
  }
  return body!;
}

const DOMAIN = 'DOMAIN.LOCAL';
const TGS = { nameType: 2, components: ['krbtgt', DOMAIN] };

describe('Windows Kerberos tokens', () => {
  it('krb_as_req: a pre-authenticated AS-REQ for krbtgt/DOMAIN.LOCAL', () => {
    const request = decodeKdcRequest(kdcMessage('krb_as_req', MessageType.asReq));
    expect(request.msgType).toBe(MessageType.asReq);
    expect(request.padata.map((data) => data.type)).toEqual([2, 149]);
    expect(request.body).toMatchObject({
      options: KdcOption.forwardable,
      cname: { nameType: 1, components: ['vagrant-domain'] },
      realm: DOMAIN,
      sname: TGS,
      till: Date.UTC(2020, 5, 14, 7, 4, 20),
      nonce: 0x2bc402da,
      etypes: [18, 17, 16, 23],
    });
    // Our encoder reproduces Windows' KDC-REQ-BODY byte for byte.
    expect(hex(encodeKdcRequestBody(request.body))).toBe(hex(requestBodyBytes('krb_as_req')));
  });

  it('krb_error: KDC_ERR_PREAUTH_REQUIRED with PA-ETYPE-INFO2 naming the salt', () => {
    const error = decodeKrbError(kdcMessage('krb_error', MessageType.krbError));
    expect(error.errorCode).toBe(KerberosErrorCode.KDC_ERR_PREAUTH_REQUIRED);
    expect(error.serverTime).toBe(Date.UTC(2020, 5, 13, 21, 4, 23) + 748);
    expect(error).toMatchObject({ realm: DOMAIN, sname: TGS, eText: undefined });
    const methods = decodeMethodData(readSingleElement(error.eData!));
    expect(methods.map((method) => method.type)).toEqual([19, 2, 16, 15]);
    expect(findEtypeInfo(methods)).toEqual([
      { etype: 18, salt: 'DOMAIN.LOCALvagrant-domain', s2kParams: undefined },
      { etype: 23, salt: undefined, s2kParams: undefined },
    ]);
  });

  it('krb_as_rep: a TGT for vagrant-domain with the salt repeated in its padata', () => {
    const response = decodeKdcResponse(kdcMessage('krb_as_rep', MessageType.asRep), MessageType.asRep);
    if (response.kind !== 'reply') throw new Error('expected an AS-REP');
    const reply = response.reply;
    expect(reply).toMatchObject({ crealm: DOMAIN, cname: { nameType: 1, components: ['vagrant-domain'] } });
    expect(findEtypeInfo(reply.padata)).toEqual([
      { etype: 18, salt: 'DOMAIN.LOCALvagrant-domain', s2kParams: undefined },
    ]);
    expect(reply.ticket).toMatchObject({ realm: DOMAIN, sname: TGS, encPart: { etype: 18, kvno: 2 } });
    expect(reply.encPart).toMatchObject({ etype: 18, kvno: 11 });
    expect(reply.ticket.encoded.length).toBe(1070);
  });

  it('krb_tgs_req: PA-TGS-REQ carries the AS-REP ticket; the body asks for HTTP/server2019', () => {
    const request = decodeKdcRequest(kdcMessage('krb_tgs_req', MessageType.tgsReq));
    expect(request.msgType).toBe(MessageType.tgsReq);
    expect(request.body).toMatchObject({
      cname: undefined,
      realm: DOMAIN,
      sname: { nameType: 3, components: ['HTTP', 'server2019.domain.local'] },
      till: 0,
      nonce: 0x13e0fd85,
    });
    const [tgsReq] = request.padata;
    expect(tgsReq!.type).toBe(1);
    const apRequest = decodeApRequest(tgsReq!.value);
    expect(apRequest.options).toBe(0);
    expect(apRequest.authenticator.etype).toBe(18);
    const asReply = decodeKdcResponse(kdcMessage('krb_as_rep', MessageType.asRep), MessageType.asRep);
    expect(asReply.kind === 'reply' && hex(asReply.reply.ticket.encoded)).toBe(hex(apRequest.ticket.encoded));
    expect(hex(encodeKdcRequestBody(request.body))).toBe(hex(requestBodyBytes('krb_tgs_req')));
  });

  it('krb_tgs_rep: the service ticket for HTTP/server2019.domain.local', () => {
    const response = decodeKdcResponse(kdcMessage('krb_tgs_rep', MessageType.tgsRep), MessageType.tgsRep);
    if (response.kind !== 'reply') throw new Error('expected a TGS-REP');
    expect(response.reply.ticket).toMatchObject({
      realm: DOMAIN,
      sname: { nameType: 3, components: ['HTTP', 'server2019.domain.local'] },
      encPart: { etype: 18, kvno: 6 },
    });
    expect(response.reply.encPart).toMatchObject({ etype: 18, kvno: undefined });
  });

  it('initial_context_token_krb_ap_req: TOK_ID 01 00 and a mutual-required AP-REQ', () => {
    const token = decodeKerberosToken(readToken('initial_context_token_krb_ap_req'));
    expect(token.tokenId).toBe(TokenId.apReq);
    const apRequest = decodeApRequest(token.message);
    expect(apRequest.options).toBe(ApOption.mutualRequired);
    expect(apRequest.ticket).toMatchObject({ realm: DOMAIN, sname: { nameType: 3, components: ['host', 'dc01'] } });
    expect(apRequest.authenticator.etype).toBe(18);
  });

  it('initial_context_token_krb_ap_rep: TOK_ID 02 00 and an AP-REP encrypted with AES256', () => {
    const token = decodeKerberosToken(readToken('initial_context_token_krb_ap_rep'));
    expect(token.tokenId).toBe(TokenId.apRep);
    expect(decodeApReply(token.message)).toMatchObject({ etype: 18, kvno: undefined });
    expect(decodeApReply(token.message).cipher.length).toBe(111);
  });
});
