import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TrustRequest, TrustSettlement } from '../../core/contract/trust-service';
import { trustRequestSchema } from '../../core/contract/trust-service';
import type { TrustRequest as PresentedTrustRequest } from '../transport';
import { StaticTrustStore, StoreTrustPolicy } from '../transport';
import type { TestCertificate } from '../../e2e/support/pki';
import { createTestPki } from '../../e2e/support/pki';
import { openTestApp, temporaryDirectory } from './test-support/temporary-app';

const HOST_NAME = 'web01.corp.example';
let pki: ReturnType<typeof createTestPki>;
let unrelated: ReturnType<typeof createTestPki>;
let directory: string;
let removeDirectory: () => Promise<void>;

beforeAll(() => {
  pki = createTestPki(HOST_NAME);
  unrelated = createTestPki('elsewhere.example');
});
beforeEach(async () => {
  ({ directory, removeDirectory } = await temporaryDirectory());
});
afterEach(() => removeDirectory());

/** What the transport's policy asks about when `presented` (leaf first) comes from the server. */
function presentedRequest(presented: readonly TestCertificate[], pins: readonly string[] = []): PresentedTrustRequest {
  const policy = new StoreTrustPolicy(new StaticTrustStore({ pins: { [HOST_NAME]: pins } }), { systemRoots: false });
  const decision = policy.evaluate({
    hostName: HOST_NAME,
    certificates: presented.map((c) => c.x509),
    now: new Date(),
  });
  if (decision.kind !== 'ask') throw new Error(`expected the policy to ask, it said ${decision.kind}`);
  return decision.request;
}

async function setUp(groupName?: string) {
  const app = await openTestApp(directory);
  const group = groupName === undefined ? undefined : await app.services.hosts.addGroup({ name: groupName });
  const host = await app.services.hosts.add({
    draft: { name: 'web01', address: HOST_NAME, ...(group === undefined ? {} : { groupId: group.id }) },
  });
  const requests: TrustRequest[] = [];
  const settlements: TrustSettlement[] = [];
  app.services.trust.onDidRequestTrust((request) => requests.push(request));
  app.services.trust.onDidSettleTrustRequest((settlement) => settlements.push(settlement));
  return { ...app, host, group, requests, settlements };
}

