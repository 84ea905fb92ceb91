import { describe, expect, it } from 'vitest';
import { InvalidStateError, ProtocolError, UsageError } from '../../errors';
import { AuthenticationError } from '../authentication-error';
import type { MessageSealing } from '../mechanism';
import { ascii, hex } from '../ntlm/test-support/bytes';
import { SpnegoContext } from './context';
import type { GssMechanism } from './gss-mechanism';
import {
  decodeNegotiationToken,
  encodeInitialNegTokenInit,
  encodeMechTypeList,
  encodeNegTokenResp,
  MechOid,
  NegState,
  type NegTokenInit,
  type NegTokenResp,
} from './tokens';

/** A mechanism that emits scripted tokens, one per step, and signs mechListMICs as "mic:<name>". */
class ScriptedMechanism implements GssMechanism {
  readonly inputs: (string | undefined)[] = [];
  readonly signed: string[] = [];
  readonly verified: string[] = [];
  readonly principal = 'LAB\\alice';
  readonly sealing: MessageSealing | undefined = undefined;
  #remaining: string[];

  constructor(
    readonly oid: string,
    readonly name: string,
    outputs: string[],
    readonly requiresMechListMic = false,
  ) {
    this.#remaining = [...outputs];
  }

  get complete(): boolean {
    return this.#remaining.length === 0;
  }

  step(token: Uint8Array | undefined): Uint8Array | undefined {
    this.inputs.push(token && Buffer.from(token).toString('latin1'));
    const next = this.#remaining.shift();
    if (next === undefined) throw new UsageError('no more steps');
    return next === '' ? undefined : ascii(next);
  }

  mechListMic(mechTypeList: Uint8Array): Uint8Array {
    this.signed.push(hex(mechTypeList));
    return ascii(`mic:${this.name}`);
  }

  verifyMechListMic(mechTypeList: Uint8Array, mic: Uint8Array): void {
    if (Buffer.from(mic).toString('latin1') !== `server-mic:${this.name}`) throw new ProtocolError('bad MIC');
    this.verified.push(hex(mechTypeList));
  }

  credentialsRejected(mechanism: string): AuthenticationError {
    return AuthenticationError.credentialsRejected(this.principal, mechanism);
  }
}

const resp = (fields: Partial<Omit<NegTokenResp, 'type'>>): Uint8Array =>
  encodeNegTokenResp({
    negState: fields.negState,
    supportedMech: fields.supportedMech,
    responseToken: fields.responseToken,
    mechListMic: fields.mechListMic,
  });
const decodeResp = (token: Uint8Array | undefined): NegTokenResp => decodeNegotiationToken(token!) as NegTokenResp;
const text = (bytes: Uint8Array | undefined): string | undefined => bytes && Buffer.from(bytes).toString('latin1');

const ntlmLike = () => new ScriptedMechanism(MechOid.ntlm, 'NTLM', ['NEGOTIATE', 'AUTHENTICATE'], true);

