import { describe, expect, it } from 'vitest';
import { appDataDirectory } from './app-paths';

describe('appDataDirectory', () => {
  it('follows each platform convention', () => {
    expect(appDataDirectory({}, 'linux', '/home/ann')).toBe('/home/ann/.config/winrm-desk');
    expect(appDataDirectory({ XDG_CONFIG_HOME: '/xdg' }, 'linux', '/home/ann')).toBe('/xdg/winrm-desk');
    expect(appDataDirectory({}, 'darwin', '/Users/ann')).toBe('/Users/ann/Library/Application Support/WinRM Desk');
    expect(appDataDirectory({ APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, 'win32', 'C:\\Users\\ann')).toBe(
      'C:\\Users\\ann\\AppData\\Roaming\\WinRM Desk',
    );
  });

  it('lets WINRM_DESK_DATA_DIR override every platform', () => {
    expect(appDataDirectory({ WINRM_DESK_DATA_DIR: '/tmp/desk' }, 'darwin', '/Users/ann')).toBe('/tmp/desk');
  });
});
