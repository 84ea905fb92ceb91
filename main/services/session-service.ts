import type { SessionService } from '../../core/contract/app-contract';
import { ContractError } from '../../core/contract/contract-error';
import { Emitter } from '../../core/contract/emitter';
import type { HostProfile } from '../../core/contract/host-profile';
import {
  completionMatchSchema,
  type SessionCompletionResult,
  type SessionSummary,
  type SessionTerminalEvent,
  type TerminalEventDto,
  TERMINAL_FLOW_CONTROL,
} from '../../core/contract/session-service';
import type { HostTrust } from '../../core/contract/trust';
import type { FlowControlOptions } from '../session/flow-control';
import { PowerShellConsole } from '../session/powershell-console';
import {
  DEFAULT_TERMINAL_SIZE,
  terminalTextLength,
  type TerminalConsole,
  type TerminalConsoleOptions,
  type TerminalSize,
} from '../session/terminal-console';
import { WinRSConsole } from '../session/winrs-console';
import { SERVER_SAID, verifyServerTrust, type TrustAnswer, type TrustRequest } from '../transport';
import type { CredentialStore } from '../stores/credential-store';
import {
  connectionFromProfile,
  needsSecret,
  PassphraseNeededError,
  serverTrustFromProfile,
  type ServerTrustInputs,
} from './session-connection';
import { notFound } from './service-errors';

/** What the session service needs of the other services and stores. */
export interface SessionServiceDependencies {
  readonly hosts: { host(id: string): HostProfile; markUsed(id: string): Promise<void> };
  readonly credentials: { secretFor(request: { hostId: string; user: string }): Promise<string | undefined> };
  readonly trust: {
    requestDecision(hostId: string, request: TrustRequest, signal?: AbortSignal): Promise<TrustAnswer>;
  };
  /** The host's pins and trusted CAs as stored now. */
  readonly hostTrust: (host: HostProfile) => HostTrust;
  readonly newId: () => string;
  /**
   * Watermarks, in characters of terminal text, of every console's ack-based flow control (DESIGN.md §2.1);
   * null turns it off (for the benchmark that compares). Default: TERMINAL_FLOW_CONTROL.
   */
  readonly terminalFlowControl?: FlowControlOptions | null;
  /** Where client certificates named by a keychain entry are read (session-connection.ts); none without it. */
  readonly keychain?: Pick<CredentialStore, 'get'>;
}

interface SessionEntry {
  summary: SessionSummary;
  console: TerminalConsole | undefined;
  /** The terminal's last reported size, for the console opened after it. */
  size: TerminalSize;
  /** Aborts a pending trust question when the session is closed while it waits. */
  readonly abort: AbortController;
  /**
   * SHA-256 fingerprints of the server certificates the user accepted in this session's trust dialogs: the
   * connection opened after the credential dialog is not asked about them again, whatever the answer was
   * (a pin or CA is stored anyway; "trust once" lives only here).
   */
  readonly acceptedCertificates: Set<string>;
  sequence: number;
  /** Characters of terminal text per unacknowledged event, in sequence order. */
  readonly unacknowledged: { readonly sequence: number; readonly characters: number }[];
  unacknowledgedCharacters: number;
}

/**
 * The app's sessions (DESIGN.md §1 steps 2–4): builds the connection from the saved host, its secret and
 * its trust decisions, opens an interactive PowerShell console and relays its terminal events and the
 * user's intents. A host without a stored secret gets a session in `awaiting-credentials`; connect with its
 * `sessionId` (once the secret is set) resumes it. Over HTTPS the server's certificate is decided first
 * (DESIGN.md §1 steps 2–3, §7): no one is asked for a password for a server whose identity is not established.
 */
export class SessionServiceImpl implements SessionService {
  readonly #sessions = new Map<string, SessionEntry>();
  readonly #states = new Emitter<SessionSummary>();
  readonly #terminal = new Emitter<SessionTerminalEvent>();

  constructor(private readonly dependencies: SessionServiceDependencies) {}

