import { z } from 'zod';
import type { ServiceDefinition } from './definition';
import { method } from './definition';

/**
 * Passwords (DESIGN.md §1 step 3, §7). A secret travels renderer → main only: no response or event of
 * this service (or any other) has a field that could carry one back.
 */

export const MAX_SECRET_LENGTH = 4_096;

/** Whose secret: a host and a user; `user` absent means the user saved in the host's profile. */
export const credentialKeySchema = z.strictObject({
  hostId: z.uuid(),
  user: z.string().max(256).optional(),
});

export const secretStateSchema = z.strictObject({
  hostId: z.uuid(),
  user: z.string(),
  /** In the OS keychain, so it survives a restart. */
  remembered: z.boolean(),
  /** Entered during this run and held in main's memory for its sessions (with or without "remember"). */
  heldForSession: z.boolean(),
});
export type SecretState = z.output<typeof secretStateSchema>;

export const credentialServiceDefinition = {
  methods: {
    hasSecret: method(credentialKeySchema, secretStateSchema),
    /**
     * Stores a secret for the next connections: `remember` puts it in the keychain as well; without it,
     * a secret remembered before for the same key is removed from the keychain.
     */
    setSecret: method(
      credentialKeySchema.extend({ secret: z.string().min(1).max(MAX_SECRET_LENGTH), remember: z.boolean() }),
      secretStateSchema,
    ),
    /** "Forget saved password": from the keychain and from memory. */
    forgetSecret: method(credentialKeySchema, secretStateSchema),
  },
  events: {
    onDidChangeSecret: secretStateSchema,
  },
} as const satisfies ServiceDefinition;
