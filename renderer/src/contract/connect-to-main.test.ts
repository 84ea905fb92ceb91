import { describe, expect, it } from 'vitest';
import { contractEndpoint } from './connect-to-main';

describe('contract endpoint of the page', () => {
  it('is the bridge WebSocket with the token from the fragment', () => {
    expect(contractEndpoint({ origin: 'http://127.0.0.1:4100', host: '127.0.0.1:4100', hash: '#token=a-b_c' })).toBe(
      'ws://127.0.0.1:4100/contract?token=a-b_c',
    );
  });

  it('is the Electron port on the app origin, and nothing without a token', () => {
    expect(contractEndpoint({ origin: 'app://winrm-desk', host: 'winrm-desk', hash: '' })).toBe('electron');
    expect(contractEndpoint({ origin: 'http://127.0.0.1:4100', host: '127.0.0.1:4100', hash: '' })).toBe('no-token');
    expect(contractEndpoint({ origin: 'http://127.0.0.1:4100', host: '127.0.0.1:4100', hash: '#token=' })).toBe(
      'no-token',
    );
  });
});
