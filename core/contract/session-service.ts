import { z } from 'zod';
import { errorDtoSchema } from './contract-error';
import type { ServiceDefinition } from './definition';
import { method } from './definition';

/**
 * Sessions and their terminals (DESIGN.md §1 steps 4–6). Terminal output uses ack-based flow control
 * (DESIGN.md §2.1): main numbers the output chunks of a session (`sequence` 1, 2, …) and the renderer
 * acknowledges, cumulatively, the last chunk xterm has finished writing. Main stops issuing WinRM Receive
 * requests while the characters sent but not acknowledged exceed the high watermark, and resumes below
 * the low one, so a command printing gigabytes never floods either process.
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

const bySession = z.strictObject({ sessionId: z.uuid() });

export const terminalOutputSchema = z.strictObject({
  sessionId: z.uuid(),
  sequence: z.int().min(1),
  /** Text for xterm, with its escape sequences. */
  data: z.string(),
});
export type TerminalOutput = z.output<typeof terminalOutputSchema>;

export const sessionServiceDefinition = {
  methods: {
    connect: method(z.strictObject({ hostId: z.uuid() }), sessionSummarySchema),
    disconnect: method(bySession, z.void()),
    list: method(z.void(), z.array(sessionSummarySchema)),
    /** Keystrokes and pasted text for the session's terminal. */
    sendInput: method(bySession.extend({ data: z.string().min(1).max(MAX_TERMINAL_INPUT_LENGTH) }), z.void()),
    /** Everything up to and including chunk `sequence` is written on screen. */
    acknowledgeOutput: method(bySession.extend({ sequence: z.int().min(1) }), z.void()),
    resize: method(bySession.extend({ columns: z.int().min(1).max(1_000), rows: z.int().min(1).max(1_000) }), z.void()),
  },
  events: {
    onDidChangeSessionState: sessionSummarySchema,
    onDidOutput: terminalOutputSchema,
  },
} as const satisfies ServiceDefinition;
