import { describe, expect, it } from 'vitest';
import { WSManFaultCode } from '../../core/wsman';
import { basicMechanism } from '../transport';
import { PowerShellOperationError, PowerShellSession } from './powershell-session';
import { FakeWinRSHost } from './test-support/fake-winrs-host';

describe('PowerShellSession', () => {
  it('reports a refused shell as a PowerShellOperationError and leaves no connection open', async () => {
    const host = new FakeWinRSHost();
    host.refuseShell = true;
    const error = await PowerShellSession.open({
      transport: {
        endpoint: 'http://h:5985/wsman',
        mechanism: basicMechanism({ user: 'u', password: 'p' }),
        encryption: 'never',
      },
      openTransport: host.open,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PowerShellOperationError);
    expect(error).toMatchObject({ operation: 'Create', fault: { code: WSManFaultCode.QuotaMaxShells } });
    expect((error as Error).message).toBe('the server refused to open the PowerShell session: too many shells');
    expect(host.operations()).toEqual(['Create']);
    expect(host.transports.every((transport) => transport.closed && transport.inFlight === 0)).toBe(true);
  });
});
