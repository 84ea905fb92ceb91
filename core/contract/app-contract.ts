import type { ContractClient, ContractImplementation, ServiceClient, ServiceImplementation } from './definition';
import { defineContract } from './definition';
import { credentialServiceDefinition } from './credential-service';
import { historyServiceDefinition } from './history-service';
import { hostServiceDefinition } from './host-service';
import { sessionServiceDefinition } from './session-service';
import { settingsServiceDefinition } from './settings-service';
import { storageServiceDefinition } from './storage-service';
import { trustServiceDefinition } from './trust-service';

/**
 * The IPC contract of WinRM Desk: the one table both ends are derived from. File transfer and the remote
 * file system join it later as services of their own.
 */
export const appContract = defineContract({
  hosts: hostServiceDefinition,
  credentials: credentialServiceDefinition,
  trust: trustServiceDefinition,
  settings: settingsServiceDefinition,
  sessions: sessionServiceDefinition,
  history: historyServiceDefinition,
  storage: storageServiceDefinition,
});
export type AppContract = typeof appContract;

/** What main implements. */
export type HostService = ServiceImplementation<typeof hostServiceDefinition>;
export type CredentialService = ServiceImplementation<typeof credentialServiceDefinition>;
export type TrustService = ServiceImplementation<typeof trustServiceDefinition>;
export type SettingsService = ServiceImplementation<typeof settingsServiceDefinition>;
export type SessionService = ServiceImplementation<typeof sessionServiceDefinition>;
export type HistoryService = ServiceImplementation<typeof historyServiceDefinition>;
export type StorageService = ServiceImplementation<typeof storageServiceDefinition>;
export type AppServices = ContractImplementation<AppContract>;

/** What the renderer calls. */
export type HostServiceClient = ServiceClient<typeof hostServiceDefinition>;
export type AppClient = ContractClient<AppContract>;
