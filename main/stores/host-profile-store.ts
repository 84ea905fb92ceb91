import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { HostGroup, HostProfile, HostProfileDraftInput } from '../../core/contract/host-profile';
import { hostGroupSchema, hostProfileSchema } from '../../core/contract/host-profile';
import { UsageError } from '../../core/errors';
import { appDataDirectory } from '../platform/app-paths';
import type { HostProfilesDocument } from './host-profile-document';
import { hostProfilesDocumentSchema, hostProfilesFormat } from './host-profile-document';
import { exportHostProfiles, readHostProfilesExport } from './host-profile-exchange';
import type { StoreOpening, VersionedJsonFileOptions } from './versioned-json-file';
import { openDocumentStore, VersionedJsonFile } from './versioned-json-file';

export const HOST_PROFILES_FILE_NAME = 'hosts.json';

export interface HostProfileStoreOptions extends VersionedJsonFileOptions {
  /** Defaults to the app data directory (DESIGN.md §2.3). */
  readonly directory?: string;
  readonly newId?: () => string;
}

const COPY_SUFFIX = ' (copy)';
const MAX_NAME_LENGTH = 100;

/**
 * The saved hosts and their groups. Reads are synchronous from memory; each change is validated as a
 * whole document, applied in memory, and its promise settles once the file holding it has been written
 * (writes are serialized and coalesced by the file). Secrets are not here: see CredentialStore.
 */
export class HostProfileStore {
  #document: HostProfilesDocument;

  private constructor(
    private readonly file: VersionedJsonFile<HostProfilesDocument>,
    document: HostProfilesDocument,
    private readonly newId: () => string,
    private readonly now: () => Date,
  ) {
    this.#document = document;
  }

  static open(options: HostProfileStoreOptions = {}): Promise<StoreOpening<HostProfileStore>> {
    const filePath = path.join(options.directory ?? appDataDirectory(), HOST_PROFILES_FILE_NAME);
    const now = options.now ?? (() => new Date());
    const file = new VersionedJsonFile(filePath, hostProfilesFormat, { ...options, now });
    return openDocumentStore(
      file,
      (opened, document) => new HostProfileStore(opened, document, options.newId ?? randomUUID, now),
    );
  }

  get filePath(): string {
    return this.file.filePath;
  }

  get hosts(): readonly HostProfile[] {
    return this.#document.hosts;
  }

  get groups(): readonly HostGroup[] {
    return this.#document.groups;
  }

  host(id: string): HostProfile | undefined {
    return this.#document.hosts.find((host) => host.id === id);
  }

  /** Saves a new host; throws a ZodError with the form's problems when the draft is invalid. */
  async add(draft: HostProfileDraftInput): Promise<HostProfile> {
    const host = hostProfileSchema.parse({ ...draft, id: this.newId() });
    await this.#commit({ ...this.#document, hosts: [...this.#document.hosts, host] });
    return host;
  }

  /** Replaces a host's settings with `draft`, keeping its id and when it was last used. */
  async update(id: string, draft: HostProfileDraftInput): Promise<HostProfile> {
    const { lastUsed } = this.#existing(id);
    const host = hostProfileSchema.parse({ ...draft, id, ...(lastUsed === undefined ? {} : { lastUsed }) });
    await this.#commit({ ...this.#document, hosts: this.#document.hosts.map((old) => (old.id === id ? host : old)) });
    return host;
  }

  /** A copy under a new id, named "… (copy)", placed after the original, never used yet. */
  async duplicate(id: string): Promise<HostProfile> {
    const { lastUsed: _notCopied, ...original } = this.#existing(id);
    const name = `${original.name.slice(0, MAX_NAME_LENGTH - COPY_SUFFIX.length)}${COPY_SUFFIX}`;
    const copy = hostProfileSchema.parse({ ...original, id: this.newId(), name });
    const hosts = this.#document.hosts.flatMap((host) => (host.id === id ? [host, copy] : [host]));
    await this.#commit({ ...this.#document, hosts });
    return copy;
  }

