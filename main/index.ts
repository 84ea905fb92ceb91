import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { AppServices } from '../core/contract/app-contract';
import { appContract } from '../core/contract/app-contract';
import type { ContractLogger } from '../core/contract/server';
import type { BridgeOptions, RunningBridge } from './bridge/bridge-server';
import { startBridge } from './bridge/bridge-server';
import { appDataDirectory } from './platform/app-paths';
import { CredentialServiceImpl } from './services/credential-service';
import { HistoryServiceImpl } from './services/history-service';
import { HostServiceImpl } from './services/host-service';
import { consoleLogger } from './services/log';
import { SettingsServiceImpl } from './services/settings-service';
import { SETTINGS_FILE_NAME, SettingsStore } from './services/settings-store';
import { StorageServiceImpl } from './services/storage-service';
import { StoreSlot } from './services/store-slot';
import { TrustServiceImpl } from './services/trust-service';
import { SessionServiceImpl } from './services/session-service';
import type { FlowControlOptions } from './session/flow-control';
import type { CredentialStore } from './stores/credential-store';
import { KeyringCredentialStore } from './stores/credential-store';
import { HISTORY_FILE_NAME, HistoryStore } from './stores/history-store';
import { HOST_PROFILES_FILE_NAME, HostProfileStore } from './stores/host-profile-store';
import { TRUST_FILE_NAME, TrustStore } from './stores/trust-store';

/**
 * The composition root: opens the stores, builds the services on them and hands them to a shell (the
 * web bridge here, the Electron shell in main/electron/main.ts). Construction and wiring only.
 */

export interface AppOptions {
  /** Defaults to the platform's app data directory (or WINRM_DESK_DATA_DIR). */
  readonly dataDirectory?: string;
  /** Defaults to the OS keychain. */
  readonly credentialStore?: CredentialStore;
  readonly logger?: ContractLogger;
  readonly now?: () => Date;
  /** The terminals' flow control watermarks; null turns it off (benchmarks). Default: TERMINAL_FLOW_CONTROL. */
  readonly terminalFlowControl?: FlowControlOptions | null;
}

/** The services, with the members main's other parts use beside the contract (sessions ask for trust and secrets). */
export interface MainServices extends AppServices {
  readonly hosts: HostServiceImpl;
  readonly credentials: CredentialServiceImpl;
  readonly trust: TrustServiceImpl;
  readonly sessions: SessionServiceImpl;
}

export interface ComposedApp {
  readonly services: MainServices;
  readonly logger: ContractLogger;
  readonly dataDirectory: string;
  /** Settles once every store change made so far is on disk. */
  flushed(): Promise<void>;
  /** The app is quitting: closes every session (their shells on the servers too) and flushes the stores. */
  close(): Promise<void>;
}

export async function composeApp(options: AppOptions = {}): Promise<ComposedApp> {
  const directory = options.dataDirectory ?? appDataDirectory();
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? consoleLogger();
  const hostSlot = new StoreSlot(
    'hosts',
    path.join(directory, HOST_PROFILES_FILE_NAME),
    await HostProfileStore.open({ directory, now }),
  );
  const trustSlot = new StoreSlot(
    'trust',
    path.join(directory, TRUST_FILE_NAME),
    await TrustStore.open({ directory, now }),
  );
  const settingsSlot = new StoreSlot(
    'settings',
    path.join(directory, SETTINGS_FILE_NAME),
    await SettingsStore.open(directory, { now }),
  );
  const historySlot = new StoreSlot(
    'history',
    path.join(directory, HISTORY_FILE_NAME),
    await HistoryStore.open(directory, { now }),
  );
  const keychain = options.credentialStore ?? new KeyringCredentialStore();
  const credentials = new CredentialServiceImpl(hostSlot, keychain);
  const trust = new TrustServiceImpl(trustSlot, hostSlot, randomUUID);
  const history = new HistoryServiceImpl(historySlot, hostSlot);
  const hosts = new HostServiceImpl(hostSlot, [credentials, trust, history], now);
  const services: MainServices = {
    hosts,
    credentials,
    trust,
    settings: new SettingsServiceImpl(settingsSlot),
    sessions: new SessionServiceImpl({
      hosts,
      credentials,
      trust,
      hostTrust: (host) => trustSlot.store.trustFor(host.id, host.groupId),
      newId: randomUUID,
      terminalFlowControl: options.terminalFlowControl,
      keychain,
    }),
    history,
    storage: new StorageServiceImpl({
      hosts: hostSlot,
      trust: trustSlot,
      settings: settingsSlot,
      history: historySlot,
    }),
  };
  const flushed = async () => {
    await Promise.all([
      hostSlot.storeIfReady?.flushed(),
      trustSlot.storeIfReady?.flushed(),
      settingsSlot.storeIfReady?.flushed(),
      historySlot.storeIfReady?.flushed(),
    ]);
  };
  return {
    services,
    logger,
    dataDirectory: directory,
    flushed,
    close: async () => {
      await services.sessions.closeAll();
      await flushed();
    },
  };
}

export interface WebBridgeApp extends RunningBridge {
  readonly app: ComposedApp;
}

/** The app in a browser: the services behind the web bridge (`npm start` without Electron, app tests). */
export async function startWebBridgeApp(
  options: AppOptions & Pick<BridgeOptions, 'rendererDirectory' | 'port' | 'token'>,
): Promise<WebBridgeApp> {
  const app = await composeApp(options);
  const bridge = await startBridge({
    rendererDirectory: options.rendererDirectory,
    contract: appContract,
    services: app.services,
    logger: app.logger,
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.token === undefined ? {} : { token: options.token }),
  });
  return {
    ...bridge,
    app,
    close: async () => {
      await bridge.close();
      await app.close();
    },
  };
}
