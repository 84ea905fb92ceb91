/**
 * What a user may type as a host: a DNS name, an IPv4 address or an IPv6 address (without brackets).
 * Only syntax is checked here; whether the name resolves is learnt by connecting.
 */

const MAX_DNS_NAME_LENGTH = 253;
/** One DNS label: letters (any script, for IDNs the transport converts), digits, `-` and `_` (seen in AD names). */
const DNS_LABEL = /^(?!-)[\p{L}\p{N}_-]{1,63}(?<!-)$/u;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6_CHARACTERS = /^[0-9a-f:.]+$/i;

export function isIPv4Address(text: string): boolean {
  return IPV4.test(text);
}

export function isIPv6Address(text: string): boolean {
  if (!text.includes(':') || !IPV6_CHARACTERS.test(text)) return false;
  const groups = text.split('::');
  if (groups.length > 2) return false;
  const parts = groups.flatMap((half) => (half === '' ? [] : half.split(':')));
  const last = parts.at(-1);
  // An embedded IPv4 tail (`::ffff:192.0.2.1`) stands for two 16-bit groups.
  const tailIsIPv4 = last !== undefined && last.includes('.');
  if (tailIsIPv4 && !isIPv4Address(last)) return false;
  const hexGroups = tailIsIPv4 ? parts.slice(0, -1) : parts;
  if (!hexGroups.every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return false;
  const width = hexGroups.length + (tailIsIPv4 ? 2 : 0);
  return groups.length === 2 ? width <= 7 : width === 8;
}

export function isDnsName(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name.length === 0 || name.length > MAX_DNS_NAME_LENGTH) return false;
  const labels = name.split('.');
  // All-numeric dotted text is meant as an IPv4 address; it is one only if isIPv4Address says so.
  if (labels.every((label) => /^\d+$/.test(label))) return false;
  return labels.every((label) => DNS_LABEL.test(label));
}

export function isHostAddress(text: string): boolean {
  return isIPv4Address(text) || isIPv6Address(text) || isDnsName(text);
}
