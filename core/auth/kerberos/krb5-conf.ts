/**
 * The parts of an MIT krb5.conf (profile syntax: `[section]`, `name = value`, `name = { … }`, `#`/`;`
 * comments, a trailing `*` marking a value final) that locating a KDC needs: default_realm, each
 * realm's `kdc` entries and dns_lookup_kdc. `include`/`includedir` directives are
 * reported so the caller can read those files too. Lines the syntax does not allow are errors, as
 * MIT makes them.
 */

import { ProtocolError } from '../../errors';

export class Krb5ConfSyntaxError extends ProtocolError {
  override readonly name = 'Krb5ConfSyntaxError';
}

export interface RealmSettings {
  /** `host`, `host:port` or `[v6]:port`, in file order. */
  readonly kdcs: readonly string[];
}

export interface Krb5Conf {
  readonly defaultRealm: string | undefined;
  readonly dnsLookupKdc: boolean | undefined;
  readonly realms: ReadonlyMap<string, RealmSettings>;
  /** Files (`include`) and directories (`includedir`) named by the file, unread. */
  readonly includes: readonly { readonly kind: 'include' | 'includedir'; readonly path: string }[];
}

/** One relation tree: values of a name in file order, each a string or a subsection. */
type Section = Map<string, (string | Section)[]>;

const MAX_DEPTH = 8;

function parseProfile(text: string): { sections: Map<string, Section>; includes: Krb5Conf['includes'] } {
  const sections = new Map<string, Section>();
  const includes: { kind: 'include' | 'includedir'; path: string }[] = [];
  const stack: Section[] = [];
  for (const [index, rawLine] of text.split(/\r?\n/).entries()) {
    const line = rawLine.trim();
    const fail = (why: string) => new Krb5ConfSyntaxError(`krb5.conf line ${index + 1}: ${why}`);
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const directive = /^(include|includedir)\s+(.+)$/.exec(line);
    if (directive !== null && stack.length <= 1) {
      includes.push({ kind: directive[1] as 'include' | 'includedir', path: directive[2]! });
      continue;
    }
    const header = /^\[([^\]]+)\]\s*\*?$/.exec(line);
    if (header !== null) {
      if (stack.length > 1) throw fail('section header inside braces');
      const name = header[1]!.trim();
      const section = sections.get(name) ?? new Map();
      sections.set(name, section);
      stack.splice(0, stack.length, section);
      continue;
    }
    if (line.startsWith('}')) {
      if (stack.length <= 1) throw fail('unmatched }');
      stack.pop();
      continue;
    }
    const relation = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    const current = stack[stack.length - 1];
    if (relation === null) throw fail('expected "name = value"');
    if (current === undefined) throw fail('relation before any [section]');
    const name = relation[1]!;
    const value = relation[2]!;
    const values = current.get(name) ?? [];
    current.set(name, values);
    if (value === '{') {
      if (stack.length > MAX_DEPTH) throw fail('too deeply nested');
      const child: Section = new Map();
      values.push(child);
      stack.push(child);
    } else {
      values.push(value.replace(/\s*\*$/, '').replace(/^"(.*)"$/, '$1'));
    }
  }
  if (stack.length > 1) throw new Krb5ConfSyntaxError('krb5.conf ends inside braces');
  return { sections, includes };
}

const strings = (section: Section | undefined, name: string): string[] =>
  (section?.get(name) ?? []).filter((value): value is string => typeof value === 'string');

const booleanOf = (value: string | undefined): boolean | undefined => {
  if (value === undefined) return undefined;
  if (/^(true|yes|on|1)$/i.test(value)) return true;
  if (/^(false|no|off|0)$/i.test(value)) return false;
  return undefined;
};

export function parseKrb5Conf(text: string): Krb5Conf {
  const { sections, includes } = parseProfile(text);
  const libdefaults = sections.get('libdefaults');
  const realms = new Map<string, RealmSettings>();
  for (const [realm, values] of sections.get('realms') ?? []) {
    const kdcs = values.flatMap((value) => (typeof value === 'string' ? [] : strings(value, 'kdc')));
    realms.set(realm, { kdcs });
  }
  return {
    defaultRealm: strings(libdefaults, 'default_realm')[0],
    dnsLookupKdc: booleanOf(strings(libdefaults, 'dns_lookup_kdc')[0] ?? strings(libdefaults, 'dns_fallback')[0]),
    realms,
    includes,
  };
}

/** Merges configurations in order of precedence: the first to set a value wins, as MIT's profile does. */
export function mergeKrb5Conf(configs: readonly Krb5Conf[]): Krb5Conf {
  const realms = new Map<string, RealmSettings>();
  for (const config of configs) {
    for (const [realm, settings] of config.realms) {
      realms.set(realm, { kdcs: [...(realms.get(realm)?.kdcs ?? []), ...settings.kdcs] });
    }
  }
  return {
    defaultRealm: configs.find((config) => config.defaultRealm !== undefined)?.defaultRealm,
    dnsLookupKdc: configs.find((config) => config.dnsLookupKdc !== undefined)?.dnsLookupKdc,
    realms,
    includes: configs.flatMap((config) => config.includes),
  };
}
