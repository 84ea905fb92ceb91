import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors';
import { WSManFault } from './fault';
import { buildReceive, type AnyWSManRequest } from './requests';
import { parseResponse } from './response';
import { CAPTURES_DIRECTORY, readCapture, recordedRequest } from './test-support/captures';
import { CommandStateUri, ResourceUri } from './uris';

/** Every recorded (request, response) pair, the seeds of the mutation tests. */
const recorded: { request: AnyWSManRequest; response: string }[] = readdirSync(CAPTURES_DIRECTORY)
  .filter((name) => name.endsWith('.yml'))
  .flatMap((file) => readCapture(readFileSync(new URL(file, CAPTURES_DIRECTORY), 'utf8')))
  .flatMap((exchange) =>
    exchange.response === undefined
      ? []
      : [{ request: recordedRequest(exchange.request), response: exchange.response }],
  );

/** Parses and reports how it ended; anything but a result, a WSManFault or a ProtocolError fails the test. */
function outcome(request: AnyWSManRequest, response: string | Uint8Array): 'result' | 'fault' | 'protocol' {
  try {
    parseResponse(request, response);
    return 'result';
  } catch (error) {
    if (error instanceof WSManFault) return 'fault';
    if (error instanceof ProtocolError) return 'protocol';
    throw error;
  }
}

const seed = fc.constantFrom(...recorded);
const hostileFragments = fc.constantFrom(
  '<',
  '>',
  '&',
  '"',
  "'",
  '/>',
  '</s:Body>',
  '</s:Envelope>',
  '<s:Fault>',
  '<!DOCTYPE x [<!ENTITY e "e">]>',
  '&e;',
  '&#0;',
  '&#x110000;',
  '<![CDATA[',
  ']]>',
  '<?xml version="1.0" encoding="UTF-16"?>',
  'xmlns:s="urn:evil"',
  'xmlns=""',
  '\u0000',
  '\uFFFE',
  'End="maybe"',
  'State="urn:x"',
  '====',
);
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(hostileFragments, fc.string()) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 200 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(text: string, m: Mutation): string {
  const at = m.at % (text.length + 1);
  switch (m.kind) {
    case 'truncate':
      return text.slice(0, at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + m.length);
    case 'insert':
      return text.slice(0, at) + m.text + text.slice(at);
    case 'duplicate':
      return text.slice(0, at + m.length) + text.slice(at);
  }
}

describe('parseResponse under fuzzing', () => {
  it('answers random bytes and strings with protocol errors only', () => {
    fc.assert(
      fc.property(seed, fc.oneof(fc.uint8Array({ maxLength: 2048 }), fc.string({ maxLength: 2048 })), (s, input) => {
        expect(['protocol', 'fault', 'result']).toContain(outcome(s.request, input));
      }),
      { numRuns: 1000 },
    );
  });

  it('answers mutated recordings with a result, a WSManFault or a typed protocol error, quickly', () => {
    let slowest = 0;
    const seen = new Set<string>();
    fc.assert(
      fc.property(seed, fc.array(mutation, { minLength: 1, maxLength: 4 }), (s, mutations) => {
        const input = mutations.reduce(mutate, s.response);
        const started = performance.now();
        seen.add(outcome(s.request, input));
        slowest = Math.max(slowest, performance.now() - started);
      }),
      { numRuns: 3000 },
    );
    expect(seen).toEqual(new Set(['result', 'fault', 'protocol']));
    expect(slowest).toBeLessThan(250);
  });

  it('refuses every recorded response offered to another request (RelatesTo)', () => {
    fc.assert(
      fc.property(seed, seed, (a, b) => {
        fc.pre(a.request.messageId !== b.request.messageId);
        expect(outcome(a.request, b.response)).not.toBe('result');
      }),
      { numRuns: 500 },
    );
  });
});

describe('ReceiveResponse round trip', () => {
  const messageId = '4CECD2A8-45E1-4835-B5D9-F4CEB4308A0F';
  const request = buildReceive(
    { to: 'http://h:5985/wsman', maxEnvelopeSize: 153600, operationTimeoutMs: 20000 },
    messageId,
    { resourceUri: ResourceUri.cmd, selectors: [], desiredStreams: ['stdout', 'stderr'] },
  );
  const prefix = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/).filter((p) => !p.startsWith('xml'));
  const stream = fc.record({
    name: fc.constantFrom('stdout', 'stderr'),
    data: fc.uint8Array({ maxLength: 300 }),
    end: fc.boolean(),
  });
  const state = fc.option(
    fc.record({ state: fc.constantFrom('Done', 'Running', 'Pending'), exitCode: fc.integer({ min: -1, max: 0xffff }) }),
  );

  it('reads whatever prefixes the server picks, streams and state intact', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(prefix, { minLength: 3, maxLength: 3 }),
        fc.array(stream, { maxLength: 6 }),
        state,
        (prefixes, streams, commandState) => {
          const [s, a, r] = prefixes as [string, string, string];
          const body =
            streams
              .map(
                (x) =>
                  `<${r}:Stream Name="${x.name}" CommandId="C"${x.end ? ' End="true"' : ''}>${Buffer.from(x.data).toString('base64')}</${r}:Stream>`,
              )
              .join('') +
            (commandState === null
              ? ''
              : `<${r}:CommandState CommandId="C" State="${CommandStateUri[commandState.state as 'Done']}">` +
                (commandState.state === 'Done' ? `<${r}:ExitCode>${commandState.exitCode}</${r}:ExitCode>` : '') +
                `</${r}:CommandState>`);
          const xml =
            `<${s}:Envelope xmlns:${s}="http://www.w3.org/2003/05/soap-envelope" xmlns:${a}="http://schemas.xmlsoap.org/ws/2004/08/addressing">` +
            `<${s}:Header><${a}:Action>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse</${a}:Action>` +
            `<${a}:RelatesTo>uuid:${messageId}</${a}:RelatesTo></${s}:Header><${s}:Body>` +
            `<${r}:ReceiveResponse xmlns:${r}="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">${body}</${r}:ReceiveResponse>` +
            `</${s}:Body></${s}:Envelope>`;
          const result = parseResponse(request, xml);
          expect(result.streams).toEqual(streams.map((x) => ({ ...x, commandId: 'C', data: new Uint8Array(x.data) })));
          expect(result.commandState).toEqual(
            commandState === null
              ? undefined
              : {
                  commandId: 'C',
                  state: commandState.state,
                  exitCode: commandState.state === 'Done' ? commandState.exitCode : undefined,
                },
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
