/**
 * Test-only: a CredSSP acceptor of any version (2–6) on Node's TLS (server side, same pump as the client), with
 * the FakeInner mechanism of core/auth/credssp/test-support inside. Each `step` takes the records one
 * `Authorization: CredSSP` header would carry and returns what the server would answer, and whether with
 * 401 (more to come, or a refusal) or 200. It can misbehave as the tests need: bind another public key (a
 * machine in the middle), or refuse with an errorCode.
 */

import { TLSSocket, type SecureVersion } from 'node:tls';
import {
  clientBindingValue,
  decodePasswordCreds,
  decodeTsCredentials,
  decodeTsRequest,
  encodeTsRequest,
  gssUnwrap,
  gssWrap,
  serverBindingValue,
  subjectPublicKey,
  type TsPasswordCreds,
  type TsRequest,
} from '../../../core/auth/credssp';
import { fakeInnerAnswer, sequencedSealing } from '../../../core/auth/credssp/test-support/fake-inner';
import { CredSspTlsSession } from '../tls-session';

export interface FakeCredSspServerOptions {
  /** The server's CredSSP version. */
  readonly version: number;
  readonly certificate: { readonly pem: string; readonly keyPem: string; readonly der: Uint8Array };
  readonly password: string;
  readonly tls?: { readonly maxVersion?: SecureVersion; readonly ciphers?: string };
  /** The public key the server binds to; another one than its certificate's plays a machine in the middle. */
  readonly bindingKey?: Uint8Array;
  /** Answer the TSRequest carrying pubKeyAuth with this errorCode instead (a refused inner authentication). */
  readonly refuseAuthentication?: number;
}

export interface ServerAnswer {
  readonly status: 401 | 200;
  readonly token: Uint8Array | undefined;
}

const STATUS_LOGON_FAILURE = 0xc000006d;

export class FakeCredSspServer {
  readonly tls: CredSspTlsSession;
  readonly requests: TsRequest[] = [];
  credentials: TsPasswordCreds | undefined;
  readonly #options: FakeCredSspServerOptions;
  readonly #sealing = sequencedSealing();
  #negotiated: number | undefined;

  constructor(options: FakeCredSspServerOptions) {
    this.#options = options;
    this.tls = new CredSspTlsSession(
      (wire) =>
        new TLSSocket(wire, {
          isServer: true,
          key: options.certificate.keyPem,
          cert: options.certificate.pem,
          maxVersion: options.tls?.maxVersion,
          ciphers: options.tls?.ciphers,
        }),
    );
  }

  async step(token: Uint8Array): Promise<ServerAnswer> {
    const { records, plaintext } = await this.tls.receive(token);
    if (plaintext.length === 0) return { status: 401, token: records };
    const reply = this.#answer(decodeTsRequest(plaintext));
    if (reply === undefined) return { status: 200, token: records.length > 0 ? records : undefined };
    const sealed = await this.tls.seal(encodeTsRequest(reply));
    return { status: 401, token: Buffer.concat([records, sealed]) };
  }

  #answer(request: TsRequest): TsRequest | undefined {
    this.requests.push(request);
    const { version, password, bindingKey, refuseAuthentication } = this.#options;
    this.#negotiated ??= Math.min(version, request.version);
    const reply = (fields: Partial<TsRequest>): TsRequest => ({ version, negoTokens: [], ...fields });
    if (request.authInfo !== undefined) {
      const credentials = decodeTsCredentials(gssUnwrap(this.#sealing, request.authInfo));
      this.credentials = decodePasswordCreds(credentials.credentials);
      return this.credentials.password === password ? undefined : reply({ errorCode: STATUS_LOGON_FAILURE });
    }
    if (request.pubKeyAuth === undefined) {
      return reply({ negoTokens: [Buffer.from(fakeInnerAnswer(request.negoTokens[0]!))] });
    }
    if (refuseAuthentication !== undefined) return reply({ errorCode: refuseAuthentication });
    const publicKey = subjectPublicKey(this.#options.certificate.der);
    const nonce = this.#negotiated >= 5 ? request.clientNonce : undefined;
    const received = gssUnwrap(this.#sealing, request.pubKeyAuth);
    if (!Buffer.from(received).equals(clientBindingValue(this.#negotiated, publicKey, nonce))) {
      throw new Error('the client bound another public key');
    }
    const pubKeyAuth = gssWrap(this.#sealing, serverBindingValue(this.#negotiated, bindingKey ?? publicKey, nonce));
    return reply({ pubKeyAuth });
  }
}
