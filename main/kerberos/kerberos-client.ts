import { randomBytes as nodeRandomBytes } from 'node:crypto';
import {
  findTicketGrantingTicket,
  formatPrincipal,
  KerberosAuthContext,
  KerberosAuthenticationError,
  KerberosInitiator,
  kdcUnreachableError,
  parseUserPrincipal,
  samePrincipal,
  servicePrincipals,
  TicketAcquisition,
  type KerberosSecret,
  type Principal,
  type TicketAcquisitionResult,
} from '../../core/auth/kerberos';
import type { AuthConnectionInfo } from '../../core/auth/mechanism';
import { UsageError } from '../../core/errors';
import type { AuthMechanism } from '../transport/auth-mechanism';
import { locateKdcs, type SrvResolver } from './kdc-locator';
import { exchangeWithKdc, formatKdcAddress, KdcFramingError, type KdcAddress } from './kdc-transport';
import {
  credentialCacheFile,
  credentialCacheName,
  krb5ConfigPaths,
  readCredentialCache,
  readKrb5Config,
} from './kerberos-files';

/**
 * Kerberos for a WinRM connection, pure TypeScript: obtains a service ticket for the host from the KDC
 * (with the password, or with the TGT of an MIT credential cache), then makes a fresh GSS context from it
 * for every new connection, for the `Kerberos` HTTP scheme or for SPNEGO. Tickets are obtained once per
 * `prepareKerberos`; call it again when `expiresAt` nears.
 */

export interface KerberosOptions {
  /** `alice@LAB.TEST`, `alice` or `LAB\alice`; optional with a credential cache (its default principal). */
  readonly user?: string;
  /** The password; absent: the credential cache is used. */
  readonly password?: string;
  /** The host name to authenticate to (the SPN's host part): the computer's name in AD, even when connecting by IP. */
  readonly targetHostName: string;
  /** The client's realm when the user name carries none; else krb5.conf's default_realm. */
  readonly realm?: string;
  /** KDCs to use (`host[:port]`), before krb5.conf and DNS. */
  readonly kdc?: readonly string[];
  /** Delegate a forwarded TGT to the server (double hop). */
  readonly delegate?: boolean;
  /** Service classes tried in order; `HTTP`, `host`, `WSMAN` by default. */
  readonly serviceClasses?: readonly string[];
  /** A credential cache name (`FILE:/path`, a path, `DIR:…`) instead of KRB5CCNAME. */
  readonly credentialCache?: string;
  /** krb5.conf files instead of KRB5_CONFIG / the platform default. */
  readonly krb5ConfigPaths?: readonly string[];
  /** DNS SRV lookup of KDCs; undefined follows krb5.conf's dns_lookup_kdc. */
  readonly dnsSrvLookup?: boolean;
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** Milliseconds since the epoch; Date.now by default (tests skew it). */
  readonly now?: () => number;
  readonly randomBytes?: (length: number) => Uint8Array;
  /** Per KDC address; 10 s by default. */
  readonly kdcTimeoutMs?: number;
  /** For tests; DNS by default. */
  readonly resolveSrv?: SrvResolver;
}

export interface PreparedKerberos {
  /** `alice@LAB.TEST` */
  readonly client: string;
  /** The SPN the ticket is for (`HTTP/host@REALM`). */
  readonly servicePrincipal: string;
  readonly servicePrincipalsTried: readonly string[];
  /** When the service ticket expires (ms since the epoch): new connections fail after it. */
  readonly expiresAt: number;
  readonly tickets: TicketAcquisitionResult;
  /** A context for the `Kerberos` HTTP scheme on a new connection. */
  newAuthContext(connection: AuthConnectionInfo): KerberosAuthContext;
  /** A Kerberos mechanism for SPNEGO on a new connection. */
  newGssMechanism(connection: AuthConnectionInfo): KerberosInitiator;
}

const DEFAULT_KDC_TIMEOUT_MS = 10_000;

export async function prepareKerberos(options: KerberosOptions): Promise<PreparedKerberos> {
  const env = options.environment ?? process.env;
  const now = options.now ?? Date.now;
  const randomBytes = options.randomBytes ?? ((length: number) => new Uint8Array(nodeRandomBytes(length)));
  const config = await readKrb5Config(options.krb5ConfigPaths ?? krb5ConfigPaths(env));
  const defaultRealm = options.realm ?? config?.defaultRealm;

  const { client, secret } = await clientAndSecret(options, defaultRealm, env, now);
  const display = formatPrincipal(client);
  const acquisition = new TicketAcquisition({
    client,
    secret,
    servicePrincipals: servicePrincipals(options.targetHostName, client.realm, options.serviceClasses),
    forwardTgt: options.delegate ?? false,
    now,
    randomBytes,
  });

  const addresses = new Map<string, KdcAddress[]>();
  const send = async (realm: string, request: Uint8Array): Promise<Uint8Array> => {
    let known = addresses.get(realm);
    if (known === undefined) {
      known = await locateKdcs(
        realm,
        { explicit: options.kdc, config, dnsSrvLookup: options.dnsSrvLookup },
        options.resolveSrv,
      );
      addresses.set(realm, known);
    }
    return sendToKdcs(display, realm, known, request, options.kdcTimeoutMs ?? DEFAULT_KDC_TIMEOUT_MS);
  };

  let message = acquisition.start();
  let tickets: TicketAcquisitionResult | undefined;
  while (tickets === undefined) {
    const step = acquisition.receive(await send(message.realm, message.bytes));
    if (step.kind === 'complete') tickets = step.result;
    else message = step.message;
  }
  return prepared(tickets, options.targetHostName, now, randomBytes);
}

