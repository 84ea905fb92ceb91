import { z } from 'zod';
import type { ServiceDefinition } from './definition';
import { method } from './definition';

/**
 * The state of main's store files (DESIGN.md §2.3), so the UI can say plainly when one could not be read:
 * its contents were copied to `backupPath`, and nothing is written to it until the user chooses to start
 * it empty.
 */

export const STORE_NAMES = ['hosts', 'trust', 'settings', 'history'] as const;
export type StoreName = (typeof STORE_NAMES)[number];

export const storeStatusSchema = z.discriminatedUnion('state', [
  z.strictObject({
    store: z.enum(STORE_NAMES),
    state: z.literal('ready'),
    filePath: z.string(),
    /** The file was written by an older version and upgraded; the old bytes are kept here. */
    upgradedFrom: z.strictObject({ version: z.int(), backupPath: z.string() }).optional(),
  }),
  z.strictObject({
    store: z.enum(STORE_NAMES),
    state: z.literal('unreadable'),
    filePath: z.string(),
    reason: z.enum(['not-json', 'invalid', 'newer-version']),
    /** A sentence for the user, naming the file and the backup. */
    message: z.string(),
    backupPath: z.string(),
  }),
]);
export type StoreStatus = z.output<typeof storeStatusSchema>;

export const storageServiceDefinition = {
  methods: {
    status: method(z.void(), z.array(storeStatusSchema)),
    /** Replaces an unreadable store with an empty one (its bytes stay in the backup). */
    startEmpty: method(z.strictObject({ store: z.enum(STORE_NAMES) }), z.array(storeStatusSchema)),
  },
  events: {
    onDidChangeStorageStatus: z.array(storeStatusSchema),
  },
} as const satisfies ServiceDefinition;
