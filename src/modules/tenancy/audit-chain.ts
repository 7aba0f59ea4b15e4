import stringify from 'safe-stable-stringify';
import { sha256Hex } from '../../platform/crypto/hashing.js';

export interface AuditEntry {
  seq: number;
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
}

export interface ChainedEntry extends AuditEntry {
  prevHash: string;
  hash: string;
}

export interface ChainLink {
  seq: number;
  hash: string;
}

/** Where every tenant's chain starts: its first entry's "previous hash" is all zeros. */
export const GENESIS: ChainLink = { seq: 0, hash: '0'.repeat(64) };

/**
 * SHA-256 over the previous hash and the entry as canonical JSON (keys sorted): the stored jsonb may
 * hand the details back in another key order, and the hash must not depend on it.
 */
export function entryHash(prevHash: string, e: AuditEntry): string {
  const canonical = stringify({
    seq: e.seq,
    id: e.id,
    at: e.at,
    actor: e.actor,
    action: e.action,
    target: e.target,
    details: e.details,
  });
  return sha256Hex(`${prevHash}\n${canonical}`);
}

export const chainBreakReasons = ['sequence gap', 'previous hash mismatch', 'hash mismatch'] as const;
export type ChainBreak = { seq: number; reason: (typeof chainBreakReasons)[number] };

/**
 * Checks entries in sequence order, continuing the chain from `prev`: the last sound link, and the
 * first break if there is one.
 */
export function checkChain(
  entries: readonly ChainedEntry[],
  prev: ChainLink,
): { last: ChainLink; broken: ChainBreak | null } {
  let last = prev;
  for (const e of entries) {
    const reason =
      e.seq !== last.seq + 1
        ? 'sequence gap'
        : e.prevHash !== last.hash
          ? 'previous hash mismatch'
          : entryHash(e.prevHash, e) !== e.hash
            ? 'hash mismatch'
            : null;
    if (reason) return { last, broken: { seq: e.seq, reason } };
    last = { seq: e.seq, hash: e.hash };
  }
  return { last, broken: null };
}
