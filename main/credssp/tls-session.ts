import { Buffer } from 'node:buffer';
import { constants } from 'node:crypto';
import { Duplex } from 'node:stream';
import { connect, type SecureVersion, type TLSSocket } from 'node:tls';
import { tlsRecordProblem } from '../../core/auth/credssp';
import { ProtocolError, UsageError } from '../../core/errors';

/**
 * CredSSP's own TLS session (PROTOCOL.md §5.1), run by Node's TLS engine over an in-memory stream: the records
 * it writes are the tokens of the `Authorization: CredSSP` headers and the encrypted WinRM parts; the records
 * the peer sends are pushed back into it. The client side in production; tests run a server side on it.
 *
 * Node's TLS is event-driven, so every operation is asynchronous: it feeds the engine, then waits until
 * the engine has finished reacting. Node processes pushed bytes and flushes what it writes through
 * process.nextTick and setImmediate callbacks (its stream wrapper completes each write on an immediate
 * and only then writes more), never through timers or the thread pool, so two full event-loop turns in
 * which the engine neither wrote, decrypted nor signalled anything mean it has nothing more to say.
 */

export interface CredSspTlsOptions {
  /**
   * Default TLSv1.2. Hosts before Windows Server 2012 R2 speak only TLSv1 inside CredSSP; OpenSSL 3 then also
   * needs a lower security level, which this option does not set.
   */
  readonly minVersion?: SecureVersion;
  /** Default TLSv1.3. */
  readonly maxVersion?: SecureVersion;
}

/** The CredSSP TLS session failed: an alert, a record the engine refused, or a close by the peer. */
export class CredSspTlsError extends ProtocolError {
  override readonly name = 'CredSspTlsError';
}

/** What the engine produced in answer to one input. */
export interface TlsOutput {
  /** Records to send to the peer. */
  readonly records: Uint8Array;
  /** Application data the peer's records decrypted to. */
  readonly plaintext: Uint8Array;
}

// SChannel's suites: AES-GCM and AES-CBC with ECDHE or RSA key exchange. Each has a trailer length PROTOCOL.md
// §3.4 defines; TLS 1.3 keeps Node's default suites (all with the same trailer).
const CIPHERS = 'ECDHE+AESGCM:ECDHE+AES:RSA+AESGCM:RSA+AES:!aNULL:!eNULL:!AESCCM:!PSK:!SRP:!DSS';
// SChannel neither negotiates encrypt-then-MAC nor expects OpenSSL's empty CBC fragments (TLS 1.0): both would
// change how records map to WinRM's encrypted parts.
const SECURE_OPTIONS = constants.SSL_OP_NO_ENCRYPT_THEN_MAC | constants.SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS;
const QUIET_TURNS = 2;

export class CredSspTlsSession {
  readonly #wire: Duplex;
  readonly #tls: TLSSocket;
  #outgoing: Buffer[] = [];
  #incoming: Buffer[] = [];
  #activity = 0;
  #failure: Error | undefined;
  #established = false;
  #busy = false;

  /** The client side, as CredSSP needs it; `start` returns the ClientHello. */
  static client(options: CredSspTlsOptions = {}): CredSspTlsSession {
    return new CredSspTlsSession((wire) =>
      connect({
        socket: wire,
        // MS-CSSP: the client does not validate this certificate. pubKeyAuth binds the inner authentication to
        // its public key instead, so another certificate (a machine in the middle) fails before the password is
        // sent. The HTTPS certificate of the WinRM listener, when there is one, is validated by the transport.
        rejectUnauthorized: false,
        minVersion: options.minVersion ?? 'TLSv1.2',
        maxVersion: options.maxVersion ?? 'TLSv1.3',
        ciphers: CIPHERS,
        secureOptions: SECURE_OPTIONS,
      }),
    );
  }

