/**
 * The vocabulary of a connector's events table (`<p>.events.ts`): one row per provider event type or
 * status, written as data so the whole mapping reads in one place.
 */

/** The facts about one event that a table's cells may depend on, by name; the connector reads them off the payload. */
export type Facts<F extends string> = Readonly<Record<F, string | boolean | null>>;

export interface ChoiceNode<T, F extends string> {
  readonly by: F;
  readonly cases: { readonly [value: string]: Choice<T, F> };
  readonly otherwise: Choice<T, F>;
}

/**
 * A table cell: a fixed value, or one picked by a fact — a yes/no fact is looked up as `true`/`false`,
 * any other as its text; a fact that is absent or names no case takes `otherwise`.
 */
export type Choice<T, F extends string> = T | ChoiceNode<T, F>;

function isChoiceNode<T, F extends string>(cell: Choice<T, F>): cell is ChoiceNode<T, F> {
  return typeof cell === 'object' && cell !== null && 'by' in cell && 'cases' in cell && 'otherwise' in cell;
}

export function choose<T, F extends string>(cell: Choice<T, F>, facts: Facts<F>): T {
  let current = cell;
  while (isChoiceNode(current)) {
    const fact = facts[current.by];
    const key = fact === null ? null : String(fact);
    current = key !== null && Object.hasOwn(current.cases, key) ? current.cases[key]! : current.otherwise;
  }
  return current as T;
}

/**
 * The row of a provider event type: its own row, else the row of the longest `prefix*` key it starts
 * with. Names an object inherits (`constructor`, `__proto__`) are no row: event types come from the payload.
 */
export function eventRow<R>(table: Readonly<Record<string, R>>, key: string): R | undefined {
  if (Object.hasOwn(table, key)) return table[key];
  let best: string | null = null;
  for (const candidate of Object.keys(table)) {
    if (!candidate.endsWith('*') || !key.startsWith(candidate.slice(0, -1))) continue;
    if (best === null || candidate.length > best.length) best = candidate;
  }
  return best === null ? undefined : table[best];
}
