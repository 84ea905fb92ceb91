import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../core/errors';
import { ResourceUri, buildGet, buildReceive, buildSignal, uuidUri, type AnyWSManRequest } from '../../core/wsman';
import {
  DEFAULT_TIMEOUTS,
  HttpHeaders,
  type PostOptions,
  StaticTrustStore,
  StoreTrustPolicy,
  basicMechanism,
  type TrustAnswer,
  type TrustRequest,
  type WinRMResponse,
  type WinRMTransportOptions,
} from '../transport';
import { TransportLanes, type PostingTransport } from './transport-lanes';

const context = { to: 'https://h:5986/wsman', maxEnvelopeSize: 153600, operationTimeoutMs: 20000 };
const target = { resourceUri: ResourceUri.cmd, selectors: [{ name: 'ShellId', value: randomUUID() }] };
const receive = () => buildReceive(context, randomUUID(), { ...target, desiredStreams: ['stdout'], commandId: 'C' });
const signal = () => buildSignal(context, randomUUID(), { ...target, commandId: 'C', code: 'ctrl_c' });
const get = () => buildGet(context, randomUUID(), { resourceUri: ResourceUri.config });

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

/** A transport whose posts stay pending until the test answers them. */
class HeldTransport implements PostingTransport {
  readonly endpoint = 'https://h:5986/wsman';
  readonly timeouts = DEFAULT_TIMEOUTS;
  readonly pending: {
    envelope: Uint8Array;
    idempotent: boolean;
    retransmission: Uint8Array | undefined;
    answer: () => void;
  }[] = [];
  closed = false;

  constructor(readonly options: WinRMTransportOptions) {}

  post(envelope: Uint8Array, options: PostOptions = {}): Promise<WinRMResponse> {
    return new Promise((resolve) => {
      const entry = {
        envelope,
        idempotent: options.idempotent === true,
        retransmission: options.retransmission,
        answer: () => {
          this.pending.splice(this.pending.indexOf(entry), 1);
          resolve({ status: 200, headers: new HttpHeaders([]), body: envelope, encrypted: false });
        },
      };
      this.pending.push(entry);
    });
  }

  close(): void {
    this.closed = true;
  }
}

function lanes(maxLanes?: number, transport: Partial<WinRMTransportOptions> = {}, newId: () => string = randomUUID) {
  const opened: HeldTransport[] = [];
  const options: WinRMTransportOptions = {
    endpoint: 'https://h:5986/wsman',
    mechanism: basicMechanism({ user: 'u', password: 'p' }),
    ...transport,
  };
  const created = new TransportLanes({
    transport: options,
    maxLanes,
    newId,
    open: (settings) => {
      const held = new HeldTransport(settings);
      opened.push(held);
      return held;
    },
  });
  const where = (request: AnyWSManRequest) =>
    opened.findIndex((held) => held.pending.some((entry) => text(entry.envelope).includes(uuidUri(request.messageId))));
  return { lanes: created, opened, where };
}

describe('TransportLanes', () => {
  it('opens its first connection up front and reuses it for sequential requests', async () => {
    const { lanes: session, opened } = lanes();
    expect(opened).toHaveLength(1);
    for (const request of [get(), receive(), signal()]) {
      const answer = session.post(request);
      opened[0]!.pending[0]!.answer();
      expect(text(await answer)).toContain(uuidUri(request.messageId));
    }
    expect(session.opened).toBe(1);
  });

  it('puts a request beside a long-polling Receive on a second connection, and short requests together', () => {
    const { lanes: session, opened, where } = lanes();
    const poll = receive();
    const first = signal();
    const second = signal();
    void session.post(poll);
    void session.post(first);
    void session.post(second);
    expect([where(poll), where(first), where(second)]).toEqual([0, 1, 1]);
    expect(opened).toHaveLength(2);
  });

  it('never opens more than maxLanes, then queues on the least busy connection', () => {
    const { lanes: session, opened, where } = lanes(2);
    const polls = [receive(), receive(), receive()];
    for (const poll of polls) void session.post(poll);
    expect(opened).toHaveLength(2);
    expect(polls.map(where)).toEqual([0, 1, 0]);
  });

  it('marks Receive and Get idempotent (safe to replay after a broken connection), Signal not', () => {
    const { lanes: session, opened } = lanes(3);
    for (const request of [receive(), get(), signal()]) void session.post(request);
    expect(opened.flatMap((held) => held.pending.map((entry) => entry.idempotent))).toEqual([true, true, false]);
  });

  it('gives each Receive its own OperationID, and marks the replay of the same one as a retransmission', () => {
    const ids = ['0a0a0a0a-0000-4000-8000-000000000001', '0a0a0a0a-0000-4000-8000-000000000002'];
    const { lanes: session, opened } = lanes(1, {}, () => ids.shift()!);
    const polls = [receive(), receive()];
    for (const poll of polls) void session.post(poll);
    void session.post(signal());
    const [first, second, other] = opened[0]!.pending;
    const operationId = (entry: { envelope: Uint8Array } | undefined) =>
      /<wsmv:OperationID s:mustUnderstand="(\w+)">uuid:([\w-]+)</
        .exec(text(entry?.envelope ?? new Uint8Array()))
        ?.slice(1);
    expect(operationId(first)).toEqual(['false', '0A0A0A0A-0000-4000-8000-000000000001']);
    expect(operationId(second)).toEqual(['false', '0A0A0A0A-0000-4000-8000-000000000002']);
    expect(operationId({ envelope: first!.retransmission! })).toEqual(['true', '0A0A0A0A-0000-4000-8000-000000000001']);
    // The retransmission is the same request: same MessageID, only the OperationID's mustUnderstand differs.
    expect(
      text(first!.retransmission!).replace('mustUnderstand="true">uuid:0A0A', 'mustUnderstand="false">uuid:0A0A'),
    ).toBe(text(first!.envelope));
    expect(text(first!.envelope)).toContain(uuidUri(polls[0]!.messageId));
    expect(other!.retransmission).toBeUndefined();
    expect(text(other!.envelope)).not.toContain('OperationID');
  });

  it('closes every connection and refuses later requests', async () => {
    const { lanes: session, opened } = lanes();
    void session.post(receive());
    void session.post(signal());
    session.close();
    expect(opened.map((held) => held.closed)).toEqual([true, true]);
    await expect(session.post(get())).rejects.toThrow(UsageError);
  });

  it('asks the user about an untrusted certificate once for all its connections', async () => {
    const asked: TrustRequest[] = [];
    const { lanes: session, opened } = lanes(2, {
      tls: {
        trust: new StoreTrustPolicy(new StaticTrustStore()),
        askTrust: async (request): Promise<TrustAnswer> => {
          asked.push(request);
          return { kind: 'accept-once' };
        },
      },
    });
    void session.post(receive());
    void session.post(receive());
    expect(opened).toHaveLength(2);
    const request = { chain: [{ fingerprintSha256: 'ab' }] } as unknown as TrustRequest;
    const answers = await Promise.all(opened.map((held) => held.options.tls!.askTrust!(request)));
    expect(answers).toEqual([{ kind: 'accept-once' }, { kind: 'accept-once' }]);
    expect(asked).toHaveLength(1);
  });

  it('refuses a maxLanes below one', () => {
    expect(() => lanes(0)).toThrow(UsageError);
  });
});
