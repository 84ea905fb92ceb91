import os from 'node:os';
import path from 'node:path';

/**
 * Where WinRM Desk keeps its data (host profiles, trust decisions, history; never secrets) on each OS,
 * following each platform's convention. `WINRM_DESK_DATA_DIR` overrides it (tests and portable use).
 */
export function appDataDirectory(
  env: Readonly<Record<string, string | undefined>> = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  const override = env['WINRM_DESK_DATA_DIR'];
  if (override) return path.resolve(override);
  switch (platform) {
    case 'win32':
      return path.win32.join(env['APPDATA'] ?? path.win32.join(home, 'AppData', 'Roaming'), 'WinRM Desk');
    case 'darwin':
      return path.posix.join(home, 'Library', 'Application Support', 'WinRM Desk');
    default:
      return path.posix.join(env['XDG_CONFIG_HOME'] || path.posix.join(home, '.config'), 'winrm-desk');
  }
}