  /** False when no such host existed. The caller also forgets its secrets and trust decisions. */
  async delete(id: string): Promise<boolean> {
    if (this.host(id) === undefined) return false;
    await this.#commit({ ...this.#document, hosts: this.#document.hosts.filter((host) => host.id !== id) });
    return true;
  }

  async markUsed(id: string, at: Date = this.now()): Promise<void> {
    const used = { ...this.#existing(id), lastUsed: at.toISOString() };
    await this.#commit({
      ...this.#document,
      hosts: this.#document.hosts.map((host) => (host.id === id ? used : host)),
    });
  }

  async addGroup(name: string): Promise<HostGroup> {
    const group = hostGroupSchema.parse({ id: this.newId(), name });
    await this.#commit({ ...this.#document, groups: [...this.#document.groups, group] });
    return group;
  }

  async renameGroup(id: string, name: string): Promise<HostGroup> {
    this.#existingGroup(id);
    const renamed = hostGroupSchema.parse({ id, name });
    await this.#commit({
      ...this.#document,
      groups: this.#document.groups.map((group) => (group.id === id ? renamed : group)),
    });
    return renamed;
  }

  /** Removes a group; its hosts stay, ungrouped. */
  async deleteGroup(id: string): Promise<void> {
    this.#existingGroup(id);
    const hosts = this.#document.hosts.map(({ groupId, ...host }) => (groupId === id ? host : { ...host, groupId }));
    await this.#commit({ ...this.#document, groups: this.#document.groups.filter((group) => group.id !== id), hosts });
  }

  /** JSON text of the given hosts (all by default) and their groups, without secrets or usage times. */
  exportProfiles(hostIds?: readonly string[]): string {
    hostIds?.forEach((id) => this.#existing(id));
    return exportHostProfiles(this.#document, hostIds && new Set(hostIds), this.now());
  }

  /**
   * Adds every host of an export under a new id (so importing twice never collides), putting each into
   * the existing group of the same name or a new one. All or nothing: throws ProfileImportError with
   * the problems when the file is not a valid export.
   */
  async importProfiles(text: string): Promise<HostProfile[]> {
    const imported = readHostProfilesExport(text);
    const groups = [...this.#document.groups];
    const groupIdMap = new Map<string, string>();
    for (const group of imported.groups) {
      const sameName = groups.find((existing) => existing.name.toLowerCase() === group.name.toLowerCase());
      const target = sameName ?? { id: this.newId(), name: group.name };
      if (sameName === undefined) groups.push(target);
      groupIdMap.set(group.id, target.id);
    }
    const hosts = imported.hosts.map(({ lastUsed: _machineLocal, groupId, ...host }) => {
      const mappedGroupId = groupId === undefined ? undefined : groupIdMap.get(groupId);
      return hostProfileSchema.parse({
        ...host,
        id: this.newId(),
        ...(mappedGroupId === undefined ? {} : { groupId: mappedGroupId }),
      });
    });
    await this.#commit({ ...this.#document, groups, hosts: [...this.#document.hosts, ...hosts] });
    return hosts;
  }

  /** Settles once every change made so far is on disk (or its write has failed and been reported). */
  flushed(): Promise<void> {
    return this.file.flushed();
  }

  /** Validates the whole new document before it replaces the old one in memory and goes to disk. */
  #commit(next: HostProfilesDocument): Promise<void> {
    this.#document = hostProfilesDocumentSchema.parse(next);
    return this.file.save(this.#document);
  }

  #existing(id: string): HostProfile {
    const host = this.host(id);
    if (host === undefined) throw new UsageError(`no saved host has id ${id}`);
    return host;
  }

  #existingGroup(id: string): HostGroup {
    const group = this.#document.groups.find((candidate) => candidate.id === id);
    if (group === undefined) throw new UsageError(`no host group has id ${id}`);
    return group;
  }
}