describe('TrustService', () => {
  it('asks with the chain details, pins the leaf on "pin", and stores it for the next connection', async () => {
    const { services, host, requests, settlements } = await setUp();
    const answer = services.trust.requestDecision(host.id, presentedRequest([pki.leaf, pki.issuing]));
    expect(requests).toHaveLength(1);
    const [request] = requests as [TrustRequest];
    expect(trustRequestSchema.parse(request)).toEqual(request);
    expect(request).toMatchObject({ hostId: host.id, hostName: HOST_NAME, problems: ['unknown-issuer'] });
    expect(request.chain.map((certificate) => certificate.subject)).toEqual([
      `O=WinRM Desk tests, CN=${HOST_NAME}`,
      'O=WinRM Desk tests, CN=Test Issuing CA',
    ]);
    expect(request.chain[0]?.subjectAltNames).toContain(`DNS:${HOST_NAME}`);
    expect(await services.trust.pendingRequests()).toEqual([request]);

    await expect(services.trust.answer({ requestId: request.requestId, decision: { kind: 'pin' } })).resolves.toEqual({
      requestId: request.requestId,
      outcome: 'pinned',
    });
    await expect(answer).resolves.toEqual({ kind: 'pin' });
    expect(settlements).toEqual([{ requestId: request.requestId, outcome: 'pinned' }]);
    expect(await services.trust.pendingRequests()).toEqual([]);
    const reopened = await openTestApp(directory);
    expect((await reopened.services.trust.list()).pins).toMatchObject([
      { hostId: host.id, sha256: pki.leaf.x509.fingerprint256.replaceAll(':', '').toLowerCase() },
    ]);
  });

  it('replaces a pin that changed only when the user pins the new certificate', async () => {
    const { services, host, requests } = await setUp();
    const oldPin = pki.selfSigned.x509.fingerprint256.replaceAll(':', '').toLowerCase();
    const first = services.trust.requestDecision(host.id, presentedRequest([pki.selfSigned]));
    await services.trust.answer({ requestId: requests[0]!.requestId, decision: { kind: 'pin' } });
    await first;
    const changed = services.trust.requestDecision(host.id, presentedRequest([pki.leaf, pki.issuing], [oldPin]));
    const request = requests[1]!;
    expect(request.problems).toContain('pinned-certificate-changed');
    expect(request.pinnedFingerprints).toEqual([oldPin]);
    await services.trust.answer({ requestId: request.requestId, decision: { kind: 'pin' } });
    await changed;
    expect((await services.trust.list()).pins.map((pin) => pin.sha256)).toEqual([
      pki.leaf.x509.fingerprint256.replaceAll(':', '').toLowerCase(),
    ]);
  });

  it('trusts the issuing CA from the chain for the host, or for its group', async () => {
    const { services, host, group, requests } = await setUp('Paris');
    const forHost = services.trust.requestDecision(host.id, presentedRequest([pki.leaf, pki.issuing]));
    const issuingSha = requests[0]!.chain[1]!.sha256;
    await services.trust.answer({
      requestId: requests[0]!.requestId,
      decision: { kind: 'trust-ca', certificate: { from: 'chain', sha256: issuingSha }, scope: 'host' },
    });
    const answer = await forHost;
    expect(answer.kind === 'trust-ca' && answer.certificate.fingerprint256).toBe(pki.issuing.x509.fingerprint256);
    const forGroup = services.trust.requestDecision(host.id, presentedRequest([pki.leaf, pki.issuing]));
    expect(requests[1]?.groupId).toBe(group?.id);
    await services.trust.answer({
      requestId: requests[1]!.requestId,
      decision: { kind: 'trust-ca', certificate: { from: 'pem', pem: pki.root.pem }, scope: 'group' },
    });
    await forGroup;
    expect((await services.trust.list()).authorities.map(({ scope, subject }) => [scope.kind, subject])).toEqual([
      ['host', 'O=WinRM Desk tests, CN=Test Issuing CA'],
      ['group', 'O=WinRM Desk tests, CN=Test Root CA'],
    ]);
  });

  it('refuses a CA that did not issue the chain, a leaf as CA, or a group the host is not in; the request stays open', async () => {
    const { services, host, requests } = await setUp();
    void services.trust.requestDecision(host.id, presentedRequest([pki.leaf, pki.issuing]));
    const requestId = requests[0]!.requestId;
    const attempt = (decision: Parameters<typeof services.trust.answer>[0]['decision']) =>
      services.trust.answer({ requestId, decision }).catch((error: unknown) => error);
    expect(
      await attempt({ kind: 'trust-ca', certificate: { from: 'pem', pem: unrelated.root.pem }, scope: 'host' }),
    ).toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/did not issue the certificate/) });
    expect(
      await attempt({
        kind: 'trust-ca',
        certificate: { from: 'chain', sha256: requests[0]!.chain[0]!.sha256 },
        scope: 'host',
      }),
    ).toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/not a certification authority/) });
    expect(
      await attempt({ kind: 'trust-ca', certificate: { from: 'chain', sha256: 'ab'.repeat(32) }, scope: 'host' }),
    ).toMatchObject({ code: 'invalid-input', message: 'That certificate is not part of the chain.' });
    expect(
      await attempt({ kind: 'trust-ca', certificate: { from: 'pem', pem: pki.root.pem }, scope: 'group' }),
    ).toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/in no group/) });
    expect((await services.trust.pendingRequests()).map((request) => request.requestId)).toEqual([requestId]);
    expect((await services.trust.list()).authorities).toEqual([]);
  });

  it('answers a cancel with a rejection, and abandons a request whose connection gave up', async () => {
    const { services, host, requests, settlements } = await setUp();
    const cancelled = services.trust.requestDecision(host.id, presentedRequest([pki.selfSigned]));
    await services.trust.answer({ requestId: requests[0]!.requestId, decision: { kind: 'cancel' } });
    await expect(cancelled).resolves.toEqual({ kind: 'reject' });
    const giveUp = new AbortController();
    const abandoned = services.trust.requestDecision(host.id, presentedRequest([pki.selfSigned]), giveUp.signal);
    giveUp.abort();
    await expect(abandoned).resolves.toEqual({ kind: 'reject' });
    expect(settlements.map((settlement) => settlement.outcome)).toEqual(['cancelled', 'abandoned']);
    await expect(
      services.trust.answer({ requestId: requests[1]!.requestId, decision: { kind: 'pin' } }),
    ).rejects.toMatchObject({ code: 'not-found' });
    expect((await services.trust.list()).pins).toEqual([]);
  });

  it('abandons the open requests of a host that is deleted', async () => {
    const { services, host, settlements } = await setUp();
    const pending = services.trust.requestDecision(host.id, presentedRequest([pki.selfSigned]));
    await services.hosts.delete({ id: host.id });
    await expect(pending).resolves.toEqual({ kind: 'reject' });
    expect(settlements.map((settlement) => settlement.outcome)).toEqual(['abandoned']);
  });

  it('imports a CA for a host and removes pins and CAs, answering not-found for what is not there', async () => {
    const { services, host } = await setUp();
    const authority = await services.trust.importAuthority({
      scope: { kind: 'host', hostId: host.id },
      pem: pki.root.pem,
    });
    await services.trust.removeAuthority({ scope: authority.scope, sha256: authority.sha256 });
    await expect(
      services.trust.removeAuthority({ scope: authority.scope, sha256: authority.sha256 }),
    ).rejects.toMatchObject({ code: 'not-found' });
    await expect(services.trust.unpin({ hostId: host.id, sha256: authority.sha256 })).rejects.toMatchObject({
      code: 'not-found',
    });
    await expect(
      services.trust.importAuthority({ scope: { kind: 'host', hostId: host.id }, pem: 'not a pem' }),
    ).rejects.toMatchObject({ code: 'invalid-input' });
  });
});
