import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { summarizeCertificate } from '../../main/transport/certificates';
import type { TrustRequest } from '../../main/transport';
import type { RendererAppFixture } from '../support/renderer-app';
import { startRendererAppFixture } from '../support/renderer-app';

/** A real chain (root CA → server certificate) made here, so the trust service's own checks run on it. */
function certificateChain(hostName: string): { root: X509Certificate; leaf: X509Certificate } {
  const keyPair = () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      privateKey: forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()),
      publicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
    };
  };
  const make = (
    serial: string,
    subject: string,
    keys: ReturnType<typeof keyPair>,
    issuer: { name: string; key: forge.pki.rsa.PrivateKey },
    extensions: object[],
  ) => {
    const certificate = forge.pki.createCertificate();
    certificate.serialNumber = serial;
    certificate.publicKey = keys.publicKey;
    certificate.validity.notBefore = new Date(Date.now() - 86_400_000);
    certificate.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
    certificate.setSubject([{ name: 'commonName', value: subject }]);
    certificate.setIssuer([{ name: 'commonName', value: issuer.name }]);
    certificate.setExtensions(extensions);
    certificate.sign(issuer.key, forge.md.sha256.create());
    return new X509Certificate(forge.pki.certificateToPem(certificate));
  };
  const rootKeys = keyPair();
  const rootIssuer = { name: 'Corp Test Root CA', key: rootKeys.privateKey };
  const root = make('01', rootIssuer.name, rootKeys, rootIssuer, [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  const leaf = make('02', hostName, keyPair(), rootIssuer, [
    { name: 'basicConstraints', cA: false },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: hostName },
        { type: 7, ip: '127.0.0.1' },
      ],
    },
  ]);
  return { root, leaf };
}

const grouped = (sha256: string) => (sha256.toUpperCase().match(/../g) ?? []).join(' ');
const sha256Of = (certificate: X509Certificate) => certificate.fingerprint256.replaceAll(':', '').toLowerCase();

