import { z } from 'zod';
import type { ServiceDefinition } from './definition';
import { method } from './definition';

/**
 * Each saved host's command history, kept by main across restarts as PSReadLine keeps its history file.
 * The renderer loads it for a new session's prompt and hands each command line it runs to `append`; main
 * decides what is saved (never a line that looks like it holds a secret).
 */

/** Entries kept per host, oldest dropped first: PSReadLine's default MaximumHistoryCount. */
export const MAX_HISTORY_ENTRIES = 4096;

/** A longer command line (a pasted script, say) stays in the session's memory but is not saved. */
export const MAX_HISTORY_LINE_LENGTH = 16_384;

export const historyLineSchema = z.string().max(MAX_HISTORY_LINE_LENGTH);

/**
 * `history` with `entry` appended, as both ends keep it: blank lines and a repeat of the newest entry are not
 * added, and only the newest `maxEntries` are kept.
 */
export function addToHistory(history: readonly string[], entry: string, maxEntries = MAX_HISTORY_ENTRIES): string[] {
  if (entry.trim() === '' || history.at(-1) === entry) return history.slice(-maxEntries);
  return [...history, entry].slice(-maxEntries);
}

export const historyServiceDefinition = {
  methods: {
    /** The host's saved history, oldest first. */
    list: method(z.strictObject({ hostId: z.uuid() }), z.array(historyLineSchema)),
    /** A command line the user ran on the host; saved unless blank, a repeat of the newest, or secret-looking. */
    append: method(z.strictObject({ hostId: z.uuid(), line: historyLineSchema }), z.void()),
  },
  events: {},
} as const satisfies ServiceDefinition;
