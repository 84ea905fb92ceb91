import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../core/errors';
import { ResourceUri, buildGet, buildReceive, buildSignal, type AnyWSManRequest } from '../../core/wsman';
import {
  DEFAULT_TIMEOUTS,
  HttpHeaders,
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

/** A transport whose posts stay pending until the test answers them. */
class HeldTransport implements PostingTransport {
  readonly endpoint = 'https://h:5986/wsman';
  readonly timeouts = DEFAULT_TIMEOUTS;
  readonly pending: { envelope: Uint8Array; idempotent: boolean; answer: () => void }[] = [];
  closed = false;

  constructor(readonly options: WinRMTransportOptions) {}

  post(envelope: Uint8Array, options: { idempotent?: boolean } = {}): Promise<WinRMResponse> {
    return new Promise((resolve) => {
      const entry = {
        envelope,
        idempotent: options.idempotent === true,
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

function lanes(maxLanes?: number, transport: Partial<WinRMTransportOptions> = {}) {
  const opened: HeldTransport[] = [];
  const options: WinRMTransportOptions = {
    endpoint: 'https://h:5986/wsman',
    mechanism: basicMechanism({ user: 'u', password: 'p' }),
    ...transport,
  };
  const created = new TransportLanes({
    transport: options,
    maxLanes,
    open: (settings) => {
      const held = new HeldTransport(settings);
      opened.push(held);
      return held;
    },
  });
  const where = (request: AnyWSManRequest) =>
    opened.findIndex((held) => held.pending.some((entry) => entry.envelope === request.envelope));
  return { lanes: created, opened, where };
}

describe('TransportLanes', () => {
  it('opens its first connection up front and reuses it for sequential requests', async () => {
    const { lanes: session, opened } = lanes();
    expect(opened).toHaveLength(1);
    for (const request of [get(), receive(), signal()]) {
      const answer = session.post(request);
      opened[0]!.pending[0]!.answer();
      expect(await answer).toBe(request.envelope);
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
