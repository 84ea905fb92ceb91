import { describe, expect, it } from 'vitest';
import type { SessionSummary } from '../../../core/contract/session-service';
import { hostStatuses } from './use-sessions';

const host = '00000000-0000-4000-8000-000000000001';
const other = '00000000-0000-4000-8000-000000000002';
const session = (n: number, hostId: string, state: SessionSummary['state']): SessionSummary => ({
  sessionId: `00000000-0000-4000-8000-1000000000${String(n).padStart(2, '0')}`,
  hostId,
  state,
});

describe('hostStatuses', () => {
  it('shows a host connected when any of its sessions is, whatever the order', () => {
    const sessions = [session(1, host, 'failed'), session(2, host, 'connected'), session(3, host, 'connecting')];
    expect(hostStatuses(sessions).get(host)).toBe('connected');
    expect(hostStatuses([...sessions].reverse()).get(host)).toBe('connected');
  });

  it('counts every waiting state as connecting and a closed session as not connected', () => {
    for (const state of ['connecting', 'awaiting-trust', 'awaiting-credentials', 'reconnecting'] as const) {
      expect(hostStatuses([session(1, host, state)]).get(host)).toBe('connecting');
    }
    expect(hostStatuses([session(1, host, 'disconnected')]).get(host)).toBeUndefined();
    expect(hostStatuses([session(1, host, 'failed'), session(2, other, 'connected')]).get(host)).toBe('failed');
  });
});