describe('SpnegoContext with an NTLM-like mechanism (PROTOCOL.md §6.3 flow)', () => {
  it('offers the mechanism, exchanges tokens and mechListMICs, then completes', () => {
    const mechanism = ntlmLike();
    const context = new SpnegoContext([mechanism]);
    expect([context.mechanismName, context.httpScheme, context.connectionBound]).toEqual([
      'Negotiate',
      'Negotiate',
      true,
    ]);

    const first = context.step(undefined);
    expect(first.kind).toBe('continue');
    const init = decodeNegotiationToken(first.token!) as NegTokenInit;
    expect(init.mechTypes).toEqual([MechOid.ntlm]);
    expect(text(init.mechToken)).toBe('NEGOTIATE');

    const second = context.step(
      resp({ negState: NegState.acceptIncomplete, supportedMech: MechOid.ntlm, responseToken: ascii('CHALLENGE') }),
    );
    expect(second.kind).toBe('continue');
    expect(mechanism.inputs).toEqual([undefined, 'CHALLENGE']);
    const answer = decodeResp(second.token);
    expect([text(answer.responseToken), text(answer.mechListMic), answer.negState]).toEqual([
      'AUTHENTICATE',
      'mic:NTLM',
      undefined,
    ]);
    expect(mechanism.signed).toEqual([hex(encodeMechTypeList([MechOid.ntlm]))]);
    expect(context.complete).toBe(false);

    const last = context.step(resp({ negState: NegState.acceptCompleted, mechListMic: ascii('server-mic:NTLM') }));
    expect(last).toEqual({ kind: 'complete', token: undefined });
    expect(mechanism.verified).toEqual(mechanism.signed);
    expect(context.complete).toBe(true);
    expect(() => context.step(undefined)).toThrow(InvalidStateError);
  });

  it('refuses completion without the server mechListMIC once it sent its own', () => {
    const context = new SpnegoContext([ntlmLike()]);
    context.step(undefined);
    context.step(resp({ negState: 1, supportedMech: MechOid.ntlm, responseToken: ascii('CHALLENGE') }));
    expect(() => context.step(undefined)).toThrow(/without the mechListMIC/);
    expect(() => context.step(undefined)).toThrow(InvalidStateError); // failed for good
  });

  it('refuses a server mechListMIC that does not verify', () => {
    const context = new SpnegoContext([ntlmLike()]);
    context.step(undefined);
    context.step(resp({ negState: 1, supportedMech: MechOid.ntlm, responseToken: ascii('CHALLENGE') }));
    expect(() => context.step(resp({ negState: 0, mechListMic: ascii('forged') }))).toThrow('bad MIC');
  });

  it('reports a reject after the final token as rejected credentials', () => {
    const context = new SpnegoContext([ntlmLike()]);
    context.step(undefined);
    context.step(resp({ negState: 1, supportedMech: MechOid.ntlm, responseToken: ascii('CHALLENGE') }));
    const error = (() => {
      try {
        context.step(resp({ negState: NegState.reject }));
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ failure: 'credentials-rejected', mechanism: 'NTLM (Negotiate)' });
    expect((error as Error).message).toMatch(
      /^the server rejected the credentials of LAB\\alice using NTLM \(Negotiate\)/,
    );
    expect(context.credentialsRejected().message).toBe((error as Error).message);
  });

  it('reports a reject of the offer as no acceptable mechanism', () => {
    const context = new SpnegoContext([ntlmLike()]);
    context.step(undefined);
    expect(() => context.step(resp({ negState: NegState.reject }))).toThrow(
      expect.objectContaining({ failure: 'mechanism-rejected', message: expect.stringMatching(/none of .* \(NTLM\)/) }),
    );
  });
});

describe('SpnegoContext mechanism selection (Kerberos first, NTLM fallback)', () => {
  it('switches to the mechanism the server chose, starts it, and exchanges MICs', () => {
    const kerberos = new ScriptedMechanism(MechOid.kerberos, 'Kerberos', ['AP-REQ', '']);
    const ntlm = ntlmLike();
    const context = new SpnegoContext([kerberos, ntlm]);
    const init = decodeNegotiationToken(context.step(undefined).token!) as NegTokenInit;
    expect(init.mechTypes).toEqual([MechOid.kerberos, MechOid.ntlm]);
    expect(text(init.mechToken)).toBe('AP-REQ');

    const negotiate = decodeResp(context.step(resp({ negState: 1, supportedMech: MechOid.ntlm })).token);
    expect(text(negotiate.responseToken)).toBe('NEGOTIATE');
    expect(context.selectedMechanism).toBe('NTLM');

    context.step(resp({ negState: 1, responseToken: ascii('CHALLENGE') }));
    expect(ntlm.signed).toEqual([hex(encodeMechTypeList([MechOid.kerberos, MechOid.ntlm]))]);
    expect(context.step(resp({ negState: 0, mechListMic: ascii('server-mic:NTLM') }))).toEqual({
      kind: 'complete',
      token: undefined,
    });
  });

  it('completes Kerberos on the final 200 token (AP-REP) without MICs', () => {
    const kerberos = new ScriptedMechanism(MechOid.kerberos, 'Kerberos', ['AP-REQ', '']);
    const context = new SpnegoContext([kerberos, ntlmLike()]);
    context.step(undefined);
    const final = context.step(resp({ negState: 0, supportedMech: MechOid.kerberos, responseToken: ascii('AP-REP') }));
    expect(final).toEqual({ kind: 'complete', token: undefined });
    expect(kerberos.inputs).toEqual([undefined, 'AP-REP']);
    expect(kerberos.signed).toEqual([]);
  });

  it('answers request-mic with its mechListMIC', () => {
    const kerberos = new ScriptedMechanism(MechOid.kerberos, 'Kerberos', ['AP-REQ', '']);
    const context = new SpnegoContext([kerberos]);
    context.step(undefined);
    const reply = context.step(
      resp({ negState: NegState.requestMic, supportedMech: MechOid.kerberos, responseToken: ascii('AP-REP') }),
    );
    expect(reply.kind).toBe('continue');
    expect(text(decodeResp(reply.token).mechListMic)).toBe('mic:Kerberos');
  });

  it('verifies a server MIC that comes first and sends its own with the completion', () => {
    const kerberos = new ScriptedMechanism(MechOid.kerberos, 'Kerberos', ['AP-REQ', '']);
    const context = new SpnegoContext([kerberos]);
    context.step(undefined);
    const reply = context.step(
      resp({
        negState: 0,
        supportedMech: MechOid.kerberos,
        responseToken: ascii('AP-REP'),
        mechListMic: ascii('server-mic:Kerberos'),
      }),
    );
    expect(reply.kind).toBe('complete');
    expect(text(decodeResp(reply.token).mechListMic)).toBe('mic:Kerberos');
    expect(kerberos.verified.length).toBe(1);
  });

  it.each([
    ['a mechanism that was not offered', [resp({ negState: 1, supportedMech: MechOid.negoex })], /not offered/],
    ['no supportedMech in the first answer', [resp({ negState: 1, responseToken: ascii('x') })], /names no mechanism/],
    [
      'a change of mechanism mid-exchange',
      [
        resp({ negState: 1, supportedMech: MechOid.ntlm, responseToken: ascii('CHALLENGE') }),
        resp({ negState: 1, supportedMech: MechOid.kerberos }),
      ],
      /changed the Negotiate mechanism/,
    ],
    [
      'a token after the mechanism completed',
      [
        resp({ negState: 1, supportedMech: MechOid.ntlm, responseToken: ascii('CHALLENGE') }),
        resp({ negState: 1, responseToken: ascii('more') }),
      ],
      /does not expect/,
    ],
    ['a completion before the mechanism finished', [resp({ negState: 0, supportedMech: MechOid.ntlm })], /before NTLM/],
    [
      'a NegTokenInit',
      [encodeInitialNegTokenInit(encodeMechTypeList([MechOid.ntlm]), undefined)],
      /with a NegTokenInit/,
    ],
    [
      'a MIC before completion',
      [resp({ negState: 1, supportedMech: MechOid.ntlm, mechListMic: ascii('m') })],
      /before authentication completed/,
    ],
  ])('refuses %s', (_, tokens, message) => {
    const context = new SpnegoContext([ntlmLike(), new ScriptedMechanism(MechOid.kerberos, 'Kerberos', ['x'])]);
    context.step(undefined);
    const last = tokens.pop()!;
    for (const token of tokens) context.step(token);
    const attempt = () => context.step(last);
    expect(attempt).toThrow(ProtocolError);
    expect(attempt).toThrow(InvalidStateError); // the context failed for good…
    expect(context.complete).toBe(false);
    // …and said why, the first time.
    const again = new SpnegoContext([ntlmLike(), new ScriptedMechanism(MechOid.kerberos, 'Kerberos', ['x'])]);
    again.step(undefined);
    for (const token of tokens) again.step(token);
    expect(() => again.step(last)).toThrow(message);
  });

  it('refuses misuse', () => {
    expect(() => new SpnegoContext([])).toThrow(UsageError);
    expect(() => new SpnegoContext([ntlmLike(), ntlmLike()])).toThrow(/distinct OIDs/);
    expect(() => new SpnegoContext([ntlmLike()]).step(ascii('x'))).toThrow(UsageError);
  });
});
