import { z } from 'zod';
import type { FieldProblem } from '../../core/contract/field-problems';
import { fieldProblems } from '../../core/contract/field-problems';
import { DocumentProblemError, migrationChain, upgradeDocument } from './document-migration';
import type { HostProfilesDocument } from './host-profile-document';
import { HOST_PROFILES_VERSION, hostProfileMigrations, hostProfilesDocumentSchema } from './host-profile-document';

/**
 * Export and import of host profiles as a JSON file a user can move between machines. An export is the
 * profiles document (same versions, same migrations) tagged with a format name; it never carries secrets,
 * because profiles have no secret fields and the schema rejects unknown ones, and it leaves out when each
 * host was last used, which belongs to this machine.
 */

export const HOST_PROFILES_EXPORT_FORMAT = 'winrm-desk.host-profiles';

const chain = migrationChain(HOST_PROFILES_VERSION, hostProfileMigrations);

/** The hosts named (all when `hostIds` is undefined) and the groups they are in. */
export function exportHostProfiles(
  document: HostProfilesDocument,
  hostIds: ReadonlySet<string> | undefined,
  exportedAt: Date,
): string {
  const hosts = document.hosts
    .filter((host) => hostIds === undefined || hostIds.has(host.id))
    .map(({ lastUsed: _machineLocal, ...host }) => host);
  const usedGroupIds = new Set(hosts.map((host) => host.groupId));
  const groups = document.groups.filter((group) => usedGroupIds.has(group.id));
  const exported = {
    format: HOST_PROFILES_EXPORT_FORMAT,
    version: HOST_PROFILES_VERSION,
    exportedAt: exportedAt.toISOString(),
    groups,
    hosts,
  };
  return `${JSON.stringify(exported, null, 2)}\n`;
}

/** The file is not an export this version can read; nothing was imported. */
export class ProfileImportError extends Error {
  override readonly name = 'ProfileImportError';

  constructor(readonly problems: readonly FieldProblem[]) {
    super(`The file cannot be imported: ${problems.map((problem) => problem.message).join('; ')}`);
  }
}

/** Reads an export of any released version as a current-version document, or throws ProfileImportError. */
export function readHostProfilesExport(text: string): HostProfilesDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ProfileImportError([{ field: '', message: 'The file is not JSON.' }]);
  }
  const tagged = z.looseObject({ format: z.literal(HOST_PROFILES_EXPORT_FORMAT) }).safeParse(parsed);
  if (!tagged.success) {
    throw new ProfileImportError([{ field: 'format', message: 'The file is not a WinRM Desk host profile export.' }]);
  }
  const { format: _format, exportedAt: _exportedAt, ...document } = tagged.data;
  try {
    return hostProfilesDocumentSchema.parse(upgradeDocument(document, HOST_PROFILES_VERSION, chain).document);
  } catch (error) {
    if (error instanceof DocumentProblemError)
      throw new ProfileImportError([{ field: 'version', message: error.detail }]);
    if (error instanceof z.ZodError) throw new ProfileImportError(fieldProblems(error));
    throw error;
  }
}