  readonly onDidChangeSessionState = this.#states.event;
  readonly onDidTerminalEvent = this.#terminal.event;

  async connect({ hostId, sessionId }: { hostId: string; sessionId?: string }): Promise<SessionSummary> {
    const host = this.dependencies.hosts.host(hostId);
    const resumed = sessionId === undefined ? undefined : this.#entry(sessionId);
    if (resumed !== undefined) {
      if (resumed.summary.hostId !== hostId) {
        throw new ContractError('invalid-input', 'The session is not a session of this host.');
      }
      // Claimed before any await: a second connect for it (a double sign-in) finds it connecting and opens nothing.
      if (resumed.summary.state !== 'awaiting-credentials') return resumed.summary;
      this.#setState(resumed, 'connecting');
    }
    const entry = resumed ?? this.#newEntry(hostId);
    let secret: string | undefined;
    try {
      secret = await this.dependencies.credentials.secretFor({ hostId, user: host.user });
    } catch (error) {
      if (!this.#sessions.has(entry.summary.sessionId)) return entry.summary;
      return this.#setState(entry, 'failed', keychainFailure(error));
    }
    // Closed while the secret was read.
    if (!this.#sessions.has(entry.summary.sessionId)) return entry.summary;
    if (secret === undefined && needsSecret(host)) {
      // Only HTTPS servers present a certificate to decide; a waiting session's was decided when it began waiting.
      if (resumed !== undefined || host.transport !== 'https') return this.#setState(entry, 'awaiting-credentials');
      const summary = this.#setState(entry, 'connecting');
      void this.#awaitCredentials(entry, host);
      return summary;
    }
    const summary = resumed === undefined ? this.#setState(entry, 'connecting') : resumed.summary;
    void this.#open(entry, host, secret);
    return summary;
  }

  async disconnect({ sessionId }: { sessionId: string }): Promise<void> {
    const entry = this.#entry(sessionId);
    this.#sessions.delete(sessionId);
    entry.abort.abort();
    this.#setState(entry, 'disconnected');
    await entry.console?.close().catch(() => undefined);
  }

  /** Closes every session (the app is quitting); never rejects. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#sessions.keys()].map((sessionId) => this.disconnect({ sessionId })));
  }

  async list(): Promise<SessionSummary[]> {
    return [...this.#sessions.values()].map((entry) => entry.summary);
  }

  async submit({ sessionId, text }: { sessionId: string; text: string }): Promise<void> {
    this.#console(sessionId).submit(text);
  }

  async answerReadLine({ sessionId, text }: { sessionId: string; text: string }): Promise<void> {
    this.#console(sessionId).answerReadLine(text);
  }

  async interrupt({ sessionId }: { sessionId: string }): Promise<void> {
    this.#console(sessionId).interrupt();
  }

  async complete({
    sessionId,
    text,
    cursor,
  }: {
    sessionId: string;
    text: string;
    cursor: number;
  }): Promise<SessionCompletionResult | null> {
    const completion = await this.#console(sessionId).complete(text, cursor);
    if (completion === undefined) return null;
    return {
      ...completion,
      matches: completion.matches.map((match) => ({
        ...match,
        resultType: completionMatchSchema.shape.resultType.options.find((type) => type === match.resultType) ?? 'Text',
      })),
    };
  }

  async acknowledgeOutput({ sessionId, sequence }: { sessionId: string; sequence: number }): Promise<void> {
    const entry = this.#entry(sessionId);
    if (sequence > entry.sequence) {
      throw new ContractError('invalid-input', `Event ${sequence} of this session has not been sent yet.`);
    }
    this.#acknowledge(entry, sequence);
  }

  async attachTerminal({ sessionId }: { sessionId: string }): Promise<void> {
    const entry = this.#entry(sessionId);
    this.#acknowledge(entry, entry.sequence);
  }

  async resize({ sessionId, columns, rows }: { sessionId: string; columns: number; rows: number }): Promise<void> {
    const entry = this.#entry(sessionId);
    entry.size = { columns, rows };
    entry.console?.resize(columns, rows);
  }

  /** Characters sent to the renderer and not yet written by xterm (for tests and diagnostics). */
  unacknowledgedCharacters(sessionId: string): number {
    return this.#entry(sessionId).unacknowledgedCharacters;
  }

  /**
   * Decides an HTTPS server's certificate (a TLS handshake, no request), then waits for the secret: a password or a
   * client certificate key's passphrase.
   */
  async #awaitCredentials(entry: SessionEntry, host: HostProfile): Promise<void> {
    try {
      const server = serverTrustFromProfile(this.#serverTrustInputs(entry, host));
      if (server !== undefined) await verifyServerTrust(server);
      if (this.#sessions.has(entry.summary.sessionId)) this.#setState(entry, 'awaiting-credentials');
    } catch (error) {
      if (this.#sessions.has(entry.summary.sessionId))
        this.#setState(entry, 'failed', failureOf(error, 'Could not connect'));
    }
  }

  async #open(entry: SessionEntry, host: HostProfile, secret: string | undefined): Promise<void> {
    try {
      const connection = await connectionFromProfile({
        ...this.#serverTrustInputs(entry, host),
        secret,
        ...(this.dependencies.keychain === undefined ? {} : { keychain: this.dependencies.keychain }),
      });
      const console: TerminalConsole =
        host.shell === 'cmd'
          ? await WinRSConsole.open({
              ...connection,
              ...this.#consoleOptions(entry),
            })
          : await PowerShellConsole.open({
              ...connection,
              configurationName: host.configurationName,
              hostLabel: host.advanced.spnHostname ?? host.address,
              ...this.#consoleOptions(entry),
            });
      if (!this.#sessions.has(entry.summary.sessionId)) return void (await console.close());
      entry.console = console;
      this.#setState(entry, 'connected');
      await this.dependencies.hosts.markUsed(host.id).catch(() => undefined);
    } catch (error) {
      if (!this.#sessions.has(entry.summary.sessionId)) return;
      // The certificate's key is encrypted (found before any connection): as for a password, the server's
      // certificate is decided first, then the credential dialog asks for the passphrase and connect reuses this entry.
      if (error instanceof PassphraseNeededError) return this.#awaitCredentials(entry, host);
      this.#setState(entry, 'failed', failureOf(error, 'Could not connect'));
    }
  }

  /** The host with its trust decisions as stored now, and this session's trust dialog. */
  #serverTrustInputs(entry: SessionEntry, host: HostProfile): ServerTrustInputs {
    return {
      host,
      trust: this.dependencies.hostTrust(host),
      askTrust: (request) => this.#askTrust(entry, host.id, request),
    };
  }

  async #askTrust(entry: SessionEntry, hostId: string, request: TrustRequest): Promise<TrustAnswer> {
    const fingerprint = request.chain[0]?.fingerprintSha256;
    if (fingerprint !== undefined && entry.acceptedCertificates.has(fingerprint)) return { kind: 'accept-once' };
    this.#setState(entry, 'awaiting-trust');
    try {
      const answer = await this.dependencies.trust.requestDecision(hostId, request, entry.abort.signal);
      if (answer.kind !== 'reject' && fingerprint !== undefined) entry.acceptedCertificates.add(fingerprint);
      return answer;
    } finally {
      if (this.#sessions.has(entry.summary.sessionId)) this.#setState(entry, 'connecting');
    }
  }

  /** What any console of this session is given: where its events go, flow control, the terminal's size. */
  #consoleOptions(entry: SessionEntry): TerminalConsoleOptions {
    const { terminalFlowControl } = this.dependencies;
    return {
      onEvent: (event) => this.#emit(entry, event),
      onExit: () => void this.disconnect({ sessionId: entry.summary.sessionId }).catch(() => undefined),
      onLost: (error) => this.#lost(entry, error),
      flowControl: terminalFlowControl === null ? undefined : (terminalFlowControl ?? TERMINAL_FLOW_CONTROL),
      size: entry.size,
    };
  }

  /** The connected session dropped: it stays listed as failed, with the reason, until it is closed or replaced. */
  #lost(entry: SessionEntry, error: Error): void {
    const console = entry.console;
    entry.console = undefined;
    if (this.#sessions.has(entry.summary.sessionId)) {
      this.#setState(
        entry,
        'failed',
        failureOf(error, 'The connection to the host was lost', 'Reconnect to open a new session.'),
      );
    }
    void console?.close();
  }

  #newEntry(hostId: string): SessionEntry {
    const entry: SessionEntry = {
      summary: { sessionId: this.dependencies.newId(), hostId, state: 'connecting' },
      console: undefined,
      size: DEFAULT_TERMINAL_SIZE,
      abort: new AbortController(),
      acceptedCertificates: new Set(),
      sequence: 0,
      unacknowledged: [],
      unacknowledgedCharacters: 0,
    };
    this.#sessions.set(entry.summary.sessionId, entry);
    return entry;
  }