async function clientAndSecret(
  options: KerberosOptions,
  defaultRealm: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  now: () => number,
): Promise<{ client: Principal; secret: KerberosSecret }> {
  if (options.password !== undefined) {
    if (options.user === undefined) throw new UsageError('a Kerberos password needs a user name');
    return {
      client: parseUserPrincipal(options.user, defaultRealm),
      secret: { kind: 'password', password: options.password },
    };
  }
  const cacheName = credentialCacheName(options.credentialCache, env, process.getuid?.());
  const wanted = options.user === undefined ? undefined : parseUserPrincipal(options.user, defaultRealm);
  const who = wanted === undefined ? 'the current user' : formatPrincipal(wanted);
  const noTicket = (why: string) =>
    new KerberosAuthenticationError(
      'no-ticket',
      who,
      `${why}: run kinit${wanted === undefined ? '' : ` ${formatPrincipal(wanted)}`} first, or give a password`,
    );
  if (cacheName === undefined) throw noTicket('no Kerberos credential cache is configured (KRB5CCNAME is unset)');
  const file = await credentialCacheFile(cacheName);
  const cache = await readCredentialCache(file);
  if (cache === undefined) throw noTicket(`there is no Kerberos credential cache at ${file}`);
  const owner = cache.defaultPrincipal;
  if (wanted !== undefined && !samePrincipal(wanted, owner)) {
    throw noTicket(`the credential cache ${file} holds the tickets of ${formatPrincipal(owner)}, not of ${who}`);
  }
  const tgt = findTicketGrantingTicket(cache, now());
  if (tgt === undefined) {
    throw noTicket(`the credential cache ${file} holds no valid ticket-granting ticket for ${formatPrincipal(owner)}`);
  }
  return { client: tgt.client, secret: { kind: 'ticket-granting-ticket', credential: tgt } };
}

async function sendToKdcs(
  principal: string,
  realm: string,
  addresses: readonly KdcAddress[],
  request: Uint8Array,
  timeoutMs: number,
): Promise<Uint8Array> {
  const reasons: string[] = [];
  for (const address of addresses) {
    try {
      return await exchangeWithKdc(address, request, timeoutMs);
    } catch (error) {
      if (error instanceof KdcFramingError) throw error;
      reasons.push(
        `${formatKdcAddress(address)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
  }
  throw kdcUnreachableError(
    principal,
    realm,
    addresses.map(formatKdcAddress),
    reasons.length === 0 ? 'no KDC found in the options, krb5.conf or DNS' : reasons.join('; '),
  );
}

function prepared(
  tickets: TicketAcquisitionResult,
  targetHostName: string,
  now: () => number,
  randomBytes: (length: number) => Uint8Array,
): PreparedKerberos {
  const initiatorOptions = (connection: AuthConnectionInfo) => {
    if (connection.targetHostName.toLowerCase() !== targetHostName.toLowerCase()) {
      throw new UsageError(
        `the Kerberos ticket is for ${targetHostName}, but the connection authenticates to ${connection.targetHostName}`,
      );
    }
    return {
      ticket: tickets.service,
      forwardedTgt: tickets.forwardedTgt,
      channelBindings: connection.channelBindings,
      randomBytes,
      now,
    };
  };
  return {
    client: formatPrincipal(tickets.service.client),
    servicePrincipal: formatPrincipal(tickets.service.server),
    servicePrincipalsTried: tickets.servicePrincipalsTried,
    expiresAt: tickets.service.endTime,
    tickets,
    newAuthContext: (connection) => new KerberosAuthContext(initiatorOptions(connection)),
    newGssMechanism: (connection) => new KerberosInitiator(initiatorOptions(connection)),
  };
}

/** The `Kerberos` HTTP scheme as a transport mechanism (a fresh AP-REQ per connection, sealing on HTTP). */
export function kerberosMechanism(kerberos: PreparedKerberos): AuthMechanism {
  return {
    name: 'Kerberos',
    httpScheme: 'Kerberos',
    connectionBound: true,
    canSeal: true,
    newContext: (connection) => kerberos.newAuthContext(connection),
  };
}
