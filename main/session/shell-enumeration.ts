import {
  Namespace,
  ResourceUri,
  buildEnumerate,
  buildPull,
  childElement,
  parseResponse,
  readShellInfo,
  shellSelectors,
  type EnumerateParameters,
  type ShellInfo,
  type WSManContext,
  type XmlElement,
} from '../../core/wsman';
import { connectSession, type SessionConnectionOptions } from './session-options';
import type { TransportLanes } from './transport-lanes';

/** A PowerShell runspace pool the server keeps for the user while no client is attached to it. */
export interface DisconnectedShell {
  /** The shell id, which is also the runspace pool id. */
  readonly shellId: string;
  /** The session configuration (Microsoft.PowerShell, a JEA endpoint…) read from the resource URI. */
  readonly configurationName: string;
  /** Everything the server reported of the shell (owner, client IP, idle time-out, run time…). */
  readonly info: ShellInfo;
  /** Its commands (pipelines) as the server lists them; running ones can be connected to. */
  readonly commands: readonly ShellCommand[];
}

export interface ShellCommand {
  /** The WS-Man CommandId, which is the pipeline id. */
  readonly commandId: string;
  /** The last segment of the CommandState URI: Running, Pending or Done. */
  readonly state: string | undefined;
}

const POWERSHELL_RESOURCE_PREFIX = 'http://schemas.microsoft.com/powershell/';

/**
 * The user's disconnected PowerShell shells with their commands (PROTOCOL.md §1.8): an Enumerate of the
 * shell resource (the server lists only the caller's shells, connected or not), then one of the commands of
 * each disconnected PowerShell shell. Each enumeration is continued with Pull until the server ends it.
 * The server's refusal is thrown as its WSManFault.
 */
export async function listDisconnectedShells(options: SessionConnectionOptions): Promise<DisconnectedShell[]> {
  const { lanes, context, newId } = connectSession(options, 1);
  try {
    const read = (parameters: EnumerateParameters) => enumerateAll(lanes, context, newId, parameters);
    const shells = (await read({ resourceUri: ResourceUri.shell })).map(readShellInfo);
    const disconnected: DisconnectedShell[] = [];
    for (const info of shells) {
      const resourceUri = info.resourceUri ?? '';
      if (info.state !== 'Disconnected' || !resourceUri.startsWith(POWERSHELL_RESOURCE_PREFIX)) continue;
      const commands = await read({
        resourceUri: ResourceUri.shellCommand,
        filterSelectors: shellSelectors(info.shellId),
      });
      disconnected.push({
        shellId: info.shellId,
        configurationName: resourceUri.slice(POWERSHELL_RESOURCE_PREFIX.length),
        info,
        commands: commands.flatMap(readCommand),
      });
    }
    return disconnected;
  } finally {
    lanes.close();
  }
}

async function enumerateAll(
  lanes: TransportLanes,
  context: WSManContext,
  newId: () => string,
  parameters: EnumerateParameters,
): Promise<XmlElement[]> {
  const enumerate = buildEnumerate(context, newId(), parameters);
  let page = parseResponse(enumerate, await lanes.post(enumerate));
  const items = [...page.items];
  while (!page.endOfSequence && page.enumerationContext !== undefined) {
    const pull = buildPull(context, newId(), {
      resourceUri: parameters.resourceUri,
      enumerationContext: page.enumerationContext,
    });
    page = parseResponse(pull, await lanes.post(pull));
    items.push(...page.items);
  }
  return items;
}

function readCommand(item: XmlElement): ShellCommand[] {
  if (item.namespace !== Namespace.shell || item.localName !== 'Command') return [];
  const commandId = childElement(item, Namespace.shell, 'CommandId')?.text.trim();
  if (commandId === undefined || commandId === '') return [];
  const state = childElement(item, Namespace.shell, 'CommandState')?.text.trim();
  return [{ commandId, state: state?.slice(state.lastIndexOf('/') + 1) }];
}
