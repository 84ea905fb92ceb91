/**
 * Test-only access to the recorded Windows exchanges in ../shared/captures/windows (beside the repository) (pypsrp, MIT):
 * the YAML files are converted to JSON once by Debian's python3-yaml, and the PSRP payloads
 * (creationXml, connectXml, connectResponseXml, rsp:Arguments, rsp:Stream) are cut out of the SOAP
 * envelopes of PowerShell resource URIs.
 *
 * This module does no IO itself (core's lint rules apply to it): the test passes in the function
 * that runs python, e.g. through `node:child_process`.
 */

import { fileURLToPath } from 'node:url';
import { CAPTURES_DIRECTORY } from '../../wsman/test-support/captures';
import { Defragmenter } from '../defragmenter';
import { decodeMessage, type PsrpMessage } from '../message';

/** The same folder the WS-Man capture tests read, as a file path. */
export const CAPTURE_DIRECTORY = fileURLToPath(CAPTURES_DIRECTORY);

export interface CaptureExchange {
  readonly request: string;
  readonly response: string | null;
}

export type PayloadDirection = 'toServer' | 'toClient';

export interface CapturedPayload {
  readonly file: string;
  /** Index of the exchange in the file. */
  readonly exchange: number;
  readonly direction: PayloadDirection;
  readonly element: string;
  /** ShellId of the exchange (the runspace pool in upper case; zeros where pypsrp blanked it). */
  readonly shellId: string;
  readonly bytes: Uint8Array;
}

const YAML_TO_JSON = `
import glob, json, os, sys, yaml
result = {}
for path in sorted(glob.glob(os.path.join(sys.argv[1], '*.yml'))):
    with open(path, encoding='utf-8') as handle:
        result[os.path.basename(path)] = yaml.safe_load(handle)['messages']
json.dump(result, sys.stdout)
`;

/** Runs a python script with arguments and returns its standard output. */
export type RunPython = (script: string, args: readonly string[]) => string;

/** Every capture file's exchanges, by file name. */
export function loadCaptures(
  runPython: RunPython,
  directory = CAPTURE_DIRECTORY,
): ReadonlyMap<string, readonly CaptureExchange[]> {
  const json = runPython(YAML_TO_JSON, [directory]);
  return new Map(Object.entries(JSON.parse(json) as Record<string, CaptureExchange[]>));
}

const POWERSHELL_RESOURCE = /ResourceURI[^>]*>http:\/\/schemas\.microsoft\.com\/powershell\//;
const PAYLOAD = /<(creationXml|connectXml|connectResponseXml|rsp:Arguments|rsp:Stream)\b[^>]*>([^<]*)<\/\1>/g;
const SHELL_ID = /ShellId="([^"]+)"|Name="ShellId">([^<]+)</;

/** The PSRP payloads of one file, in the order they crossed the wire. */
export function psrpPayloads(file: string, exchanges: readonly CaptureExchange[]): CapturedPayload[] {
  const payloads: CapturedPayload[] = [];
  exchanges.forEach((exchange, index) => {
    if (!POWERSHELL_RESOURCE.test(exchange.request)) return;
    const shellMatch = SHELL_ID.exec(exchange.request);
    const shellId = shellMatch?.[1] ?? shellMatch?.[2] ?? '';
    const sides: [PayloadDirection, string | null][] = [
      ['toServer', exchange.request],
      ['toClient', exchange.response],
    ];
    for (const [direction, envelope] of sides) {
      for (const match of (envelope ?? '').matchAll(PAYLOAD)) {
        const [, element = '', base64 = ''] = match;
        if (base64.length === 0) continue;
        payloads.push({
          file,
          exchange: index,
          direction,
          element,
          shellId,
          bytes: new Uint8Array(Buffer.from(base64, 'base64')),
        });
      }
    }
  });
  return payloads;
}

export interface CapturedMessage {
  readonly file: string;
  readonly exchange: number;
  readonly direction: PayloadDirection;
  readonly objectId: bigint;
  /** The reassembled message bytes, as the sender produced them (BOM included). */
  readonly bytes: Uint8Array;
  readonly message: PsrpMessage;
}

/**
 * Reassembles and decodes every PSRP message of one file: one Defragmenter per shell and direction
 * (object ids are counted per runspace pool and sender), each payload ending on a fragment boundary.
 */
export function capturedMessages(file: string, exchanges: readonly CaptureExchange[]): CapturedMessage[] {
  const defragmenters = new Map<string, Defragmenter>();
  const messages: CapturedMessage[] = [];
  for (const payload of psrpPayloads(file, exchanges)) {
    const key = `${payload.shellId} ${payload.direction}`;
    let defragmenter = defragmenters.get(key);
    if (defragmenter === undefined) {
      defragmenter = new Defragmenter();
      defragmenters.set(key, defragmenter);
    }
    for (const reassembled of defragmenter.push(payload.bytes)) {
      messages.push({
        file,
        exchange: payload.exchange,
        direction: payload.direction,
        objectId: reassembled.objectId,
        bytes: reassembled.data,
        message: decodeMessage(reassembled.data),
      });
    }
    defragmenter.assertFragmentBoundary();
  }
  return messages;
}
