import type { z } from 'zod';
import type { ErrorDto } from './contract-error';
import { ContractError } from './contract-error';
import type {
  CallContext,
  ContractDefinition,
  ContractImplementation,
  MethodDefinition,
  SenderIdentity,
  ServiceDefinition,
} from './definition';
import { fieldProblems } from './field-problems';
import type { Disposable, MessageTransport } from './transport';
import type { RequestMessage, ServerMessage, SubscriptionMessage } from './wire';
import { clientMessageSchema } from './wire';

/** Where main's dispatcher reports what it refused. Fields never hold payload values (they may be secrets). */
export interface ContractLogger {
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

export interface ContractServerOptions {
  readonly logger: ContractLogger;
  /** Decides once per connection, before any of its messages is read, whether the sender may use the services. */
  readonly isAllowedSender: (sender: SenderIdentity) => boolean;
}

type AnyHandler = (request: unknown, context: CallContext) => Promise<unknown>;
type AnySubscribe = (listener: (event: unknown) => void) => Disposable;

/**
 * Main's side of the contract: validates every message of a connection against the contract table and
 * calls the implementation only with payloads that passed. A malformed envelope, an unknown member or a
 * payload that fails its schema is logged and answered with an error (when it had a request id) and
 * never reaches a service. Responses and events are validated on the way out too, so a service cannot
 * leak a field the contract does not declare.
 */
export class ContractServer<C extends ContractDefinition> {
  readonly #directory: ServiceDirectory;
  #nextConnectionId = 1;

  constructor(
    definition: C,
    implementation: ContractImplementation<C>,
    private readonly options: ContractServerOptions,
  ) {
    this.#directory = new ServiceDirectory(definition, implementation as Record<string, object>);
  }

  /** Serves one connection until the returned Disposable is disposed (the socket or port closed). */
  accept(transport: MessageTransport, sender: SenderIdentity): Disposable {
    const connectionId = this.#nextConnectionId++;
    if (!this.options.isAllowedSender(sender)) {
      this.options.logger.warn('contract: refused a connection from an unexpected sender', {
        connectionId,
        origin: sender.origin,
        sender: sender.description,
      });
      return { dispose: () => undefined };
    }
    const connection = new ServerConnection(this.#directory, this.options.logger, transport, { connectionId, sender });
    return { dispose: () => connection.close() };
  }
}

/** Finds a member of the table and its implementation; own properties only, so `constructor` or `__proto__` never match. */
class ServiceDirectory {
  constructor(
    private readonly definition: ContractDefinition,
    private readonly implementation: Readonly<Record<string, object>>,
  ) {}

  method(service: string, name: string): { definition: MethodDefinition; handler: AnyHandler } | undefined {
    const entry = this.#service(service);
    if (entry === undefined || !Object.hasOwn(entry.definition.methods, name)) return undefined;
    const target = entry.members[name] as AnyHandler;
    return {
      definition: entry.definition.methods[name] as MethodDefinition,
      handler: (request, context) => Reflect.apply(target, entry.members, [request, context]),
    };
  }

  event(service: string, name: string): { schema: z.ZodType; subscribe: AnySubscribe } | undefined {
    const entry = this.#service(service);
    if (entry === undefined || !Object.hasOwn(entry.definition.events, name)) return undefined;
    const target = entry.members[name] as AnySubscribe;
    return {
      schema: (entry.definition.events as Readonly<Record<string, z.ZodType>>)[name] as z.ZodType,
      subscribe: (listener) => Reflect.apply(target, entry.members, [listener]),
    };
  }

  #service(name: string) {
    if (!Object.hasOwn(this.definition, name)) return undefined;
    return {
      definition: this.definition[name] as ServiceDefinition,
      members: this.implementation[name] as Readonly<Record<string, unknown>>,
    };
  }
}

class ServerConnection {
  readonly #subscriptions = new Map<string, Disposable>();
  readonly #listening: Disposable;
  #open = true;

