import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Entry } from '@napi-rs/keyring';
import { describe, expect, it } from 'vitest';

// The credential store of DESIGN.md §2.3 rests on @napi-rs/keyring over the Secret Service. This
// proves the test environment really provides one (gnome-keyring under dbus, started by the test
// command) and that the library talks to it, not to a fallback: secret-tool, an independent client,
// must see what the library stored.
describe('OS keychain (gnome-keyring through the Secret Service)', () => {
  it('stores, reads back and deletes a secret that an independent client also sees', () => {
    const service = `winrm-desk-test-${randomUUID()}`;
    const entry = new Entry(service, 'LAB\\alice', { linux: { store: 'secret-service' } });
    entry.setPassword('pässwörd-🔑');
    try {
      expect(entry.getPassword()).toBe('pässwörd-🔑');
      const seenBySecretTool = execFileSync('secret-tool', ['search', 'service', service], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(seenBySecretTool).toContain('LAB\\alice');
    } finally {
      expect(entry.deletePassword()).toBe(true);
    }
    expect(entry.getPassword()).toBeNull();
  });
});
