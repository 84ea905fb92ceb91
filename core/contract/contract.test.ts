import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UsageError } from '../errors';
import { connectContract } from './client';
import { ContractError } from './contract-error';
import type { ContractImplementation, SenderIdentity } from './definition';
import { defineContract, method } from './definition';
import { Emitter } from './emitter';
import type { ContractLogger } from './server';
import { ContractServer } from './server';
import type { MessageTransport } from './transport';
import { createInMemoryTransportPair } from './transport';

const SECRET = 'correct horse battery staple';

const testContract = defineContract({
  notes: {
    methods: {
      add: method(
        z.strictObject({ text: z.string().min(1), tags: z.array(z.string()).default([]) }),
        z.strictObject({ id: z.int(), tags: z.array(z.string()) }),
      ),
      list: method(z.void(), z.array(z.string())),
      fail: method(z.strictObject({ how: z.enum(['contract', 'crash', 'leak']) }), z.strictObject({ ok: z.boolean() })),
      login: method(z.strictObject({ user: z.string(), secret: z.string().min(40) }), z.void()),
    },
    events: {
      onDidAdd: z.strictObject({ text: z.string() }),
    },
  },
});

const APP_SENDER: SenderIdentity = { origin: 'app://winrm-desk', description: 'test window' };

interface LogEntry {
  level: 'warn' | 'error';
  message: string;
  fields: Readonly<Record<string, unknown>> | undefined;
}

function setUp(options: { allowSender?: (sender: SenderIdentity) => boolean } = {}) {
  const calls: { method: string; request: unknown }[] = [];
  const added = new Emitter<{ text: string }>();
  const notes: string[] = [];
  const implementation: ContractImplementation<typeof testContract> = {
    notes: {
      async add(request) {
        calls.push({ method: 'add', request });
        notes.push(request.text);
        added.fire({ text: request.text });
        return { id: notes.length, tags: request.tags };
      },
      async list() {
        calls.push({ method: 'list', request: undefined });
        return [...notes];
      },
      async fail({ how }) {
        calls.push({ method: 'fail', request: how });
        if (how === 'contract') throw new ContractError('not-found', 'No such note.', { details: 'id 7' });
        if (how === 'crash') throw new Error('disk on fire');
        return { ok: true, password: 'leaked' } as unknown as { ok: boolean };
      },
      async login(request) {
        calls.push({ method: 'login', request });
      },
      onDidAdd: added.event,
    },
  };
  const log: LogEntry[] = [];
  const logger: ContractLogger = {
    warn: (message, fields) => log.push({ level: 'warn', message, fields }),
    error: (message, fields) => log.push({ level: 'error', message, fields }),
  };
  const server = new ContractServer(testContract, implementation, {
    logger,
    isAllowedSender: options.allowSender ?? ((sender) => sender.origin === APP_SENDER.origin),
  });
  const [rendererEnd, mainEnd] = createInMemoryTransportPair();
  const accepted = server.accept(mainEnd, APP_SENDER);
  const client = connectContract(testContract, rendererEnd);
  const replies: unknown[] = [];
  rendererEnd.onMessage((message) => replies.push(message));
  return { calls, added, log, server, client, rendererEnd, mainEnd, accepted, replies };
}

const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

