import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkChain, entryHash, GENESIS, type ChainedEntry } from './audit-chain.js';

function chain(n: number): ChainedEntry[] {
  const out: ChainedEntry[] = [];
  let prevHash = GENESIS.hash;
  for (let seq = 1; seq <= n; seq++) {
    const e = {
      seq,
      id: `aud_${seq}`,
      at: new Date(Date.UTC(2026, 0, 1, 0, seq)).toISOString(),
      actor: 'key_1',
      action: 'list_entry.add',
      target: `lst_${seq}`,
      details: { status: 201, route: '/v1/lists' },
    };
    const hash = entryHash(prevHash, e);
    out.push({ ...e, prevHash, hash });
    prevHash = hash;
  }
  return out;
}

describe('audit hash chain', () => {
  it('hashes details independently of their key order', () => {
    const e = chain(1)[0]!;
    expect(entryHash(GENESIS.hash, { ...e, details: { route: '/v1/lists', status: 201 } })).toBe(e.hash);
  });

  it('accepts an untouched chain and reports the first altered entry, whatever is altered', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.nat(),
        fc.constantFrom('actor', 'action', 'target', 'at', 'details', 'hash', 'prevHash'),
        (n, pick, field) => {
          const entries = chain(n);
          expect(checkChain(entries, GENESIS)).toEqual({ last: { seq: n, hash: entries[n - 1]!.hash }, broken: null });
          const i = pick % n;
          const changed = {
            ...entries[i]!,
            [field]:
              field === 'details'
                ? { status: 500 }
                : field === 'at'
                  ? new Date(0).toISOString()
                  : `${String(entries[i]![field as keyof ChainedEntry])}x`,
          };
          const tampered = [...entries.slice(0, i), changed, ...entries.slice(i + 1)];
          const checked = checkChain(tampered, GENESIS);
          expect(checked.broken?.seq).toBe(i + 1);
          expect(checked.last.seq).toBe(checked.broken!.seq - 1);
        },
      ),
    );
  });

  it('names a missing or swapped entry', () => {
    const entries = chain(4);
    expect(checkChain([entries[0]!, entries[2]!, entries[3]!], GENESIS).broken).toEqual({
      seq: 3,
      reason: 'sequence gap',
    });
    const swapped = [entries[0]!, { ...entries[2]!, seq: 2 }, { ...entries[1]!, seq: 3 }];
    expect(checkChain(swapped, GENESIS).broken).toEqual({ seq: 2, reason: 'previous hash mismatch' });
  });
});
