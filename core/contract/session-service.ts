import { z } from 'zod';
import { errorDtoSchema } from './contract-error';
import type { ServiceDefinition } from './definition';
import { method } from './definition';

/**
 * Sessions and their terminals (DESIGN.md §1 steps 4–6). Main runs the remote shell and sends what the
 * terminal shows as structured events (text by stream, prompts, Read-Host, progress); the renderer formats
 * them and sends back intents (run a line, answer a Read-Host, interrupt, complete).
 *
 * Terminal text uses ack-based flow control (DESIGN.md §2.1): main numbers the events of a session
 * (`sequence` 1, 2, …) and the renderer acknowledges, cumulatively, the last event xterm has finished
 * writing. Main stops issuing WinRM Receive requests while the characters sent but not acknowledged exceed
 * the high watermark, and resumes below the low one, so a command printing gigabytes never floods either
 * process.
 */

export const TERMINAL_FLOW_CONTROL = {
  /** Unacknowledged characters at which main stops receiving. */
  highWatermark: 1024 * 1024,
  /** Unacknowledged characters below which it resumes. */
  lowWatermark: 256 * 1024,
} as const;

export const MAX_TERMINAL_INPUT_LENGTH = 64 * 1024;

export const SESSION_STATES = [
  'connecting',
  'awaiting-trust',
  'awaiting-credentials',
  'connected',
  'reconnecting',
  'disconnected',
  'failed',
] as const;

export const sessionSummarySchema = z.strictObject({
  sessionId: z.uuid(),
  hostId: z.uuid(),
  state: z.enum(SESSION_STATES),
  /** Why the session failed or was lost, as a sentence with what to do, details on demand. */
  error: errorDtoSchema.optional(),
});
export type SessionSummary = z.output<typeof sessionSummarySchema>;

/** System.Management.Automation.ProgressRecord as Write-Progress sends it. */
export const progressRecordSchema = z.strictObject({
  activity: z.string(),
  activityId: z.int(),
  statusDescription: z.string(),
  currentOperation: z.string().nullable(),
  parentActivityId: z.int(),
  percentComplete: z.int(),
  secondsRemaining: z.int(),
  recordType: z.string(),
});

/** One completion of TabExpansion2's CommandCompletion. */
export const completionMatchSchema = z.strictObject({
  completionText: z.string(),
  listItemText: z.string(),
  resultType: z.enum([
    'Text',
    'History',
    'Command',
    'ProviderItem',
    'ProviderContainer',
    'Property',
    'Method',
    'ParameterName',
    'ParameterValue',
    'Variable',
    'Namespace',
    'Type',
    'Keyword',
    'DynamicKeyword',
  ]),
  toolTip: z.string(),
});

export const completionResultSchema = z.strictObject({
  /** UTF-16 offset of the text the matches replace. */
  replacementIndex: z.int().min(0),
  replacementLength: z.int().min(0),
  matches: z.array(completionMatchSchema),
});
export type SessionCompletionResult = z.output<typeof completionResultSchema>;

/** What a session's terminal shows. Text is as the server sent it; the renderer styles each stream. */
export const terminalEventSchema = z.discriminatedUnion('type', [
  /** Write-Host and Out-Default's formatted output, with the host's console colours (by name). */
  z.strictObject({
    type: z.literal('host-write'),
    text: z.string(),
    foreground: z.string().optional(),
    background: z.string().optional(),
    noNewline: z.boolean(),
  }),
  z.strictObject({ type: z.literal('stream'), stream: z.enum(['warning', 'verbose', 'debug']), message: z.string() }),
  z.strictObject({ type: z.literal('error'), message: z.string(), commandName: z.string().optional() }),
  z.strictObject({ type: z.literal('information'), message: z.string() }),
  /** The command finished: show this prompt and read a new command line. */
  z.strictObject({ type: z.literal('prompt'), prompt: z.string() }),
  /** Read-Host in the running command: read one line, masked when secret; answer with `answerReadLine`. */
  z.strictObject({ type: z.literal('read-line'), prompt: z.string(), secret: z.boolean() }),
  /** `source` tells progress bars of different commands apart. */
  z.strictObject({ type: z.literal('progress'), source: z.string(), record: progressRecordSchema }),
  /** Clear-Host. */
  z.strictObject({ type: z.literal('clear') }),
]);
export type TerminalEventDto = z.output<typeof terminalEventSchema>;

export const sessionTerminalEventSchema = z.strictObject({
  sessionId: z.uuid(),
  sequence: z.int().min(1),
  event: terminalEventSchema,
});
export type SessionTerminalEvent = z.output<typeof sessionTerminalEventSchema>;

const bySession = z.strictObject({ sessionId: z.uuid() });
const inputText = z.string().max(MAX_TERMINAL_INPUT_LENGTH);

export const sessionServiceDefinition = {
  methods: {
    /**
     * Opens a new session to the host; it may wait for a secret (`awaiting-credentials`). With `sessionId`,
     * resumes that waiting session of the host once its secret is set instead; a session no longer waiting
     * (another connect resumed it already) is answered as it is, never opened twice.
     */
    connect: method(z.strictObject({ hostId: z.uuid(), sessionId: z.uuid().optional() }), sessionSummarySchema),
    /** Closes the session and forgets it. */
    disconnect: method(bySession, z.void()),
    list: method(z.void(), z.array(sessionSummarySchema)),
    /** Runs a command line at the prompt. */
    submit: method(bySession.extend({ text: inputText }), z.void()),
    /** The answer to the pending Read-Host. */
    answerReadLine: method(bySession.extend({ text: inputText }), z.void()),
    /** Ctrl+C: stops the running command (or the Read-Host it waits in). */
    interrupt: method(bySession, z.void()),
    /** TabExpansion2 for `text` with the cursor at `cursor`; null when the host has no completion. */
    complete: method(
      bySession.extend({ text: inputText, cursor: z.int().min(0).max(MAX_TERMINAL_INPUT_LENGTH) }),
      completionResultSchema.nullable(),
    ),
    /** Everything up to and including event `sequence` is written on screen. */
    acknowledgeOutput: method(bySession.extend({ sequence: z.int().min(1) }), z.void()),
    /**
     * A terminal of this page starts showing the session's output: every event sent before counts as written,
     * so what a page that went away (a reload) never acknowledged cannot hold the session's flow control.
     */
    attachTerminal: method(bySession, z.void()),
    resize: method(bySession.extend({ columns: z.int().min(1).max(1_000), rows: z.int().min(1).max(1_000) }), z.void()),
  },
  events: {
    onDidChangeSessionState: sessionSummarySchema,
    onDidTerminalEvent: sessionTerminalEventSchema,
  },
} as const satisfies ServiceDefinition;
