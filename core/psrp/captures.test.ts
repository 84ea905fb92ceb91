/**
 * Every PSRP payload recorded against real Windows hosts (captures/windows, pypsrp, MIT): base64 →
 * fragments → messages → CLIXML objects, then back.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deserializeClixml, isPrimitive, PSObject, primitive, serializeClixml, type PSValue } from './clixml';
import { ClixmlError } from './clixml/errors';
import { Defragmenter } from './defragmenter';
import { FragmentError } from './fragment';
import { NIL_GUID } from './guid';
import { decodeMessage, Destination, encodeMessage, MessageError, MessageType } from './message';
import { capturedMessages, loadCaptures, psrpPayloads, type CapturedMessage } from './test-support/captures';

const captures = loadCaptures((script, args) =>
  execFileSync('/usr/bin/python3', ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }),
);
const messages: readonly CapturedMessage[] = [...captures].flatMap(([file, exchanges]) =>
  capturedMessages(file, exchanges),
);
const decoded = new Map<CapturedMessage, PSValue>(
  messages.filter((m) => m.message.data !== '').map((m) => [m, deserializeClixml(m.message.data)]),
);
const BOM = [0xef, 0xbb, 0xbf];

/**
 * pypsrp's XML writer differs from .NET's in two harmless ways: `RefId` before `N`, and `<S />`
 * for empty text where .NET writes `<S></S>`. This rewrites pypsrp's output in .NET's style.
 */
const dotNetStyle = (xml: string): string =>
  xml.replace(/ (RefId="\d+") (N="[^"]*")/g, ' $2 $1').replace(/<(S|ToString)( N="[^"]*")? \/>/g, '<$1$2></$1>');

function property(value: PSValue | undefined, ...path: string[]): PSValue | undefined {
  return path.reduce<PSValue | undefined>(
    (current, name) => (current instanceof PSObject ? current.property(name) : undefined),
    value,
  );
}

/** The kind and text of a primitive, e.g. `Version 2.3`, for compact assertions. */
function primitiveText(value: PSValue | undefined): string | undefined {
  return isPrimitive(value) ? `${value.kind} ${String(value.value)}` : undefined;
}

/** The value stored under string key `key` in a dictionary object. */
function entry(value: PSValue | undefined, key: string): PSValue | undefined {
  if (!(value instanceof PSObject) || value.value?.kind !== 'Dictionary') return undefined;
  return value.value.entries.find((e) => primitiveText(e.key) === `String ${key}`)?.value;
}

function inFile(file: string): CapturedMessage[] {
  return messages.filter((m) => m.file === file);
}

