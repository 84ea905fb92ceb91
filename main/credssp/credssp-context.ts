import { Buffer } from 'node:buffer';
import { CredSspClient, subjectPublicKey, tlsTrailerLength, type CredSspClientOptions } from '../../core/auth/credssp';
import type { AuthStepResult, HttpAuthScheme } from '../../core/auth/mechanism';
import { ProtocolError, UsageError } from '../../core/errors';
import type { TransportAuthContext, TransportSealing } from '../transport/auth-mechanism';
import { CredSspTlsSession, type CredSspTlsOptions } from './tls-session';

/** The `protocol=` of CredSSP-encrypted WinRM messages (PROTOCOL.md §3.2). */
export const CREDSSP_ENCRYPTED_PROTOCOL = 'application/HTTP-CredSSP-session-encrypted';
/** One TLS record's worth of plaintext per encrypted part (2^14; pywinrm/pypsrp SIXTEEN_KB). */
export const CREDSSP_CHUNK_BYTES = 16384;

/**
 * One CredSSP security context (one per HTTP connection), as the transport drives it: each step moves the
 * server's token through the TLS session and the core exchange (core/auth/credssp) and returns the records
 * to send. Legs: ClientHello; the handshake; then TLS-wrapped TSRequests (inner authentication, public-key
 * binding, delegated credentials). Afterwards WinRM messages are sealed as TLS application data.
 */
export class CredSspAuthContext implements TransportAuthContext {
  readonly mechanismName = 'CredSSP';
  readonly httpScheme: HttpAuthScheme = 'CredSSP';
  readonly connectionBound = true;
  readonly #client: CredSspClient;
  readonly #tls: CredSspTlsSession;
  #started = false;
  #sealing: TransportSealing | undefined;

  constructor(options: CredSspClientOptions & { readonly tls?: CredSspTlsOptions }) {
    this.#client = new CredSspClient(options);
    this.#tls = CredSspTlsSession.client(options.tls);
  }

  get complete(): boolean {
    return this.#client.complete;
  }

  /** min(6, the server's CredSSP version), once the server has answered inside TLS. */
  get negotiatedVersion(): number | undefined {
    return this.#client.negotiatedVersion;
  }

  /** The inner TLS session's protocol and suite, for diagnostics. */
  get tls(): { readonly protocol: string; readonly cipherName: string } | undefined {
    return this.#tls.established ? { protocol: this.#tls.protocol, cipherName: this.#tls.cipherName } : undefined;
  }

  get sealing(): TransportSealing | undefined {
    return this.#sealing;
  }

  async step(serverToken: Uint8Array | undefined): Promise<AuthStepResult> {
    try {
      return await this.#step(serverToken);
    } catch (error) {
      this.#tls.destroy();
      throw error;
    }
  }

  /**
   * A 401 that ends the exchange: its token, when there is one, is the server's last TSRequest inside TLS,
   * whose errorCode says why (versions 3, 4 and 6); otherwise the credentials were refused without a reason.
   */
  async credentialsRejected(serverToken: Uint8Array | undefined): Promise<Error> {
    try {
      const plaintext =
        serverToken !== undefined && this.#tls.established
          ? (await this.#tls.receive(serverToken)).plaintext
          : undefined;
      return this.#client.rejection(plaintext?.length ? plaintext : undefined);
    } catch (error) {
      return error instanceof Error ? error : new ProtocolError(String(error));
    } finally {
      this.#tls.destroy();
    }
  }

  async #step(serverToken: Uint8Array | undefined): Promise<AuthStepResult> {
    if (!this.#started) {
      if (serverToken !== undefined)
        throw new UsageError('the CredSSP client speaks first: its first step takes no token');
      this.#started = true;
      return { kind: 'continue', token: await this.#tls.start() };
    }
    if (this.complete) throw new UsageError('CredSSP authentication is already complete');
    if (serverToken === undefined) {
      throw new ProtocolError('the server ended CredSSP authentication before the credentials were delegated');
    }
    const wasEstablished = this.#tls.established;
    const { records, plaintext } = await this.#tls.receive(serverToken);
    if (!this.#tls.established) {
      if (records.length === 0) throw new ProtocolError('the CredSSP TLS handshake stalled: nothing to answer');
      return { kind: 'continue', token: records };
    }
    if (!wasEstablished) {
      // The handshake just completed: the first TSRequest goes with the handshake's last records (TLS 1.3: Finished).
      if (plaintext.length > 0) throw new ProtocolError('the server sent a TSRequest before the client spoke');
      const first = await this.#tls.seal(this.#client.start(subjectPublicKey(this.#tls.peerCertificate)));
      return { kind: 'continue', token: Buffer.concat([records, first]) };
    }
    if (plaintext.length === 0) throw new ProtocolError("the server's CredSSP token carries no TSRequest");
    const output = this.#client.receive(plaintext);
    const token = Buffer.concat([records, await this.#tls.seal(output.request)]);
    if (!output.last) return { kind: 'continue', token };
    this.#sealing = this.#messageSealing();
    return { kind: 'complete', token };
  }

  /** WinRM message encryption (PROTOCOL.md §3.4, §5.5): each part is one TLS record, split at the trailer length. */
  #messageSealing(): TransportSealing {
    const tls = this.#tls;
    return {
      encryptedProtocol: CREDSSP_ENCRYPTED_PROTOCOL,
      maxChunkBytes: CREDSSP_CHUNK_BYTES,
      async wrap(plaintext) {
        if (plaintext.length > CREDSSP_CHUNK_BYTES) {
          throw new UsageError(`a CredSSP part holds at most ${CREDSSP_CHUNK_BYTES} bytes, not ${plaintext.length}`);
        }
        const record = await tls.seal(plaintext);
        const split = tlsTrailerLength(tls.protocol, tls.cipherName, plaintext.length);
        return { header: record.subarray(0, split), data: record.subarray(split) };
      },
      // The receiver just joins the two: together they are whole records for the TLS engine.
      async unwrap(header, data) {
        const { records, plaintext } = await tls.receive(Buffer.concat([header, data]));
        if (records.length > 0) throw new ProtocolError('the CredSSP TLS session wants to answer an encrypted message');
        return plaintext;
      },
    };
  }
}
