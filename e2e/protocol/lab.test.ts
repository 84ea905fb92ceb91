import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { describe, expect, inject, it } from 'vitest';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

// The lab as the TypeScript side sees it, through Node's own HTTP stack (no client code of ours):
// this is the contract later protocol tests build on.
describe('the lab seen from Node', () => {
  const lab = inject('lab');

  const post = (url: string, extra: { ca?: Buffer; servername?: string } = {}): Promise<RawResponse> =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = send(
        target,
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': '0' },
          ...extra,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      request.on('error', reject);
      request.end();
    });

  it('answers an unauthenticated request with 401 and offers Negotiate, as a Windows host does', async () => {
    const response = await post(lab.http_url);
    expect(response.status).toBe(401);
    const offered = ([] as string[]).concat(response.headers['www-authenticate'] ?? []).join(', ');
    expect(offered).toMatch(/\bNegotiate\b/);
    expect(offered).toMatch(/\bKerberos\b/);
  });

  it('presents an HTTPS certificate that chains to the lab CA for the lab host name', async () => {
    const response = await post(lab.https_url, { ca: readFileSync(lab.ca_bundle), servername: lab.host_name });
    expect(response.status).toBe(401);
  });

  it('refuses an HTTPS connection that trusts only the system roots', async () => {
    await expect(post(lab.https_url, { servername: lab.host_name })).rejects.toThrow(/certificate/i);
  });
});
