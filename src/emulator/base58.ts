/**
 * Bitcoin-alphabet base58, the encoding of Boundary's list tokens. Digit-array conversion with small
 * integers: a list token is encoded on every page, and BigInt division was measurably slower.
 */

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const INDEX = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]));

/** 58^5 fits twice over in a double with room for a carry: five base58 digits per limb. */
const LIMB = 58 ** 5;

export function base58Encode(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  const limbs: number[] = [];
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i];
    for (let j = 0; j < limbs.length; j++) {
      carry += limbs[j] * 256;
      const q = Math.floor(carry / LIMB);
      limbs[j] = carry - q * LIMB;
      carry = q;
    }
    while (carry > 0) {
      const q = Math.floor(carry / LIMB);
      limbs.push(carry - q * LIMB);
      carry = q;
    }
  }
  let body = "";
  for (let i = 0; i < limbs.length; i++) {
    let limb = limbs[i];
    for (let k = 0; k < 5; k++) {
      body = ALPHABET[limb % 58] + body;
      limb = Math.floor(limb / 58);
    }
  }
  // The top limb's leading zero digits are padding, not leading zero bytes.
  let cut = 0;
  while (cut < body.length && body[cut] === "1") cut++;
  return "1".repeat(zeros) + body.slice(cut);
}

/** Undefined when `text` holds a character outside the alphabet (or is empty). */
export function base58Decode(text: string): Uint8Array | undefined {
  if (text.length === 0) return undefined;
  let zeros = 0;
  while (zeros < text.length && text[zeros] === "1") zeros++;
  const bytes: number[] = [];
  for (let i = zeros; i < text.length; i++) {
    const v = INDEX.get(text[i]);
    if (v === undefined) return undefined;
    let carry = v;
    for (let j = 0; j < bytes.length; j++) {
      carry += bytes[j] * 58;
      bytes[j] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  const out = new Uint8Array(zeros + bytes.length);
  for (let i = 0; i < bytes.length; i++) out[zeros + i] = bytes[bytes.length - 1 - i];
  return out;
}
