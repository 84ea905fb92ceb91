import { z } from 'zod';
import type { ServiceDefinition } from './definition';
import { method } from './definition';
import { hostGroupSchema, hostProfileDraftSchema, hostProfileSchema } from './host-profile';

/** Saved hosts and groups (DESIGN.md §1 step 1); profiles never hold secrets (see host-profile.ts). */

export const hostListSchema = z.strictObject({
  hosts: z.array(hostProfileSchema),
  groups: z.array(hostGroupSchema),
});
export type HostList = z.output<typeof hostListSchema>;

/** Large enough for thousands of profiles; the WebSocket's message limit is above it. */
export const MAX_PROFILE_EXPORT_LENGTH = 4 * 1024 * 1024;
export const MAX_RECENT_HOSTS = 50;

const byId = z.strictObject({ id: z.uuid() });
const groupName = z.strictObject({ name: z.string().max(1_000) });

export const hostServiceDefinition = {
  methods: {
    list: method(z.void(), hostListSchema),
    add: method(z.strictObject({ draft: hostProfileDraftSchema }), hostProfileSchema),
    /** Replaces the settings of host `id`; its id and last use are kept. */
    update: method(z.strictObject({ id: z.uuid(), draft: hostProfileDraftSchema }), hostProfileSchema),
    duplicate: method(byId, hostProfileSchema),
    /** Also forgets the host's remembered secrets and its trust decisions. */
    delete: method(byId, z.void()),
    addGroup: method(groupName, hostGroupSchema),
    renameGroup: method(z.strictObject({ id: z.uuid(), name: z.string().max(1_000) }), hostGroupSchema),
    /** Its hosts stay, ungrouped; the CAs trusted for the group are forgotten. */
    deleteGroup: method(byId, z.void()),
    /** Hosts whose name, address, user, configuration or group contains every word of `query`. */
    search: method(z.strictObject({ query: z.string().max(200) }), z.array(hostProfileSchema)),
    /** Hosts that were connected to, the most recent first. */
    recentlyUsed: method(
      z.strictObject({ limit: z.int().min(1).max(MAX_RECENT_HOSTS).default(10) }),
      z.array(hostProfileSchema),
    ),
    /** Adds every host of an export under new ids; all or nothing (invalid-input with the problems). */
    importProfiles: method(
      z.strictObject({ text: z.string().max(MAX_PROFILE_EXPORT_LENGTH) }),
      z.strictObject({ imported: z.array(hostProfileSchema) }),
    ),
    /** The hosts given (all when absent) as an export file's text, without secrets or usage times. */
    exportProfiles: method(
      z.strictObject({ hostIds: z.array(z.uuid()).max(10_000).optional() }),
      z.strictObject({ fileName: z.string(), text: z.string() }),
    ),
  },
  events: {
    onDidChangeHosts: hostListSchema,
  },
} as const satisfies ServiceDefinition;
