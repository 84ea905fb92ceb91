import { UsageError } from '../../errors';

const VERSION = /^(\d{1,10})\.(\d{1,10})(?:\.(\d{1,10})(?:\.(\d{1,10}))?)?$/;
const INT32_MAX = 2 ** 31 - 1;

/**
 * A .NET System.Version (`Version`): major.minor with optional build and revision, each 0–2³¹−1.
 * Ordering follows .NET, where a missing component sorts before 0 (so 2.3 < 2.3.0).
 */
export class PSVersion {
  readonly components: readonly number[];

  constructor(major: number, minor: number, build?: number, revision?: number) {
    if (revision !== undefined && build === undefined) throw new UsageError('a Version revision needs a build');
    const components = [major, minor, build, revision].filter((part) => part !== undefined);
    if (components.some((part) => !Number.isInteger(part) || part < 0 || part > INT32_MAX)) {
      throw new UsageError(`invalid Version components ${components.join('.')}`);
    }
    this.components = components;
  }

  /** Reads `1.2`, `1.2.3` or `1.2.3.4`; undefined when malformed or out of range. */
  static parse(text: string): PSVersion | undefined {
    const match = VERSION.exec(text);
    if (match === null) return undefined;
    const parts = match
      .slice(1)
      .filter((part) => part !== undefined)
      .map(Number);
    if (parts.some((part) => part > INT32_MAX)) return undefined;
    const [major = 0, minor = 0, build, revision] = parts;
    return new PSVersion(major, minor, build, revision);
  }

  /** Negative, zero or positive as this version is lower than, equal to or higher than `other`. */
  compareTo(other: PSVersion): number {
    for (let index = 0; index < 4; index++) {
      const difference = (this.components[index] ?? -1) - (other.components[index] ?? -1);
      if (difference !== 0) return Math.sign(difference);
    }
    return 0;
  }

  toString(): string {
    return this.components.join('.');
  }
}