describe('recorded Windows PSRP traffic', () => {
  it('decodes every payload of every file into messages and CLIXML objects', () => {
    expect(captures.size).toBe(48);
    const psrpFiles = new Set(messages.map((m) => m.file));
    expect(psrpFiles.size).toBe(35);
    expect(messages).toHaveLength(496);
    expect(messages.filter((m) => m.direction === 'toClient')).toHaveLength(344);
    expect(decoded.size).toBe(488);
    const elements = new Set(
      [...captures].flatMap(([file, exchanges]) => psrpPayloads(file, exchanges).map((p) => p.element)),
    );
    expect(elements).toEqual(
      new Set(['creationXml', 'rsp:Arguments', 'rsp:Stream', 'connectXml', 'connectResponseXml']),
    );
    for (const m of messages) {
      expect(m.message.destination).toBe(m.direction === 'toServer' ? Destination.Server : Destination.Client);
    }
  });

  it('re-serializes every Windows message byte for byte, and pypsrp messages up to attribute order', () => {
    for (const [m, value] of decoded) {
      const xml = serializeClixml(value);
      expect(deserializeClixml(xml)).toEqual(value);
      expect(xml).toBe(m.direction === 'toClient' ? m.message.data : dotNetStyle(m.message.data));
    }
  });

  it('re-encodes every message header and body (servers add a BOM, pypsrp does not)', () => {
    for (const m of messages) {
      const encoded = encodeMessage(m.message);
      const expected =
        m.direction === 'toClient' ? [...m.bytes.subarray(0, 40), ...m.bytes.subarray(43)] : [...m.bytes];
      expect([...encoded]).toEqual(expected);
      if (m.direction === 'toClient' && m.message.data !== '') expect([...m.bytes.subarray(40, 43)]).toEqual(BOM);
    }
  });

  it('opens a runspace pool as PROTOCOL.md §2.5 and §10 describe (test_psrp_open_runspace.yml)', () => {
    const [capability, init, ...rest] = inFile('test_psrp_open_runspace.yml');
    expect(capability?.message.messageType).toBe(MessageType.SessionCapability);
    expect([capability?.objectId, capability?.bytes.length]).toEqual([1n, 199]);
    expect(primitiveText(property(decoded.get(capability!), 'protocolversion'))).toBe('Version 2.3');
    expect(init?.message.messageType).toBe(MessageType.InitRunspacePool);
    expect(init?.objectId).toBe(2n);
    expect(property(decoded.get(init!), 'MinRunspaces')).toEqual(primitive('Int32', 1));
    const threadOptions = property(decoded.get(init!), 'PSThreadOptions') as PSObject;
    expect(threadOptions.isInstanceOf('System.Management.Automation.Runspaces.PSThreadOptions')).toBe(true);
    expect([threadOptions.toStringText, threadOptions.value]).toEqual(['Default', primitive('Int32', 0)]);

    const [serverCapability, privateData, state] = rest;
    expect(serverCapability?.message).toMatchObject({
      messageType: MessageType.SessionCapability,
      runspacePoolId: NIL_GUID,
    });
    expect([...(serverCapability?.bytes.subarray(40, 43) ?? [])]).toEqual(BOM);
    expect(privateData?.message.messageType).toBe(MessageType.ApplicationPrivateData);
    expect(privateData?.message.runspacePoolId).toBe(init?.message.runspacePoolId);
    const dictionary = property(decoded.get(privateData!), 'ApplicationPrivateData') as PSObject;
    expect(dictionary.isInstanceOf('System.Management.Automation.PSPrimitiveDictionary')).toBe(true);
    expect(primitiveText(entry(entry(dictionary, 'PSVersionTable'), 'PSRemotingProtocolVersion'))).toBe('Version 2.3');
    expect(state?.message.messageType).toBe(MessageType.RunspacePoolState);
    expect([privateData?.objectId, state?.objectId]).toEqual([2n, 3n]);
    expect(property(decoded.get(state!), 'RunspaceState')).toEqual(primitive('Int32', 2));
  });

  it('carries host calls and SecureString replies (test_psrp_pshost_ui_mocked_methods.yml)', () => {
    const file = inFile('test_psrp_pshost_ui_mocked_methods.yml');
    const call = file.find((m) => m.message.messageType === MessageType.PipelineHostCall);
    expect(call?.message.pipelineId).not.toBe(NIL_GUID);
    expect(property(decoded.get(call!), 'ci')).toEqual(primitive('Int64', 1n));
    const method = property(decoded.get(call!), 'mi') as PSObject;
    expect([method.toStringText, method.value]).toEqual(['ReadLine', primitive('Int32', 11)]);
    const secure = file.find(
      (m) =>
        m.message.messageType === MessageType.PipelineHostResponse &&
        primitiveText(property(decoded.get(m), 'mr'))?.startsWith('SecureString ') === true,
    );
    expect(secure).toBeDefined();
  });

  it('reads the real ERROR_RECORD, with a Ref back to an earlier object', () => {
    const withRef = [...decoded].filter(([m]) => m.message.data.includes('<Ref '));
    expect(withRef.length).toBeGreaterThan(0);
    const [, record] = withRef.find(([m]) => m.message.messageType === MessageType.ErrorRecord) ?? [];
    expect(record).toBeInstanceOf(PSObject);
    expect((record as PSObject).isInstanceOf('System.Management.Automation.ErrorRecord')).toBe(true);
  });

  it('on mutated real CLIXML only returns values or throws ClixmlError', () => {
    const sources = [...decoded.keys()].map((m) => m.message.data);
    const mutated = fc
      .tuple(
        fc.constantFrom(...sources),
        fc.array(
          fc.tuple(fc.nat(), fc.nat(12), fc.constantFrom('', '<', '"', '&', '/>', '</MS>', 'RefId="99"', '_x')),
          {
            minLength: 1,
            maxLength: 3,
          },
        ),
      )
      .map(([xml, edits]) =>
        edits.reduce((text, [at, remove, insert]) => {
          const position = at % text.length;
          return text.slice(0, position) + insert + text.slice(position + remove);
        }, xml),
      );
    fc.assert(
      fc.property(mutated, (xml) => {
        try {
          deserializeClixml(xml);
        } catch (error) {
          expect(error).toBeInstanceOf(ClixmlError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('on mutated real payloads only yields messages or throws FragmentError/MessageError', () => {
    const payloads = [...captures].flatMap(([file, exchanges]) => psrpPayloads(file, exchanges).map((p) => p.bytes));
    const mutated = fc
      .tuple(fc.constantFrom(...payloads), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 3 }))
      .map(([bytes, edits]) => {
        const copy = Uint8Array.from(bytes);
        for (const [at, value] of edits) copy[at % copy.length] = value;
        return copy;
      });
    fc.assert(
      fc.property(mutated, (bytes) => {
        try {
          for (const message of new Defragmenter({ maxFragmentBlobBytes: 512_000 }).push(bytes)) {
            decodeMessage(message.data);
          }
        } catch (error) {
          expect([FragmentError, MessageError].some((type) => error instanceof type)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
