import type { z } from 'zod';
import { UsageError } from '../errors';
import type { Disposable } from './transport';

/**
 * The shape of the IPC contract (DESIGN.md §2.1): a table service → methods (request and response
 * schemas) and events (payload schema). The table is data, so both ends are derived from it generically:
 * the renderer's client proxy (`ContractClient`) and main's dispatcher, which calls a `ContractImplementation`.
 * Call sites name a service and a method as properties; no channel string appears outside this table.
 *
 * Every method takes at most one argument, its request object; `z.void()` means none. Events are named
 * `onDid…` or `onWill…`, methods never are.
 */
export interface MethodDefinition<Request extends z.ZodType = z.ZodType, Response extends z.ZodType = z.ZodType> {
  readonly request: Request;
  readonly response: Response;
}

export function method<Request extends z.ZodType, Response extends z.ZodType>(
  request: Request,
  response: Response,
): MethodDefinition<Request, Response> {
  return { request, response };
}

export type EventName = `onDid${string}` | `onWill${string}`;

export interface ServiceDefinition {
  readonly methods: Readonly<Record<string, MethodDefinition>>;
  readonly events: Readonly<Record<EventName, z.ZodType>>;
}

export type ContractDefinition = Readonly<Record<string, ServiceDefinition>>;

const EVENT_NAME = /^on(Did|Will)[A-Z]/;
const MEMBER_NAME = /^[a-z][A-Za-z0-9]*$/;

/** Checks the naming rules the types cannot express and returns the table unchanged. */
export function defineContract<C extends ContractDefinition>(definition: C): C {
  for (const [serviceName, service] of Object.entries(definition)) {
    if (!MEMBER_NAME.test(serviceName)) throw new UsageError(`contract: bad service name ${serviceName}`);
    for (const name of Object.keys(service.methods)) {
      if (!MEMBER_NAME.test(name) || EVENT_NAME.test(name)) {
        throw new UsageError(`contract: ${serviceName}.${name} is not a method name (on… names are events)`);
      }
    }
    for (const name of Object.keys(service.events)) {
      if (!EVENT_NAME.test(name)) throw new UsageError(`contract: event ${serviceName}.${name} is not onDid…/onWill…`);
    }
  }
  return definition;
}

type RequestArguments<Request extends z.ZodType> =
  undefined extends z.input<Request> ? [request?: z.input<Request>] : [request: z.input<Request>];

/** A service as the renderer sees it: requests before defaults are applied, responses as validated. */
export type ServiceClient<S extends ServiceDefinition> = {
  readonly [M in keyof S['methods']]: (
    ...request: RequestArguments<S['methods'][M]['request']>
  ) => Promise<z.output<S['methods'][M]['response']>>;
} & {
  readonly [E in keyof S['events']]: (listener: (event: z.output<S['events'][E]>) => void) => Disposable;
};

export type ContractClient<C extends ContractDefinition> = { readonly [K in keyof C]: ServiceClient<C[K]> };

/** Who is on the other end of a connection, as the shell that accepted it established (checked once). */
export interface SenderIdentity {
  /** The page's origin: `app://winrm-desk` in Electron, `http://127.0.0.1:<port>` through the bridge. */
  readonly origin: string;
  /** For logs: which window or socket. */
  readonly description: string;
}

export interface CallContext {
  readonly connectionId: number;
  readonly sender: SenderIdentity;
}

/**
 * A service as main implements it: requests already validated, responses validated before they leave.
 * The dispatcher passes the call's context; main's own callers (sessions, the CLI) have none.
 */
export type ServiceImplementation<S extends ServiceDefinition> = {
  readonly [M in keyof S['methods']]: (
    request: z.output<S['methods'][M]['request']>,
    context?: CallContext,
  ) => Promise<z.input<S['methods'][M]['response']>>;
} & {
  readonly [E in keyof S['events']]: (listener: (event: z.input<S['events'][E]>) => void) => Disposable;
};

export type ContractImplementation<C extends ContractDefinition> = {
  readonly [K in keyof C]: ServiceImplementation<C[K]>;
};
