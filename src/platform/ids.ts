import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** Time-sortable ids with a readable prefix, e.g. `evt_01J…`. */
export type IdPrefix = 'evt' | 'raw' | 'ten' | 'key' | 'req' | 'whe' | 'lst' | 'alr' | 'dlv' | 'rsk' | 'aud' | 'mdl' | 'rul' | 'lbl';

export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  return `${prefix}_${nextUlid(now).toLowerCase()}`;
}
