import type { z } from 'zod';
import { ContractError } from './contract-error';
import type { ContractClient, ContractDefinition, MethodDefinition } from './definition';
import { fieldProblems } from './field-problems';
import type { Disposable, MessageTransport } from './transport';
import type { ClientMessage } from './wire';
import { serverMessageSchema } from './wire';

export interface ContractConnection<C extends ContractDefinition> {
  /** One object per service, one function per method and per event, derived from the contract table. */
  readonly services: ContractClient<C>;
  /** Ends the connection (the transport closed): pending and later calls reject with `disconnected`. */
  close(reason?: string): void;
}

export interface ContractClientOptions {
  /** Told about messages from main that break the contract (they are dropped); silent by default. */
  readonly reportProblem?: (problem: string) => void;
}

/**
 * The renderer's side of the contract: a proxy built from the table. A call is checked against its
 * request schema before it is sent (so a form gets its field problems at once), answers are checked
 * against the response schema, and each event is subscribed in main only while it has listeners here.
 */
export function connectContract<C extends ContractDefinition>(
  definition: C,
  transport: MessageTransport,
  options: ContractClientOptions = {},
): ContractConnection<C> {
  const connection = new ClientConnection(transport, options.reportProblem ?? (() => undefined));
  const services: Record<string, Readonly<Record<string, unknown>>> = {};
  for (const [serviceName, service] of Object.entries(definition)) {
    const members: Record<string, unknown> = {};
    for (const [name, methodDefinition] of Object.entries(service.methods)) {
      members[name] = (request: unknown) => connection.call(serviceName, name, methodDefinition, request);
    }
    for (const [name, schema] of Object.entries(service.events)) {
      members[name] = (listener: (event: unknown) => void) =>
        connection.listen(serviceName, name, schema as z.ZodType, listener);
    }
    services[serviceName] = Object.freeze(members);
  }
  return {
    services: Object.freeze(services) as ContractClient<C>,
    close: (reason) => connection.close(reason),
  };
}

interface PendingCall {
  readonly member: string;
  readonly response: z.ZodType;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: ContractError) => void;
}

interface EventListeners {
  readonly schema: z.ZodType;
  readonly listeners: Set<{ readonly listener: (event: unknown) => void }>;
}

class ClientConnection {
  readonly #pending = new Map<number, PendingCall>();
  readonly #events = new Map<string, EventListeners>();
  readonly #receiving: Disposable;
  #nextId = 1;
  #closed: ContractError | undefined;

  constructor(
    private readonly transport: MessageTransport,
    private readonly reportProblem: (problem: string) => void,
  ) {
    this.#receiving = transport.onMessage((message) => this.#receive(message));
  }

  call(service: string, method: string, definition: MethodDefinition, request: unknown): Promise<unknown> {
    const member = `${service}.${method}`;
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    const checked = definition.request.safeParse(request);
    if (!checked.success) {
      return Promise.reject(
        new ContractError('invalid-request', `The request for ${member} is not valid.`, {
          problems: fieldProblems(checked.error),
        }),
      );
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { member, response: definition.response, resolve, reject });
      this.#send({ kind: 'request', id, service, method, payload: request });
    });
  }

  listen(service: string, event: string, schema: z.ZodType, listener: (event: unknown) => void): Disposable {
    const key = `${service}.${event}`;
    let entry = this.#events.get(key);
    if (entry === undefined) {
      entry = { schema, listeners: new Set() };
      this.#events.set(key, entry);
      this.#send({ kind: 'subscribe', service, event });
    }
    const registration = { listener };
    entry.listeners.add(registration);
    return {
      dispose: () => {
        if (!entry.listeners.delete(registration) || entry.listeners.size > 0) return;
        this.#events.delete(key);
        this.#send({ kind: 'unsubscribe', service, event });
      },
    };
  }

  close(reason = 'The connection to WinRM Desk ended.'): void {
    if (this.#closed !== undefined) return;
    this.#closed = new ContractError('disconnected', reason);
    this.#receiving.dispose();
    for (const call of this.#pending.values()) call.reject(this.#closed);
    this.#pending.clear();
    this.#events.clear();
  }

  #send(message: ClientMessage): void {
    if (this.#closed === undefined) this.transport.post(message);
  }

  #receive(message: unknown): void {
    const parsed = serverMessageSchema.safeParse(message);
    if (!parsed.success) {
      this.reportProblem('contract: dropped a malformed message from main');
      return;
    }
    const received = parsed.data;
    if (received.kind === 'event') {
      const entry = this.#events.get(`${received.service}.${received.event}`);
      if (entry === undefined) return; // unsubscribed meanwhile
      const payload = entry.schema.safeParse(received.payload);
      if (!payload.success) {
        this.reportProblem(`contract: dropped an invalid ${received.service}.${received.event} event`);
        return;
      }
      for (const { listener } of [...entry.listeners]) {
        try {
          listener(payload.data);
        } catch (error) {
          this.reportProblem(`contract: a ${received.service}.${received.event} listener failed: ${String(error)}`);
        }
      }
      return;
    }
    const call = this.#pending.get(received.id);
    if (call === undefined) {
      this.reportProblem(`contract: dropped an answer to unknown request ${received.id}`);
      return;
    }
    this.#pending.delete(received.id);
    if (!received.ok) {
      call.reject(ContractError.fromDto(received.error));
      return;
    }
    const payload = call.response.safeParse(received.payload);
    if (payload.success) call.resolve(payload.data);
    else
      call.reject(new ContractError('invalid-response', `WinRM Desk answered ${call.member} in a form not expected.`));
  }
}
