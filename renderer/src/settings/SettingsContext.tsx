import type { ReactNode } from 'react';
import { createContext, useContext, useEffect, useMemo, useState } from 'react';
import type { AppClient } from '../../../core/contract/app-contract';
import type { Settings } from '../../../core/contract/settings-service';
import { DEFAULT_SETTINGS } from '../../../core/contract/settings-service';
import { applySettings } from './apply-settings';

interface SettingsState {
  readonly settings: Settings;
  /** Shows the change at once and saves it in main; on refusal main's settings come back and it rejects. */
  readonly update: (change: Partial<Settings>) => Promise<void>;
}

const SettingsContext = createContext<SettingsState>({
  settings: DEFAULT_SETTINGS,
  update: () => Promise.resolve(),
});

/** The current settings (the defaults until main has answered), for the terminal and the panel. */
export function useSettings(): Settings {
  return useContext(SettingsContext).settings;
}

export function useUpdateSettings(): SettingsState['update'] {
  return useContext(SettingsContext).update;
}

/** Keeps the settings current through onDidChangeSettings and applies the appearance ones live. */
export function SettingsProvider({
  settings: service,
  children,
}: {
  readonly settings: AppClient['settings'];
  readonly children: ReactNode;
}) {
  const [settings, setSettings] = useState<Settings>(DEFAULT_SETTINGS);
  useEffect(() => {
    const subscription = service.onDidChangeSettings(setSettings);
    service.get().then(setSettings, () => undefined);
    return () => subscription.dispose();
  }, [service]);
  useEffect(() => applySettings(document.documentElement, settings), [settings]);
  const state = useMemo<SettingsState>(
    () => ({
      settings,
      update: async (change) => {
        setSettings((current) => ({ ...current, ...change }));
        try {
          setSettings(await service.update(change));
        } catch (error) {
          service.get().then(setSettings, () => undefined);
          throw error;
        }
      },
    }),
    [service, settings],
  );
  return <SettingsContext value={state}>{children}</SettingsContext>;
}
