import { z } from 'zod';
import { hostGroupSchema, hostProfileSchema } from '../../core/contract/host-profile';
import type { DocumentMigration } from './document-migration';
import type { DocumentFormat } from './versioned-json-file';

/**
 * The host profiles file, `{ "version": 2, "groups": […], "hosts": […] }`.
 *
 * Version history (each older version is read through its migration, never rewritten by hand):
 * - 1: hosts chose TLS with `useSsl: boolean`; there were no groups.
 * - 2: `transport: "https" | "http"` replaces `useSsl`; groups are listed and hosts refer to them by id.
 */

export const HOST_PROFILES_VERSION = 2;

export const hostProfilesDocumentSchema = z
  .strictObject({
    version: z.literal(HOST_PROFILES_VERSION),
    groups: z.array(hostGroupSchema).default([]),
    hosts: z.array(hostProfileSchema),
  })
  .superRefine((document, context) => {
    const groupIds = new Set<string>();
    document.groups.forEach((group, index) => {
      if (groupIds.has(group.id))
        context.addIssue({ code: 'custom', path: ['groups', index, 'id'], message: 'duplicate group id' });
      groupIds.add(group.id);
    });
    const hostIds = new Set<string>();
    document.hosts.forEach((host, index) => {
      if (hostIds.has(host.id))
        context.addIssue({ code: 'custom', path: ['hosts', index, 'id'], message: 'duplicate host id' });
      hostIds.add(host.id);
      if (host.groupId !== undefined && !groupIds.has(host.groupId)) {
        context.addIssue({ code: 'custom', path: ['hosts', index, 'groupId'], message: 'refers to no listed group' });
      }
    });
  });
export type HostProfilesDocument = z.output<typeof hostProfilesDocumentSchema>;

/** Version 1 as far as its migration needs it; everything else it carried is checked by the version 2 schema. */
const hostProfilesDocumentV1Schema = z.looseObject({
  version: z.literal(1),
  hosts: z.array(z.looseObject({ useSsl: z.boolean({ error: 'useSsl must be true or false' }) })),
});

export const hostProfileMigrations: readonly DocumentMigration[] = [
  {
    from: 1,
    migrate(document) {
      const v1 = hostProfilesDocumentV1Schema.parse(document);
      return {
        ...v1,
        version: 2,
        groups: [],
        hosts: v1.hosts.map(({ useSsl, ...host }) => ({ ...host, transport: useSsl ? 'https' : 'http' })),
      };
    },
  },
];

export const hostProfilesFormat: DocumentFormat<HostProfilesDocument> = {
  title: 'host profiles',
  currentVersion: HOST_PROFILES_VERSION,
  schema: hostProfilesDocumentSchema,
  migrations: hostProfileMigrations,
  empty: () => ({ version: HOST_PROFILES_VERSION, groups: [], hosts: [] }),
};
