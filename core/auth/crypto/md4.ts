/**
 * MD4 (RFC 1320). NTLM's NTOWFv1 needs it and OpenSSL 3 only offers it through the legacy provider,
 * which Node does not load; so the core carries this small implementation. Not for new designs.
 */

const initialState = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476] as const;

const rotateLeft = (value: number, bits: number): number => (value << bits) | (value >>> (32 - bits));

export function md4(message: Uint8Array): Uint8Array {
  // Padding: 0x80, zeros to 56 mod 64, then the bit length as a 64-bit little-endian integer.
  const paddedLength = (((message.length + 8) >>> 6) + 1) << 6;
  const padded = new Uint8Array(paddedLength);
  padded.set(message);
  padded[message.length] = 0x80;
  const view = new DataView(padded.buffer);
  const bitLength = message.length * 8;
  view.setUint32(paddedLength - 8, bitLength >>> 0, true);
  view.setUint32(paddedLength - 4, Math.floor(bitLength / 0x100000000), true);

  let [a, b, c, d] = initialState as unknown as [number, number, number, number];
  const x = new Array<number>(16);
  for (let offset = 0; offset < paddedLength; offset += 64) {
    for (let i = 0; i < 16; i++) x[i] = view.getUint32(offset + i * 4, true);
    const [aa, bb, cc, dd] = [a, b, c, d];
    const word = (i: number): number => x[i] as number;

    // Round 1: F(x,y,z) = xy v not(x)z
    for (const i of [0, 4, 8, 12]) {
      a = rotateLeft((a + ((b & c) | (~b & d)) + word(i)) | 0, 3);
      d = rotateLeft((d + ((a & b) | (~a & c)) + word(i + 1)) | 0, 7);
      c = rotateLeft((c + ((d & a) | (~d & b)) + word(i + 2)) | 0, 11);
      b = rotateLeft((b + ((c & d) | (~c & a)) + word(i + 3)) | 0, 19);
    }
    // Round 2: G(x,y,z) = xy v xz v yz, constant 0x5A827999
    for (const i of [0, 1, 2, 3]) {
      a = rotateLeft((a + ((b & c) | (b & d) | (c & d)) + word(i) + 0x5a827999) | 0, 3);
      d = rotateLeft((d + ((a & b) | (a & c) | (b & c)) + word(i + 4) + 0x5a827999) | 0, 5);
      c = rotateLeft((c + ((d & a) | (d & b) | (a & b)) + word(i + 8) + 0x5a827999) | 0, 9);
      b = rotateLeft((b + ((c & d) | (c & a) | (d & a)) + word(i + 12) + 0x5a827999) | 0, 13);
    }
    // Round 3: H(x,y,z) = x xor y xor z, constant 0x6ED9EBA1
    for (const i of [0, 2, 1, 3]) {
      a = rotateLeft((a + (b ^ c ^ d) + word(i) + 0x6ed9eba1) | 0, 3);
      d = rotateLeft((d + (a ^ b ^ c) + word(i + 8) + 0x6ed9eba1) | 0, 9);
      c = rotateLeft((c + (d ^ a ^ b) + word(i + 4) + 0x6ed9eba1) | 0, 11);
      b = rotateLeft((b + (c ^ d ^ a) + word(i + 12) + 0x6ed9eba1) | 0, 15);
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }

  const digest = new Uint8Array(16);
  const out = new DataView(digest.buffer);
  [a, b, c, d].forEach((value, i) => out.setUint32(i * 4, value >>> 0, true));
  return digest;
}