describe('contract client and server', () => {
  it('calls the implementation with the validated request (defaults applied) and returns the response', async () => {
    const { client, calls } = setUp();
    await expect(client.services.notes.add({ text: 'hello' })).resolves.toEqual({ id: 1, tags: [] });
    await expect(client.services.notes.list()).resolves.toEqual(['hello']);
    expect(calls).toEqual([
      { method: 'add', request: { text: 'hello', tags: [] } },
      { method: 'list', request: undefined },
    ]);
  });

  it('rejects an invalid call in the client without sending it', async () => {
    const { client, calls, replies, log } = setUp();
    const error = await client.services.notes.add({ text: '' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ContractError);
    expect(error).toMatchObject({ code: 'invalid-request', problems: [{ field: 'text' }] });
    await settle();
    expect(calls).toEqual([]);
    expect(replies).toEqual([]);
    expect(log).toEqual([]);
  });

  it('carries a service ContractError as its DTO and rethrows it typed', async () => {
    const { client } = setUp();
    const error = await client.services.notes.fail({ how: 'contract' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ContractError);
    expect(error).toMatchObject({ code: 'not-found', message: 'No such note.', details: 'id 7' });
  });

  it('turns any other failure into an internal error, logged with its stack, details on demand', async () => {
    const { client, log } = setUp();
    const error = await client.services.notes.fail({ how: 'crash' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'internal',
      message: 'WinRM Desk could not complete notes.fail.',
      details: 'disk on fire',
    });
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ level: 'error', message: 'contract: notes.fail failed' });
    expect(String(log[0]?.fields?.['error'])).toMatch(/disk on fire\n\s+at /);
  });

  it('withholds a response with a field the contract does not declare', async () => {
    const { client, log, replies } = setUp();
    await expect(client.services.notes.fail({ how: 'leak' })).rejects.toMatchObject({ code: 'internal' });
    expect(JSON.stringify(replies)).not.toContain('leaked');
    expect(log[0]).toMatchObject({ level: 'error', message: expect.stringMatching(/outside the contract/) });
  });

  it('subscribes an event in main while the client has listeners, and only then', async () => {
    const { client, added, calls } = setUp();
    const seen: string[] = [];
    const first = client.services.notes.onDidAdd((event) => seen.push(`1:${event.text}`));
    const second = client.services.notes.onDidAdd((event) => seen.push(`2:${event.text}`));
    await settle();
    expect(added.listenerCount).toBe(1);
    await client.services.notes.add({ text: 'a' });
    await settle();
    first.dispose();
    await client.services.notes.add({ text: 'b' });
    await settle();
    second.dispose();
    await settle();
    expect(added.listenerCount).toBe(0);
    await client.services.notes.add({ text: 'c' });
    await settle();
    expect(seen).toEqual(['1:a', '2:a', '2:b']);
    expect(calls).toHaveLength(3);
  });

  it('drops an event the contract does not allow, and logs it', async () => {
    const { client, added, log } = setUp();
    const seen: unknown[] = [];
    client.services.notes.onDidAdd((event) => seen.push(event));
    await settle();
    added.fire({ text: 'fine' });
    added.fire({ text: 'x', secret: SECRET } as unknown as { text: string });
    await settle();
    expect(seen).toEqual([{ text: 'fine' }]);
    expect(log).toHaveLength(1);
    expect(JSON.stringify(log)).not.toContain(SECRET);
  });

  it('rejects pending and later calls with disconnected once closed', async () => {
    const [rendererEnd] = createInMemoryTransportPair();
    const client = connectContract(testContract, rendererEnd);
    const pending = client.services.notes.list();
    client.close('The bridge stopped.');
    await expect(pending).rejects.toMatchObject({ code: 'disconnected', message: 'The bridge stopped.' });
    await expect(client.services.notes.list()).rejects.toMatchObject({ code: 'disconnected' });
  });

  it('stops serving a connection once disposed, and unsubscribes its events', async () => {
    const { client, added, accepted, calls } = setUp();
    client.services.notes.onDidAdd(() => undefined);
    await settle();
    expect(added.listenerCount).toBe(1);
    accepted.dispose();
    expect(added.listenerCount).toBe(0);
    const late = client.services.notes.list();
    await settle();
    expect(calls).toEqual([]);
    client.close();
    await expect(late).rejects.toMatchObject({ code: 'disconnected' });
  });

  it('insists on the naming rules of the table', () => {
    const events = {};
    expect(() => defineContract({ a: { methods: { onDidThing: method(z.void(), z.void()) }, events } })).toThrow(
      UsageError,
    );
    expect(() =>
      defineContract({ a: { methods: {}, events: { onDidthing: z.void() } as unknown as { onDidX: z.ZodVoid } } }),
    ).toThrow(/onDid…\/onWill…/);
    expect(() => defineContract({ 'a.b': { methods: {}, events } })).toThrow(/bad service name/);
  });
});

