import { UsageError } from '../../errors';

/** A user name as NTLM sends it, and how to show it to the user. */
export interface NtlmUserName {
  readonly user: string;
  readonly domain: string;
  /** The name as typed: `LAB\alice`, `alice@lab.test` or `alice`. */
  readonly display: string;
}

/**
 * Splits the forms a user types (PROTOCOL.md §4.1): `DOMAIN\user` → domain and user; a UPN
 * `user@realm` → the whole UPN as the user with an empty domain (the server resolves it); a bare
 * `user` → empty domain (the server's own).
 */
export function parseNtlmUserName(text: string): NtlmUserName {
  const separator = text.indexOf('\\');
  const [domain, user] = separator >= 0 ? [text.slice(0, separator), text.slice(separator + 1)] : ['', text];
  if (user === '') throw new UsageError(`${JSON.stringify(text)} has no user name`);
  if (user.includes('\\')) throw new UsageError(`${JSON.stringify(text)} has more than one backslash`);
  return { user, domain, display: text };
}