  constructor(
    private readonly directory: ServiceDirectory,
    private readonly logger: ContractLogger,
    private readonly transport: MessageTransport,
    private readonly context: CallContext,
  ) {
    this.#listening = transport.onMessage((message) => this.#receive(message));
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#listening.dispose();
    for (const subscription of this.#subscriptions.values()) subscription.dispose();
    this.#subscriptions.clear();
  }

  #receive(message: unknown): void {
    if (!this.#open) return;
    const parsed = clientMessageSchema.safeParse(message);
    if (!parsed.success) {
      this.#refuse('contract: rejected a malformed message', {
        problems: fieldProblems(parsed.error).map(({ field, message: text }) => `${field}: ${text}`),
      });
      const id = requestIdOf(message);
      if (id !== undefined) {
        this.#post({ kind: 'response', id, ok: false, error: invalid('The message does not follow the contract.') });
      }
      return;
    }
    if (parsed.data.kind === 'request') void this.#handleRequest(parsed.data);
    else this.#handleSubscription(parsed.data);
  }

  async #handleRequest(request: RequestMessage): Promise<void> {
    const { id, service, method } = request;
    const target = this.directory.method(service, method);
    if (target === undefined) {
      this.#refuse('contract: rejected a call of an unknown method', { service, method });
      this.#respondError(id, { code: 'unknown-method', message: `There is no method ${service}.${method}.` });
      return;
    }
    const payload = target.definition.request.safeParse(request.payload);
    if (!payload.success) {
      const problems = fieldProblems(payload.error);
      this.#refuse('contract: rejected a malformed request', {
        service,
        method,
        problems: problems.map(({ field, message }) => `${field}: ${message}`),
      });
      this.#respondError(id, { ...invalid(`The request for ${service}.${method} is not valid.`), problems });
      return;
    }
    let result: unknown;
    try {
      result = await target.handler(payload.data, this.context);
    } catch (error) {
      this.#respondError(id, this.#errorDto(error, `${service}.${method}`));
      return;
    }
    const response = target.definition.response.safeParse(result);
    if (!response.success) {
      this.logger.error('contract: a service answered outside the contract; the answer was withheld', {
        service,
        method,
        problems: fieldProblems(response.error).map(({ field, message }) => `${field}: ${message}`),
      });
      this.#respondError(id, { code: 'internal', message: `WinRM Desk could not complete ${service}.${method}.` });
      return;
    }
    this.#post({ kind: 'response', id, ok: true, payload: response.data });
  }

  #handleSubscription({ kind, service, event }: SubscriptionMessage): void {
    const key = `${service}.${event}`;
    if (kind === 'unsubscribe') {
      this.#subscriptions.get(key)?.dispose();
      this.#subscriptions.delete(key);
      return;
    }
    const target = this.directory.event(service, event);
    if (target === undefined) {
      this.#refuse('contract: rejected a subscription to an unknown event', { service, event });
      return;
    }
    if (this.#subscriptions.has(key)) return;
    const subscription = target.subscribe((payload) => {
      const checked = target.schema.safeParse(payload);
      if (!checked.success) {
        this.logger.error('contract: a service fired an event outside the contract; it was dropped', {
          service,
          event,
          problems: fieldProblems(checked.error).map(({ field, message }) => `${field}: ${message}`),
        });
        return;
      }
      this.#post({ kind: 'event', service, event, payload: checked.data });
    });
    this.#subscriptions.set(key, subscription);
  }

  #errorDto(error: unknown, member: string): ErrorDto {
    if (error instanceof ContractError) return error.toDto();
    this.logger.error(`contract: ${member} failed`, {
      ...this.#who(),
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    return {
      code: 'internal',
      message: `WinRM Desk could not complete ${member}.`,
      details: error instanceof Error ? error.message : String(error),
    };
  }

  #respondError(id: number, error: ErrorDto): void {
    this.#post({ kind: 'response', id, ok: false, error });
  }

  #post(message: ServerMessage): void {
    if (this.#open) this.transport.post(message);
  }

  #refuse(message: string, fields: Readonly<Record<string, unknown>>): void {
    this.logger.warn(message, { ...this.#who(), ...fields });
  }

  #who() {
    return { connectionId: this.context.connectionId, sender: this.context.sender.description };
  }
}

function invalid(message: string): ErrorDto {
  return { code: 'invalid-request', message };
}

/** The id of something that looks like a request, so even a malformed one gets an answer. */
function requestIdOf(message: unknown): number | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { kind, id } = message as { kind?: unknown; id?: unknown };
  return kind === 'request' && typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
}