describe('contract server: what a renderer sends is validated before anything acts on it', () => {
  async function send(transport: MessageTransport, message: unknown) {
    transport.post(message);
    await settle();
  }

  it('rejects and logs a payload that fails its schema, never calling the service, never logging its values', async () => {
    const { rendererEnd, calls, log, replies } = setUp();
    await send(rendererEnd, {
      kind: 'request',
      id: 5,
      service: 'notes',
      method: 'login',
      payload: { user: 'alice', secret: SECRET },
    });
    expect(calls).toEqual([]);
    expect(replies).toEqual([
      {
        kind: 'response',
        id: 5,
        ok: false,
        error: {
          code: 'invalid-request',
          message: 'The request for notes.login is not valid.',
          problems: [{ field: 'secret', message: expect.any(String) }],
        },
      },
    ]);
    expect(log).toEqual([
      {
        level: 'warn',
        message: 'contract: rejected a malformed request',
        fields: expect.objectContaining({ service: 'notes', method: 'login', connectionId: 1 }),
      },
    ]);
    expect(JSON.stringify(log)).not.toContain(SECRET);
  });

  it('rejects extra keys (a smuggled field) like any other malformed payload', async () => {
    const { rendererEnd, calls, replies } = setUp();
    await send(rendererEnd, {
      kind: 'request',
      id: 1,
      service: 'notes',
      method: 'add',
      payload: { text: 'ok', isAdmin: true },
    });
    expect(calls).toEqual([]);
    expect(replies).toMatchObject([{ id: 1, ok: false, error: { code: 'invalid-request' } }]);
  });

  it('answers unknown methods, including inherited property names, without calling anything', async () => {
    const { rendererEnd, calls, replies, log } = setUp();
    const targets = [
      ['notes', 'remove'],
      ['notes', 'constructor'],
      ['notes', 'onDidAdd'],
      ['notes', '__proto__'],
      ['notes', 'hasOwnProperty'],
      ['toString', 'call'],
      ['__proto__', 'add'],
      ['files', 'list'],
    ];
    for (const [index, [service, name]] of targets.entries()) {
      await send(rendererEnd, { kind: 'request', id: index, service, method: name, payload: {} });
    }
    expect(calls).toEqual([]);
    expect(replies).toHaveLength(targets.length);
    for (const reply of replies) expect(reply).toMatchObject({ ok: false, error: { code: 'unknown-method' } });
    expect(log.every((entry) => entry.message === 'contract: rejected a call of an unknown method')).toBe(true);
    expect(log).toHaveLength(targets.length);
  });

  it('answers a malformed envelope that still has a request id, and ignores the rest, logging each', async () => {
    const { rendererEnd, replies, log, calls } = setUp();
    await send(rendererEnd, { kind: 'request', id: 9, service: 'notes' });
    await send(rendererEnd, { kind: 'request', id: 10, service: 'notes', method: 'list', extra: 1 });
    await send(rendererEnd, 'hello');
    await send(rendererEnd, null);
    await send(rendererEnd, { kind: 'response', id: 1, ok: true });
    await send(rendererEnd, { kind: 'subscribe', service: 'notes', event: 'onDidRemove' });
    expect(calls).toEqual([]);
    expect(replies).toMatchObject([
      { kind: 'response', id: 9, ok: false, error: { code: 'invalid-request' } },
      { kind: 'response', id: 10, ok: false, error: { code: 'invalid-request' } },
    ]);
    expect(log.map((entry) => entry.message)).toEqual([
      ...Array(5).fill('contract: rejected a malformed message'),
      'contract: rejected a subscription to an unknown event',
    ]);
  });

  it('refuses a connection from a sender it does not trust: nothing read, nothing answered, logged once', async () => {
    const { server, calls, log } = setUp({ allowSender: (sender) => sender.origin === APP_SENDER.origin });
    const [foreignRenderer, foreignMain] = createInMemoryTransportPair();
    const replies: unknown[] = [];
    foreignRenderer.onMessage((message) => replies.push(message));
    server.accept(foreignMain, { origin: 'http://evil.example', description: 'socket 7' });
    await send(foreignRenderer, { kind: 'request', id: 1, service: 'notes', method: 'list' });
    await send(foreignRenderer, { kind: 'subscribe', service: 'notes', event: 'onDidAdd' });
    expect(calls).toEqual([]);
    expect(replies).toEqual([]);
    expect(log).toEqual([
      {
        level: 'warn',
        message: 'contract: refused a connection from an unexpected sender',
        fields: { connectionId: 2, origin: 'http://evil.example', sender: 'socket 7' },
      },
    ]);
  });

  it('never throws and never calls a service with an invalid payload, whatever arrives', async () => {
    const { server, calls } = setUp();
    // A transport that hands over any value as is, as a MessagePort's structured clone may.
    let deliver: (message: unknown) => void = () => undefined;
    const replies: unknown[] = [];
    server.accept(
      {
        post: (message) => replies.push(message),
        onMessage: (listener) => {
          deliver = listener;
          return { dispose: () => undefined };
        },
      },
      APP_SENDER,
    );
    const member = fc.constantFrom('add', 'list', 'login', 'fail', 'remove', 'onDidAdd', '__proto__', 'constructor');
    const message = fc.oneof(
      fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true }),
      fc.record(
        {
          kind: fc.constantFrom('request', 'subscribe', 'unsubscribe', 'event'),
          id: fc.oneof(fc.nat(), fc.double(), fc.string()),
          service: fc.constantFrom('notes', 'files', 'constructor', '__proto__'),
          method: member,
          event: member,
          payload: fc.anything(),
        },
        { requiredKeys: ['kind'] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(message, { maxLength: 20 }), async (messages) => {
        calls.length = 0;
        replies.length = 0;
        for (const sent of messages) expect(() => deliver(sent)).not.toThrow();
        await settle();
        for (const call of calls) {
          if (call.method === 'list') continue;
          const schema = testContract.notes.methods[call.method as 'add' | 'login'].request;
          expect(schema.safeParse(call.request).success).toBe(true);
        }
        expect(replies.length).toBeLessThanOrEqual(messages.length + calls.length);
      }),
      { numRuns: 80 },
    );
  });
});
