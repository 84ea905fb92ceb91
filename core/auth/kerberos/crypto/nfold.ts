/**
 * n-fold (RFC 3961 §5.1): stretches or folds a string to `outputBytes` by concatenating copies of the
 * input, each rotated 13 bits further right than the last, up to lcm(input, output) bytes, and adding
 * the output-sized chunks in ones'-complement arithmetic. DK uses it on key-usage constants.
 */

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The bits of `bytes` rotated right by `bits` (bit 0 = most significant bit of byte 0). */
function rotateRight(bytes: Uint8Array, bits: number): Uint8Array {
  const width = bytes.length * 8;
  const out = new Uint8Array(bytes.length);
  for (let target = 0; target < width; target++) {
    const source = (((target - bits) % width) + width) % width;
    const bit = (bytes[source >> 3]! >> (7 - (source & 7))) & 1;
    out[target >> 3]! |= bit << (7 - (target & 7));
  }
  return out;
}

export function nfold(input: Uint8Array, outputBytes: number): Uint8Array {
  if (input.length === 0 || outputBytes <= 0) throw new RangeError('n-fold needs a non-empty input and output');
  const total = (input.length * outputBytes) / gcd(input.length, outputBytes);
  const sum = new Array<number>(outputBytes).fill(0);
  for (let copy = 0; copy < total / input.length; copy++) {
    const rotated = rotateRight(input, 13 * copy);
    for (let index = 0; index < rotated.length; index++) {
      sum[(copy * input.length + index) % outputBytes]! += rotated[index]!;
    }
  }
  // Ones'-complement addition: carry each column leftward; what leaves the top wraps to the bottom.
  let carry = 0;
  do {
    for (let index = outputBytes - 1; index >= 0; index--) {
      const column = sum[index]! + carry;
      sum[index] = column & 0xff;
      carry = column >>> 8;
    }
  } while (carry !== 0);
  return Uint8Array.from(sum);
}