  /** Counts every event up to and including `sequence` as written, and tells the console how much that frees. */
  #acknowledge(entry: SessionEntry, sequence: number): void {
    let characters = 0;
    while (entry.unacknowledged[0] !== undefined && entry.unacknowledged[0].sequence <= sequence) {
      characters += entry.unacknowledged.shift()?.characters ?? 0;
    }
    entry.unacknowledgedCharacters -= characters;
    if (characters > 0) entry.console?.acknowledge(characters);
  }

  #emit(entry: SessionEntry, event: TerminalEventDto): void {
    entry.sequence += 1;
    const characters = terminalTextLength(event);
    entry.unacknowledged.push({ sequence: entry.sequence, characters });
    entry.unacknowledgedCharacters += characters;
    this.#terminal.fire({ sessionId: entry.summary.sessionId, sequence: entry.sequence, event });
  }

  #setState(entry: SessionEntry, state: SessionSummary['state'], error?: ContractError): SessionSummary {
    entry.summary = {
      sessionId: entry.summary.sessionId,
      hostId: entry.summary.hostId,
      state,
      ...(error === undefined ? {} : { error: error.toDto() }),
    };
    this.#states.fire(entry.summary);
    return entry.summary;
  }

  #entry(sessionId: string): SessionEntry {
    const entry = this.#sessions.get(sessionId);
    if (entry === undefined) throw notFound('The session');
    return entry;
  }

  #console(sessionId: string): TerminalConsole {
    const console = this.#entry(sessionId).console;
    if (console === undefined) throw new ContractError('invalid-input', 'The session is not connected.');
    return console;
  }
}

