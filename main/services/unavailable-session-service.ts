import type { SessionService } from '../../core/contract/app-contract';
import { ContractError } from '../../core/contract/contract-error';
import type { SessionSummary } from '../../core/contract/session-service';
import type { Disposable } from '../../core/contract/transport';

const idle: Disposable = { dispose: () => undefined };

/**
 * The seam where the session drivers (main/session) plug in: until they do, no session can be opened,
 * and the UI says so instead of failing obscurely.
 */
export class UnavailableSessionService implements SessionService {
  async connect(): Promise<SessionSummary> {
    throw new ContractError('not-implemented', 'Connecting to hosts is not available in this build yet.');
  }

  async list(): Promise<SessionSummary[]> {
    return [];
  }

  async disconnect(): Promise<void> {
    throw noSession();
  }

  async sendInput(): Promise<void> {
    throw noSession();
  }

  async acknowledgeOutput(): Promise<void> {
    throw noSession();
  }

  async resize(): Promise<void> {
    throw noSession();
  }

  readonly onDidChangeSessionState = (): Disposable => idle;
  readonly onDidOutput = (): Disposable => idle;
}

function noSession(): ContractError {
  return new ContractError('not-found', 'There is no such session.');
}
