import { UsageError } from '../errors';

/**
 * GUIDs as PSRP uses them. A GUID is handled as its canonical lower-case string
 * (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`); on the wire (RPID/PID of a message header) it is the
 * 16 bytes of .NET `Guid.ToByteArray()`: Data1 (4 bytes), Data2 (2) and Data3 (2) little-endian,
 * Data4 (8) as written. WS-Man ShellId/CommandId carry the same GUID in upper case.
 */

export const NIL_GUID = '00000000-0000-0000-0000-000000000000';

const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Byte i of the .NET array holds the hex pair at string-order byte position DOTNET_ORDER[i]. */
const DOTNET_ORDER = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15] as const;

/** The canonical lower-case form of `text` (either case accepted), or undefined when it is not a GUID. */
export function parseGuid(text: string): string | undefined {
  const lower = text.toLowerCase();
  return GUID_PATTERN.test(lower) ? lower : undefined;
}

function canonical(guid: string): string {
  const parsed = parseGuid(guid);
  if (parsed === undefined) throw new UsageError(`not a GUID: ${JSON.stringify(guid)}`);
  return parsed;
}

/** The upper-case form WS-Man uses for ShellId and CommandId (pwsh `ToString().ToUpperInvariant()`). */
export function guidToUpper(guid: string): string {
  return canonical(guid).toUpperCase();
}

/** .NET `Guid.ToByteArray()` bytes of `guid`. */
export function guidToBytes(guid: string): Uint8Array {
  const hex = canonical(guid).replaceAll('-', '');
  const bytes = new Uint8Array(16);
  DOTNET_ORDER.forEach((position, index) => {
    bytes[index] = Number.parseInt(hex.slice(position * 2, position * 2 + 2), 16);
  });
  return bytes;
}

/** The GUID whose .NET `ToByteArray()` form is `bytes` (16 bytes). */
export function guidFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new UsageError(`a GUID is 16 bytes, got ${bytes.length}`);
  const stringOrder = new Array<string>(16);
  DOTNET_ORDER.forEach((position, index) => {
    stringOrder[position] = (bytes[index] ?? 0).toString(16).padStart(2, '0');
  });
  return formatStringOrder(stringOrder.join(''));
}

/**
 * A new random (version 4) GUID from 16 bytes of `randomBytes`, which the caller supplies so the core
 * stays deterministic under test (e.g. `node:crypto` `randomBytes` in production).
 */
export function randomGuid(randomBytes: (length: number) => Uint8Array): string {
  const random = randomBytes(16);
  if (random.length !== 16) throw new UsageError(`randomBytes(16) returned ${random.length} bytes`);
  const bytes = Uint8Array.from(random);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40; // version 4
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC 4122 variant
  return formatStringOrder(Buffer.from(bytes).toString('hex'));
}

function formatStringOrder(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
