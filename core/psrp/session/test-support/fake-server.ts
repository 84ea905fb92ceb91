/** Test-only: builds the server side of PSRP messages for one runspace pool, as fragment bytes. */
import { constants, publicEncrypt, type KeyObject } from 'node:crypto';
import { primitive, PSObject, psEnum, serializeClixml, type PSValue } from '../../clixml';
import { Fragmenter } from '../../fragment';
import { NIL_GUID } from '../../guid';
import { Destination, encodeMessage, MessageType } from '../../message';
import type { RunspacePoolEvent } from '../events';
import { RunspacePool, type RunspacePoolOptions } from '../runspace-pool';

export const POOL_ID = '3e8c1f2a-5b6d-4e7f-8091-a2b3c4d5e6f7';
export const PIPELINE_ID = 'a1b2c3d4-e5f6-4708-9a0b-1c2d3e4f5a6b';

const body = (properties: [string, PSValue][]): string =>
  serializeClixml(new PSObject({ extendedProperties: properties }));

export class FakeServer {
  readonly #fragmenter = new Fragmenter();

  constructor(readonly runspacePoolId = POOL_ID) {}

  message(
    messageType: MessageType,
    data: string,
    pipelineId = NIL_GUID,
    runspacePoolId = this.runspacePoolId,
  ): Uint8Array {
    const bytes = encodeMessage({ destination: Destination.Client, messageType, runspacePoolId, pipelineId, data });
    const [payload] = this.#fragmenter.pack([bytes], 1 << 20);
    if (payload === undefined) throw new Error('no payload');
    return payload;
  }

  capability(protocolVersion = '2.3'): Uint8Array {
    return this.message(
      MessageType.SessionCapability,
      `<Obj RefId="0"><MS><Version N="protocolversion">${protocolVersion}</Version><Version N="PSVersion">2.0</Version><Version N="SerializationVersion">1.1.0.1</Version></MS></Obj>`,
      NIL_GUID,
      NIL_GUID,
    );
  }

  poolState(state: number, error?: PSValue): Uint8Array {
    const properties: [string, PSValue][] = [['RunspaceState', primitive('Int32', state)]];
    if (error !== undefined) properties.push(['ExceptionAsErrorRecord', error]);
    return this.message(MessageType.RunspacePoolState, body(properties));
  }

  pipelineState(pipelineId: string, state: number, error?: PSValue): Uint8Array {
    const properties: [string, PSValue][] = [['PipelineState', primitive('Int32', state)]];
    if (error !== undefined) properties.push(['ExceptionAsErrorRecord', error]);
    return this.message(MessageType.PipelineState, body(properties), pipelineId);
  }

  output(pipelineId: string, value: PSValue): Uint8Array {
    return this.message(MessageType.PipelineOutput, serializeClixml(value), pipelineId);
  }

  /** A host call; `pipelineId` undefined for RUNSPACEPOOL_HOST_CALL. */
  hostCall(
    pipelineId: string | undefined,
    callId: bigint,
    method: string,
    methodId: number,
    parameters: PSValue[],
  ): Uint8Array {
    const data = body([
      ['ci', primitive('Int64', callId)],
      ['mi', psEnum('System.Management.Automation.Remoting.RemoteHostMethodId', method, methodId)],
      [
        'mp',
        new PSObject({
          typeNames: ['System.Collections.ArrayList', 'System.Object'],
          value: { kind: 'List', items: parameters },
        }),
      ],
    ]);
    return pipelineId === undefined
      ? this.message(MessageType.RunspacePoolHostCall, data)
      : this.message(MessageType.PipelineHostCall, data, pipelineId);
  }

  /** ENCRYPTED_SESSION_KEY for `sessionKey`, encrypted to the client's RSA key as Windows does. */
  encryptedSessionKey(publicKey: KeyObject, sessionKey: Uint8Array): Uint8Array {
    const ciphertext = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, sessionKey);
    const blob = Buffer.concat([
      Buffer.from([0x01, 0x02, 0x00, 0x00, 0x10, 0x66, 0x00, 0x00, 0x00, 0xa4, 0x00, 0x00]),
      Buffer.from(ciphertext).reverse(),
    ]);
    return this.message(
      MessageType.EncryptedSessionKey,
      body([['EncryptedSessionKey', primitive('String', blob.toString('base64'))]]),
      NIL_GUID,
      NIL_GUID,
    );
  }
}

/** All events the pool has queued. */
export function drainEvents(pool: RunspacePool): RunspacePoolEvent[] {
  const events: RunspacePoolEvent[] = [];
  for (let event = pool.nextEvent(); event !== undefined; event = pool.nextEvent()) events.push(event);
  return events;
}

/** A pool the fake server has opened (protocol `protocolVersion`), with its events and queue drained. */
export function openedPool(
  options: Partial<RunspacePoolOptions> = {},
  protocolVersion = '2.3',
): { pool: RunspacePool; server: FakeServer } {
  const server = new FakeServer();
  const pool = new RunspacePool({ runspacePoolId: POOL_ID, ...options });
  pool.open();
  pool.dataToSend();
  pool.receive(server.capability(protocolVersion));
  pool.receive(server.poolState(2));
  drainEvents(pool);
  return { pool, server };
}