/** The keychain refused to give the host's secret: the session fails with what to do (DESIGN.md §2.3). */
function keychainFailure(error: unknown): ContractError {
  const details =
    error instanceof ContractError
      ? (error.details ?? error.message)
      : error instanceof Error
        ? error.message
        : String(error);
  return new ContractError(
    'keychain-unavailable',
    'Could not connect: the password could not be read from the system keychain. Unlock the keychain, then try again.',
    { details },
  );
}

/**
 * The failure as one plain sentence, `<lead>: <message>` (the lead left out when the message already says it),
 * then what to do; what the server said and the error's chain go to the details.
 */
function failureOf(error: unknown, lead: string, whatToDo?: string): ContractError {
  if (error instanceof ContractError) return error;
  const full = error instanceof Error ? error.message : String(error);
  const serverSaid = full.indexOf(SERVER_SAID);
  const message = serverSaid < 0 ? full : full.slice(0, serverSaid);
  const led = message.toLowerCase().startsWith(lead.toLowerCase()) ? message : `${lead}: ${message}`;
  const sentence = led.charAt(0).toUpperCase() + led.slice(1);
  const details = serverSaid < 0 ? [] : [full.slice(serverSaid + 1)];
  for (let cause = (error as { cause?: unknown }).cause; cause instanceof Error; cause = cause.cause) {
    details.push(cause.message);
  }
  return new ContractError(
    'internal',
    whatToDo === undefined ? sentence : `${sentence.replace(/\.?$/, '.')} ${whatToDo}`,
    details.length === 0 ? {} : { details: details.join('\n') },
  );
}
