import { createPrivateKey } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClientCertificateReference } from '../../../core/contract/host-profile';
import { issue, newKey, type TestCertificate, type TestKey } from '../../../e2e/support/pki';

/** The passphrase `newClientCertificate`'s encrypted key is encrypted with. */
export const CLIENT_KEY_PASSPHRASE = 'correct horse';

export interface TestClientCertificate {
  /** Self-signed, for client authentication, CN=alice. */
  readonly certificate: TestCertificate;
  readonly key: TestKey;
  /** The key as encrypted PKCS#8 PEM, for CLIENT_KEY_PASSPHRASE. */
  readonly encryptedKey: string;
}

export function newClientCertificate(): TestClientCertificate {
  const key = newKey();
  const certificate = issue({ commonName: 'alice', key, extendedKeyUsage: ['clientAuth'] });
  const encryptedKey = createPrivateKey(key.pem)
    .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: CLIENT_KEY_PASSPHRASE })
    .toString();
  return { certificate, key, encryptedKey };
}

/** Writes `text` (PEM blocks) to the file `name` in `directory`; returns a host profile's reference to it. */
export async function writeClientCertificateFile(
  directory: string,
  name: string,
  text: string,
): Promise<ClientCertificateReference> {
  const filePath = path.join(directory, name);
  await writeFile(filePath, text);
  return { source: 'file', path: filePath };
}