  /** Runs the TLS socket `open` makes over the in-memory stream it is given (tests open a server side). */
  constructor(open: (wire: Duplex) => TLSSocket) {
    this.#wire = new Duplex({
      read: () => undefined, // the peer's records are pushed as they arrive
      write: (chunk: Buffer, _encoding, callback) => {
        this.#outgoing.push(Buffer.from(chunk));
        this.#activity++;
        callback();
      },
    });
    this.#tls = open(this.#wire);
    this.#tls.on('data', (chunk: Buffer) => {
      this.#incoming.push(chunk);
      this.#activity++;
    });
    const established = () => {
      this.#established = true;
      this.#activity++;
    };
    this.#tls.on('secureConnect', established); // client side
    this.#tls.on('secure', established); // server side
    // OpenSSL's `reason` ("sslv3 alert handshake failure") reads better than its message, a diagnostic dump.
    this.#tls.on('error', (error: Error & { reason?: string }) => this.#fail(error.reason ?? error.message));
    this.#tls.on('end', () => this.#fail('the peer closed the TLS session'));
  }

  /** Whether the handshake is complete: the server's certificate is known and application data may flow. */
  get established(): boolean {
    return this.#established;
  }

  /** The DER certificate the peer presented. */
  get peerCertificate(): Uint8Array {
    const certificate = this.#tls.getPeerX509Certificate();
    if (!this.#established || certificate === undefined) throw new UsageError('the TLS handshake is not complete');
    return certificate.raw;
  }

  /** `TLSv1.2`, `TLSv1.3`… once established. */
  get protocol(): string {
    return this.#tls.getProtocol() ?? 'unknown';
  }

  /** The OpenSSL name of the negotiated suite, once established. */
  get cipherName(): string {
    return this.#tls.getCipher().name;
  }

  /** What the engine sends first: the client's ClientHello. */
  start(): Promise<Uint8Array> {
    return this.#run(() => undefined).then((output) => output.records);
  }

  /** Feeds the peer's records (whole ones, as every token and encrypted part carries). */
  receive(records: Uint8Array): Promise<TlsOutput> {
    const problem = tlsRecordProblem(records);
    if (problem !== undefined) return Promise.reject(new CredSspTlsError(`the peer's CredSSP data: ${problem}`));
    return this.#run(() => this.#wire.push(Buffer.from(records)));
  }

  /** Encrypts application data into records. */
  async seal(plaintext: Uint8Array): Promise<Uint8Array> {
    if (!this.#established) throw new UsageError('application data before the TLS handshake completed');
    if (plaintext.length === 0) throw new UsageError('TLS makes no record of empty application data');
    const output = await this.#run(() => this.#tls.write(plaintext));
    if (output.plaintext.length > 0) throw new CredSspTlsError('the TLS session decrypted data nobody sent');
    return output.records;
  }

  /** Ends the session without a word to the peer (its HTTP connection is gone or failed). */
  destroy(): void {
    this.#tls.destroy();
    this.#wire.destroy();
  }

  async #run(feed: () => void): Promise<TlsOutput> {
    if (this.#busy) throw new UsageError('the CredSSP TLS session runs one operation at a time');
    this.#busy = true;
    try {
      this.#throwIfFailed();
      feed();
      await this.#settled();
      this.#throwIfFailed();
      const output = { records: Buffer.concat(this.#outgoing), plaintext: Buffer.concat(this.#incoming) };
      this.#outgoing = [];
      this.#incoming = [];
      return output;
    } finally {
      this.#busy = false;
    }
  }

  async #settled(): Promise<void> {
    for (let quiet = 0; quiet < QUIET_TURNS;) {
      const before = this.#activity;
      await new Promise<void>((resolve) => setImmediate(resolve));
      quiet = this.#activity === before ? quiet + 1 : 0;
    }
  }

  #fail(reason: string): void {
    this.#failure ??= new CredSspTlsError(`the CredSSP TLS session failed: ${reason}`);
    this.#activity++;
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}