// The trust, credential and settings dialogs in Chromium, answered through the real main services.
describe('the trust, credential and settings dialogs', () => {
  let fixture: RendererAppFixture;
  const chain = certificateChain('web01.corp.example');
  beforeAll(async () => {
    fixture = await startRendererAppFixture('dialogs');
  }, 120_000);
  afterAll(async () => fixture?.close());
  afterEach(async () => fixture.closeApp());

  const focusedText = (page: Page) => page.evaluate(() => document.activeElement?.textContent ?? '');

  it('shows a certificate that chains to an unknown CA and trusts that CA for the host’s group', async () => {
    const { bridge, page, problems } = await fixture.open();
    const { hosts, trust } = bridge.app.services;
    const group = await hosts.addGroup({ name: 'Web' });
    const host = await hosts.add({ draft: { name: 'web01', address: 'web01.corp.example', groupId: group.id } });
    const presented: TrustRequest = {
      hostName: 'web01.corp.example',
      problems: ['unknown-issuer'],
      chain: [summarizeCertificate(chain.leaf), summarizeCertificate(chain.root)],
      pinnedFingerprints: [],
    };
    const decision = trust.requestDecision(host.id, presented);

    const dialog = page.getByRole('dialog', { name: 'Do you trust web01?' });
    await dialog.waitFor();
    expect(await dialog.getByTestId('certificate-fingerprint').textContent()).toBe(grouped(sha256Of(chain.leaf)));
    const text = await dialog.textContent();
    expect(text).toContain('issued by a certificate authority this computer does not trust');
    expect(text).toContain('DNS:web01.corp.example');
    expect(text).toContain('IP Address:127.0.0.1');
    expect(await dialog.getByRole('list', { name: 'Issuer chain' }).textContent()).toContain('CN=Corp Test Root CA');
    expect(await dialog.getByRole('radio', { name: 'CN=Corp Test Root CA' }).isChecked()).toBe(true);
    await dialog.getByRole('radio', { name: 'Every host in Web' }).check();
    await page.screenshot({ path: 'test-results/dialogs-trust-unknown-ca.png' });
    await dialog.getByRole('button', { name: 'Trust the CA' }).click();

    await expect(decision).resolves.toMatchObject({ kind: 'trust-ca' });
    await dialog.waitFor({ state: 'detached' });
    const { authorities, pins } = await trust.list();
    expect(pins).toEqual([]);
    expect(authorities).toMatchObject([{ scope: { kind: 'group', groupId: group.id }, sha256: sha256Of(chain.root) }]);
    expect(problems).toEqual([]);
  });

  it('warns loudly when a pinned certificate changed, shows both fingerprints and defaults to Cancel', async () => {
    const { bridge, page, problems } = await fixture.open();
    const { hosts, trust } = bridge.app.services;
    const host = await hosts.add({ draft: { name: 'web01', address: 'web01.corp.example' } });
    const oldFingerprint = 'c0ffee'.repeat(10) + 'abcd';
    const decision = trust.requestDecision(host.id, {
      hostName: 'web01.corp.example',
      problems: ['pinned-certificate-changed'],
      chain: [summarizeCertificate(chain.leaf), summarizeCertificate(chain.root)],
      pinnedFingerprints: [oldFingerprint],
    });

    const warning = page.getByRole('alertdialog', { name: 'Warning: the certificate of web01 has changed' });
    await warning.waitFor();
    expect(await warning.getByTestId('pinned-fingerprint').textContent()).toBe(grouped(oldFingerprint));
    expect(await warning.getByTestId('presented-fingerprint').textContent()).toBe(grouped(sha256Of(chain.leaf)));
    expect(await warning.evaluate((element) => element.classList.contains('modal-danger'))).toBe(true);
    expect(await focusedText(page)).toBe('Cancel');
    await page.screenshot({ path: 'test-results/dialogs-trust-pin-changed.png' });

    // Enter on the default answer cancels; nothing is stored.
    await page.keyboard.press('Enter');
    await expect(decision).resolves.toEqual({ kind: 'reject' });
    await warning.waitFor({ state: 'detached' });
    expect(await trust.list()).toEqual({ pins: [], authorities: [] });

    // A request already pending when the page opens is shown too; Escape cancels it.
    await page.reload();
    const second = trust.requestDecision(host.id, {
      hostName: 'web01.corp.example',
      problems: ['self-signed'],
      chain: [summarizeCertificate(chain.root)],
      pinnedFingerprints: [],
    });
    await page.getByRole('dialog', { name: 'Do you trust web01?' }).waitFor();
    await page.keyboard.press('Escape');
    await expect(second).resolves.toEqual({ kind: 'reject' });
    expect(problems).toEqual([]);
  });

  it('stores a password from the credential dialog without it ever appearing in the page, and forgets it', async () => {
    const { bridge, page, problems } = await fixture.open();
    const { hosts, credentials } = bridge.app.services;
    const host = await hosts.add({ draft: { name: 'web01', address: 'web01.corp.example', user: 'CORP\\alice' } });
    const secret = 'Tr0ub4dor&3-never-in-the-page';
    const row = page.getByRole('treeitem', { name: 'web01' });
    await row.focus();
    await page.keyboard.press('Shift+F10');
    await page.getByRole('menuitem', { name: 'Set password…' }).click();

    const dialog = page.getByRole('dialog', { name: 'Sign in to web01' });
    expect(await dialog.getByLabel('User', { exact: true }).inputValue()).toBe('CORP\\alice');
    expect(await dialog.getByLabel('Password', { exact: true }).evaluate((e) => e === document.activeElement)).toBe(
      true,
    );
    await page.keyboard.type(secret);
    await dialog.getByLabel('Remember in the keychain').check();
    await page.screenshot({ path: 'test-results/dialogs-credentials.png' });
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await row.evaluate((element) => element === document.activeElement)).toBe(true);

    await expect(credentials.hasSecret({ hostId: host.id })).resolves.toMatchObject({
      user: 'CORP\\alice',
      remembered: true,
      heldForSession: true,
    });
    const pageState = await page.evaluate(() => ({
      html: document.documentElement.outerHTML,
      inputs: Array.from(document.querySelectorAll('input'), (input) => input.value),
      storage: JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
    }));
    expect(await page.content()).not.toContain(secret);
    expect(JSON.stringify(pageState)).not.toContain(secret);

    // Reopened, the dialog says a password is saved, and shows nothing of it.
    await row.focus();
    await page.keyboard.press('Shift+F10');
    await page.getByRole('menuitem', { name: 'Set password…' }).click();
    await dialog.getByText('A password for this user is saved in the keychain').waitFor();
    expect(await dialog.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    await row.focus();
    await page.keyboard.press('Shift+F10');
    await page.getByRole('menuitem', { name: 'Forget saved password' }).click();
    await page.getByRole('status').getByText('Forgot the saved password for web01.').waitFor();
    await expect(credentials.hasSecret({ hostId: host.id })).resolves.toMatchObject({
      remembered: false,
      heldForSession: false,
    });
    expect(problems).toEqual([]);
  });

  it('applies settings live and keeps them in main', async () => {
    const { bridge, page, problems } = await fixture.open();
    await page.getByRole('button', { name: 'Settings' }).click();
    const panel = page.getByRole('dialog', { name: 'Settings' });
    await panel.getByRole('radio', { name: 'Light' }).check();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset['theme'])).toBe('light');
    await panel.getByLabel('Font size').fill('18');
    await expect
      .poll(() => page.evaluate(() => document.documentElement.style.getPropertyValue('--terminal-font-size')))
      .toBe('18px');
    await panel.getByLabel('Scrollback (lines)').fill('-5');
    await panel.getByText('The scrollback is a whole number of lines from 0 to 1000000.').waitFor();
    await panel.getByLabel('Copy selected text automatically').check();
    await page.screenshot({ path: 'test-results/dialogs-settings-light.png' });
    await expect
      .poll(() => bridge.app.services.settings.get())
      .toMatchObject({ theme: 'light', fontSize: 18, copyOnSelect: true, scrollback: 10_000 });
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    expect(await page.getByRole('button', { name: 'Settings' }).evaluate((e) => e === document.activeElement)).toBe(
      true,
    );
    expect(problems).toEqual([]);
  });
});
