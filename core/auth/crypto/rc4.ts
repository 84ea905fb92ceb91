/**
 * RC4 as a stateful keystream. NTLM sealing keeps one RC4 state per direction for the whole
 * security context (its keystream continues across messages), and OpenSSL 3 in Node has no RC4
 * without the legacy provider, so the core carries this small implementation.
 */
export class Rc4 {
  readonly #state = new Uint8Array(256);
  #i = 0;
  #j = 0;

  constructor(key: Uint8Array) {
    if (key.length === 0 || key.length > 256) throw new RangeError(`RC4 key length ${key.length} is not 1..256`);
    const s = this.#state;
    for (let i = 0; i < 256; i++) s[i] = i;
    let j = 0;
    for (let i = 0; i < 256; i++) {
      j = (j + s[i]! + key[i % key.length]!) & 0xff;
      [s[i], s[j]] = [s[j]!, s[i]!];
    }
  }

  /** Encrypts or decrypts (the same operation) `data`, advancing the keystream by its length. */
  process(data: Uint8Array): Uint8Array {
    const s = this.#state;
    const out = new Uint8Array(data.length);
    let i = this.#i;
    let j = this.#j;
    for (let n = 0; n < data.length; n++) {
      i = (i + 1) & 0xff;
      j = (j + s[i]!) & 0xff;
      const si = s[i]!;
      s[i] = s[j]!;
      s[j] = si;
      out[n] = data[n]! ^ s[(s[i]! + si) & 0xff]!;
    }
    this.#i = i;
    this.#j = j;
    return out;
  }
}

/** One-shot RC4 with a fresh state (NTLM's RC4K, e.g. the encrypted random session key). */
export const rc4Once = (key: Uint8Array, data: Uint8Array): Uint8Array => new Rc4(key).process(data);
