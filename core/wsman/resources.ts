import { parseDuration } from './duration';
import { MalformedResponseError } from './errors';
import { Namespace } from './namespaces';
import { childElement, childElements, attributeValue, type XmlElement } from './xml-element';

/**
 * Typed views of the resources servers return: an rsp:Shell (CreateResponse, Get on a shell,
 * enumeration items) and the WinRM configuration (Get on `…/wsman/1/config`).
 */

export interface ShellInfo {
  readonly shellId: string;
  readonly name?: string;
  readonly resourceUri?: string;
  readonly owner?: string;
  readonly clientIp?: string;
  readonly processId?: number;
  readonly environment: readonly (readonly [name: string, value: string])[];
  readonly workingDirectory?: string;
  readonly idleTimeoutMs?: number;
  readonly maxIdleTimeoutMs?: number;
  readonly inputStreams: readonly string[];
  readonly outputStreams: readonly string[];
  readonly locale?: string;
  readonly dataLocale?: string;
  readonly compressionMode?: string;
  readonly profileLoaded?: boolean;
  readonly encoding?: string;
  readonly bufferMode?: string;
  /** 'Connected' or 'Disconnected' (a disconnected PSRP shell can be reconnected or connected to). */
  readonly state?: string;
  readonly shellRunTimeMs?: number;
  readonly shellInactivityMs?: number;
  /** As the server writes it, e.g. '59MB'. */
  readonly memoryUsed?: string;
  readonly childProcesses?: number;
}

export function readShellInfo(shell: XmlElement): ShellInfo {
  if (shell.namespace !== Namespace.shell || shell.localName !== 'Shell') {
    throw new MalformedResponseError(`expected rsp:Shell, found ${shell.localName}`);
  }
  const text = (localName: string) => childElement(shell, Namespace.shell, localName)?.text.trim();
  const shellId = text('ShellId');
  if (shellId === undefined || shellId === '') throw new MalformedResponseError('rsp:Shell has no ShellId');
  const duration = (localName: string) => optional(text(localName), parseDuration);
  const environment = childElement(shell, Namespace.shell, 'Environment');
  return {
    shellId,
    name: text('Name'),
    resourceUri: text('ResourceUri'),
    owner: text('Owner'),
    clientIp: text('ClientIP'),
    processId: optional(text('ProcessId'), (value) => parseCount(value, 'ProcessId')),
    environment: environment
      ? childElements(environment, Namespace.shell, 'Variable').map((variable) => [
          attributeValue(variable, 'Name') ?? '',
          variable.text,
        ])
      : [],
    workingDirectory: text('WorkingDirectory'),
    idleTimeoutMs: duration('IdleTimeOut'),
    maxIdleTimeoutMs: duration('MaxIdleTimeOut'),
    inputStreams: streamNames(text('InputStreams')),
    outputStreams: streamNames(text('OutputStreams')),
    locale: text('Locale'),
    dataLocale: text('DataLocale'),
    compressionMode: text('CompressionMode'),
    profileLoaded: optional(text('ProfileLoaded'), (value) => value === 'Yes'),
    encoding: text('Encoding'),
    bufferMode: text('BufferMode'),
    state: text('State'),
    shellRunTimeMs: duration('ShellRunTime'),
    shellInactivityMs: duration('ShellInactivity'),
    memoryUsed: text('MemoryUsed'),
    childProcesses: optional(text('ChildProcesses'), (value) => parseCount(value, 'ChildProcesses')),
  };
}

/** The settings of a WinRM configuration a client acts on (PROTOCOL.md §1.1). */
export interface WinRMConfig {
  readonly maxEnvelopeSizeKb: number;
  readonly maxTimeoutMs?: number;
  readonly maxBatchItems?: number;
  readonly service: {
    readonly allowUnencrypted?: boolean;
    readonly maxConcurrentOperationsPerUser?: number;
    /** None, Relaxed or Strict. */
    readonly cbtHardeningLevel?: string;
    readonly auth: {
      readonly basic?: boolean;
      readonly kerberos?: boolean;
      readonly negotiate?: boolean;
      readonly certificate?: boolean;
      readonly credSsp?: boolean;
    };
  };
  readonly winrs: {
    readonly allowRemoteShellAccess?: boolean;
    readonly idleTimeoutMs?: number;
    readonly maxShellsPerUser?: number;
    readonly maxProcessesPerShell?: number;
    readonly maxMemoryPerShellMb?: number;
  };
}

export function readWinRMConfig(config: XmlElement): WinRMConfig {
  if (config.namespace !== Namespace.config || config.localName !== 'Config') {
    throw new MalformedResponseError(`expected cfg:Config, found ${config.localName}`);
  }
  const at = (element: XmlElement | undefined, ...path: string[]): string | undefined => {
    let current = element;
    for (const localName of path) current = current && childElement(current, Namespace.config, localName);
    return current?.text.trim();
  };
  const count = (element: XmlElement | undefined, ...path: string[]) =>
    optional(at(element, ...path), (value) => parseCount(value, path.join('/')));
  const flag = (element: XmlElement | undefined, ...path: string[]) =>
    optional(at(element, ...path), (value) => parseFlag(value, path.join('/')));
  const maxEnvelopeSizeKb = count(config, 'MaxEnvelopeSizekb');
  if (maxEnvelopeSizeKb === undefined) throw new MalformedResponseError('cfg:Config has no MaxEnvelopeSizekb');
  const service = childElement(config, Namespace.config, 'Service');
  const winrs = childElement(config, Namespace.config, 'Winrs');
  return {
    maxEnvelopeSizeKb,
    maxTimeoutMs: count(config, 'MaxTimeoutms'),
    maxBatchItems: count(config, 'MaxBatchItems'),
    service: {
      allowUnencrypted: flag(service, 'AllowUnencrypted'),
      maxConcurrentOperationsPerUser: count(service, 'MaxConcurrentOperationsPerUser'),
      cbtHardeningLevel: at(service, 'Auth', 'CbtHardeningLevel'),
      auth: {
        basic: flag(service, 'Auth', 'Basic'),
        kerberos: flag(service, 'Auth', 'Kerberos'),
        negotiate: flag(service, 'Auth', 'Negotiate'),
        certificate: flag(service, 'Auth', 'Certificate'),
        credSsp: flag(service, 'Auth', 'CredSSP'),
      },
    },
    winrs: {
      allowRemoteShellAccess: flag(winrs, 'AllowRemoteShellAccess'),
      idleTimeoutMs: count(winrs, 'IdleTimeout'),
      maxShellsPerUser: count(winrs, 'MaxShellsPerUser'),
      maxProcessesPerShell: count(winrs, 'MaxProcessesPerShell'),
      maxMemoryPerShellMb: count(winrs, 'MaxMemoryPerShellMB'),
    },
  };
}

/** A space-separated stream name list such as 'stdout stderr'. */
export function streamNames(list: string | undefined): string[] {
  return list === undefined ? [] : list.split(/\s+/).filter((name) => name !== '');
}

export function parseCount(text: string, what: string): number {
  const value = Number(text);
  if (!/^\d{1,15}$/.test(text) || !Number.isSafeInteger(value)) {
    throw new MalformedResponseError(`${what} ${JSON.stringify(text)} is not a count`);
  }
  return value;
}

function parseFlag(text: string, what: string): boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new MalformedResponseError(`${what} ${JSON.stringify(text)} is not true or false`);
}

function optional<T>(text: string | undefined, parse: (text: string) => T): T | undefined {
  return text === undefined || text === '' ? undefined : parse(text);
}
