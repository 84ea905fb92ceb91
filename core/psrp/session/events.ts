import type { ProgressRecordValue, PSValue } from '../clixml';
import type { HostCall } from './host';
import type { UserEventInfo } from './messages/pool';
import type { ErrorRecordInfo, InformationalRecordInfo, InformationRecordInfo } from './messages/records';

/** Runspace pool states, named as .NET's RunspacePoolState. */
export type RunspacePoolState =
  | 'BeforeOpen'
  | 'Opening'
  | 'Opened'
  | 'Closing'
  | 'Closed'
  | 'Broken'
  | 'Disconnecting'
  | 'Disconnected'
  | 'Connecting';

/** Pipeline states, named as .NET's PSInvocationState. */
export type PipelineState = 'NotStarted' | 'Running' | 'Stopping' | 'Stopped' | 'Completed' | 'Failed' | 'Disconnected';

/** The requests answered by RUNSPACE_AVAILABILITY. */
export type RunspaceRequest = 'setMinRunspaces' | 'setMaxRunspaces' | 'getAvailableRunspaces' | 'resetRunspaceState';

/** What the runspace pool reports, in the order the server's messages arrived. */
export type RunspacePoolEvent =
  | {
      readonly type: 'stateChanged';
      readonly state: RunspacePoolState;
      readonly previous: RunspacePoolState;
      /** Why the pool broke (the server's ExceptionAsErrorRecord). */
      readonly error?: ErrorRecordInfo;
    }
  | { readonly type: 'applicationPrivateData'; readonly data: PSValue }
  | {
      readonly type: 'runspaceAvailability';
      readonly callId: bigint;
      readonly request: RunspaceRequest;
      /** Whether a set/reset succeeded, or the number of available runspaces. */
      readonly response: boolean | bigint;
    }
  | { readonly type: 'keyExchanged' }
  | { readonly type: 'userEvent'; readonly event: UserEventInfo }
  | { readonly type: 'hostCall'; readonly call: HostCall }
  | { readonly type: 'output'; readonly pipelineId: string; readonly value: PSValue }
  | { readonly type: 'errorRecord'; readonly pipelineId: string; readonly record: ErrorRecordInfo }
  | {
      readonly type: 'informationalRecord';
      /** Undefined for a warning the pool itself reports. */
      readonly pipelineId: string | undefined;
      readonly stream: 'debug' | 'verbose' | 'warning';
      readonly record: InformationalRecordInfo;
    }
  | { readonly type: 'information'; readonly pipelineId: string; readonly record: InformationRecordInfo }
  | { readonly type: 'progress'; readonly pipelineId: string; readonly record: ProgressRecordValue }
  | {
      readonly type: 'pipelineStateChanged';
      readonly pipelineId: string;
      readonly state: PipelineState;
      readonly previous: PipelineState;
      /** Why the pipeline failed (the server's ExceptionAsErrorRecord, or the pool's). */
      readonly error?: ErrorRecordInfo;
    };

/** The two WS-Man input streams: `pr` carries host responses, `stdin` everything else. */
export type InputStream = 'stdin' | 'pr';

/**
 * How the transport carries a payload: in the creationXml of the shell's Create, in the
 * connectXml of Connect, in the rsp:Arguments of the Command that starts a pipeline, or in a Send.
 */
export type PayloadCarrier = 'create' | 'connect' | 'command' | 'send';

/** What the driver must do next on the transport, in order. */
export type PoolOutgoing =
  | {
      readonly kind: 'data';
      /** Undefined for the runspace pool (no CommandId). */
      readonly pipelineId: string | undefined;
      readonly stream: InputStream;
      readonly carrier: PayloadCarrier;
      /** Whole PSRP fragments, never more than the current payload budget. */
      readonly bytes: Uint8Array;
    }
  /** Signal `powershell/signal/crtl_c` (stdio: `<Signal>`). */
  | { readonly kind: 'stopPipeline'; readonly pipelineId: string }
  /** Release a finished pipeline: Signal terminate (stdio: `<Close PSGuid=P>`). */
  | { readonly kind: 'closePipeline'; readonly pipelineId: string }
  /** `<rsp:Connect CommandId=P/>` then Receive, for a pipeline left running on a disconnected pool. */
  | { readonly kind: 'connectPipeline'; readonly pipelineId: string }
  /** Delete the shell (stdio: `<Close PSGuid=0>`), then call `transportClosed()`. */
  | { readonly kind: 'closePool' }
  /** WS-Man Disconnect, then call `transportDisconnected()`. */
  | { readonly kind: 'disconnectPool' }
  /** WS-Man Reconnect, then call `transportReconnected()`. */
  | { readonly kind: 'reconnectPool' };
