import { LRUCache } from 'lru-cache';
import {
  AMOUNT_DAYS,
  amountLogMilli,
  DAY_MS,
  HOUR_MS,
  MONTH_MS,
  RETENTION_MS,
  SEQUENCE_SPAN,
  TEN_MINUTES_MS,
  txMember,
  WEEK_MS,
  type BurstCounts,
  type RetentionClass,
  type VelocityEvent,
  type VelocitySnapshot,
  type VelocityStore,
} from './velocity-store.js';

/** Up to this many members, a scan of the members finds one faster than a Map would, and costs no memory. */
const SCAN_LIMIT = 16;

function dropFirst(items: unknown[], n: number): void {
  items.copyWithin(0, n);
  items.length -= n;
}

/**
 * Members ordered by time with O(log n) range counts; a member appears once (re-adding moves it).
 * Most indexes hold a handful of members (a customer's cards, a device's customers), so the
 * member → time map is only built once an index outgrows a scan, and only a customer's
 * transactions carry values (their amounts): a small index is two short arrays, not three and a Map.
 * Trimming advances `head` instead of shifting the arrays: a busy merchant's index holds hours of
 * traffic and loses a few entries on nearly every write; the dead prefix is dropped once it is half.
 */
class TimeIndex {
  private times: number[] = [];
  private members: string[] = [];
  private values: number[] | null;
  private head = 0;
  private byMember: Map<string, number> | null = null;

  constructor(withValues: boolean) {
    this.values = withValues ? [] : null;
  }

  score(member: string): number | undefined {
    if (this.byMember) return this.byMember.get(member);
    for (let i = this.head; i < this.members.length; i++) if (this.members[i] === member) return this.times[i];
    return undefined;
  }

  /**
   * mode: 'set' replaces the time, 'max' keeps the latest (Redis ZADD, ZADD GT). Answers whether the
   * member is new: absent, or older than `staleBefore` (an untrimmed leftover counts as gone, so the
   * answer does not depend on when trimming last ran).
   */
  add(member: string, at: number, mode: 'set' | 'max', value = 0, staleBefore = Number.NEGATIVE_INFINITY): boolean {
    const current = this.score(member);
    const fresh = current === undefined || current < staleBefore;
    if (current !== undefined) {
      if (current === at || (mode === 'max' && current >= at)) return fresh;
      this.remove(member, current);
    }
    // Events mostly arrive in time order: appending skips the search and the shift.
    const n = this.times.length;
    const i = n === this.head || this.times[n - 1]! <= at ? n : this.lowerBound(at + 1);
    if (i === n) {
      this.times.push(at);
      this.members.push(member);
      this.values?.push(value);
    } else {
      this.times.splice(i, 0, at);
      this.members.splice(i, 0, member);
      this.values?.splice(i, 0, value);
    }
    if (this.byMember) this.byMember.set(member, at);
    else if (this.times.length - this.head > SCAN_LIMIT) {
      this.byMember = new Map();
      for (let j = this.head; j < this.times.length; j++) this.byMember.set(this.members[j]!, this.times[j]!);
    }
    return fresh;
  }

  /** Calls `fn` with each member whose time is in [from, to]. */
  forEachIn(from: number, to: number, fn: (member: string) => void): void {
    for (let i = this.lowerBound(from); i < this.times.length && this.times[i]! <= to; i++) fn(this.members[i]!);
  }

  count(from: number, to: number = Number.POSITIVE_INFINITY): number {
    return this.lowerBound(to === Number.POSITIVE_INFINITY ? to : to + 1) - this.lowerBound(from);
  }

  /** Adds the counts and value sums in the 1 h / 24 h / 7 d / 30 d windows ending at `at` (inclusive at both ends) into `out`. */
  addWindows(at: number, out: WindowSums): void {
    const week = at - WEEK_MS;
    const day = at - DAY_MS;
    const hour = at - HOUR_MS;
    const values = this.values;
    for (let i = this.lowerBound(at - MONTH_MS); i < this.times.length && this.times[i]! <= at; i++) {
      const t = this.times[i]!;
      const v = values ? values[i]! : 0;
      out.count30d++;
      out.amountUsdMinor30d += v;
      if (t < week) continue;
      out.count7d++;
      out.amountUsdMinor7d += v;
      if (t >= day) {
        out.count24h++;
        out.amountUsdMinor24h += v;
      }
      if (t >= hour) {
        out.count1h++;
        out.amountUsdMinor1h += v;
      }
    }
  }

  trimBefore(cutoff: number): void {
    if (this.head === this.times.length || this.times[this.head]! >= cutoff) return;
    const end = this.lowerBound(cutoff);
    if (this.byMember) for (let i = this.head; i < end; i++) this.byMember.delete(this.members[i]!);
    this.head = end;
    if (this.head * 2 >= this.times.length) {
      // In place: most indexes are a few entries trimmed on nearly every write, and new arrays each
      // time were a good part of the garbage a score makes.
      dropFirst(this.times, end);
      dropFirst(this.members, end);
      if (this.values) dropFirst(this.values, end);
      this.head = 0;
    }
  }

  private remove(member: string, at: number): void {
    for (let i = this.lowerBound(at); i < this.times.length && this.times[i] === at; i++) {
      if (this.members[i] === member) {
        this.times.splice(i, 1);
        this.members.splice(i, 1);
        this.values?.splice(i, 1);
        break;
      }
    }
    this.byMember?.delete(member);
  }

  /** First live index whose time is >= t. */
  private lowerBound(t: number): number {
    let lo = this.head;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** A customer's transaction counts and USD sums per window, named as the snapshot names them. */
type WindowSums = Pick<
  VelocitySnapshot['customer'],
  | 'count1h'
  | 'count24h'
  | 'count7d'
  | 'count30d'
  | 'amountUsdMinor1h'
  | 'amountUsdMinor24h'
  | 'amountUsdMinor7d'
  | 'amountUsdMinor30d'
>;

type IndexName = 'tx' | 'declines' | 'cards' | 'customers' | 'newCards' | 'newCustomers' | 'last4';

/** One day's approved amounts at a merchant: count, sum of amountLogMilli, sum of its squares. */
type AmountDay = [number, number, number];

/**
 * Everything kept about one customer, account, card, device, IP, merchant, BIN or BIN at a
 * merchant, so a score costs one cache lookup per entity; which indexes an entity uses follows the
 * Redis key layout (velocityKeys in redis-velocity.store.ts).
 */
class Entity {
  tx: TimeIndex | undefined;
  declines: TimeIndex | undefined;
  cards: TimeIndex | undefined;
  customers: TimeIndex | undefined;
  newCards: TimeIndex | undefined;
  newCustomers: TimeIndex | undefined;
  last4: TimeIndex | undefined;
  /** A merchant's amounts by day number (event time / DAY_MS). */
  amountDays: Map<number, AmountDay> | undefined;
  /** Earliest event time seen, for customers, accounts, cards, devices and IPs. */
  firstSeen = Number.POSITIVE_INFINITY;

  firstSeenBefore(at: number): number | null {
    return this.firstSeen < at ? this.firstSeen : null;
  }

  see(at: number): void {
    // Keep the earliest event time: a late, older event moves "first seen" back, never forward.
    if (at < this.firstSeen) this.firstSeen = at;
  }
}

const countIn = (index: TimeIndex | undefined, from: number, to: number) => (index ? index.count(from, to) : 0);

/** Members last seen from `since` on, plus `member` itself when it is not among them. */
function distinct(index: TimeIndex | undefined, since: number, member: string | null): number {
  const n = index ? index.count(since) : 0;
  if (member === null) return n;
  const last = index?.score(member);
  return n + (last === undefined || last < since ? 1 : 0);
}

/** Members of `index` in [from, at], this transaction's own `member` left out. */
function others(index: TimeIndex | undefined, from: number, at: number, member: string | null): number {
  if (!index) return 0;
  const own = member === null ? undefined : index.score(member);
  return index.count(from, at) - (own !== undefined && own >= from && own <= at ? 1 : 0);
}

/** `rest` with the entity's burst counts added (assigned, not spread: a spread copy made a dictionary object per entity). */
function withBurst<T extends object>(
  rest: T,
  entity: Entity | null,
  at: number,
  card: string | null,
  customer: string | null,
): T & BurstCounts {
  const tenMinutes = at - TEN_MINUTES_MS;
  const hour = at - HOUR_MS;
  const out = rest as T & BurstCounts;
  out.newCards10m = others(entity?.newCards, tenMinutes, at, card);
  out.newCards1h = others(entity?.newCards, hour, at, card);
  out.newCustomers10m = others(entity?.newCustomers, tenMinutes, at, customer);
  out.newCustomers1h = others(entity?.newCustomers, hour, at, customer);
  out.declines10m = countIn(entity?.declines, tenMinutes, at);
  out.declines1h = countIn(entity?.declines, hour, at);
  return out;
}

/** `value` is given by the one index that sums values (a customer's transaction amounts); answers whether the member is new. */
function record(
  entity: Entity,
  name: IndexName,
  retention: RetentionClass,
  member: string,
  at: number,
  mode: 'set' | 'max',
  value?: number,
): boolean {
  const index = (entity[name] ??= new TimeIndex(value !== undefined));
  const fresh = index.add(member, at, mode, value, at - RETENTION_MS[retention]);
  index.trimBefore(at - RETENTION_MS[retention]);
  return fresh;
}

function amountStats(merchant: Entity | null, at: number): VelocitySnapshot['merchant']['amounts'] {
  const out = { count: 0, sumLogMilli: 0, sumSqLogMilli: 0 };
  const days = merchant?.amountDays;
  if (!days) return out;
  const today = Math.floor(at / DAY_MS);
  for (let d = today - AMOUNT_DAYS; d <= today; d++) {
    const day = days.get(d);
    if (!day) continue;
    out.count += day[0];
    out.sumLogMilli += day[1];
    out.sumSqLogMilli += day[2];
  }
  return out;
}

function recordAmount(merchant: Entity, at: number, amountUsdMinor: number): void {
  const days = (merchant.amountDays ??= new Map());
  const today = Math.floor(at / DAY_MS);
  const l = amountLogMilli(amountUsdMinor);
  const day = days.get(today);
  if (day) {
    day[0] += 1;
    day[1] += l;
    day[2] += l * l;
  } else days.set(today, [1, l, l * l]);
  // Days the window can no longer reach (a late event may still add to a recent one).
  for (const d of days.keys()) if (d < today - AMOUNT_DAYS - 1) days.delete(d);
}

/** Other cards of the BIN at the merchant in the last 10 minutes whose last 4 is within SEQUENCE_SPAN of this one. */
function sequence(merchantBin: Entity | null, at: number, last4: string | null): number {
  if (!merchantBin?.last4 || last4 === null) return 0;
  const mine = Number(last4);
  let n = 0;
  merchantBin.last4.forEachIn(at - TEN_MINUTES_MS, at, (other) => {
    const d = Math.abs(Number(other) - mine);
    if (d > 0 && d <= SEQUENCE_SPAN) n++;
  });
  return n;
}

/**
 * The embedded velocity history: per-entity time indexes in an LRU, so memory stays bounded by the
 * number of active entities however long the process runs.
 */
export class MemoryVelocityStore implements VelocityStore {
  readonly kind = 'memory' as const;
  private readonly entities: LRUCache<string, Entity>;

  /** How many entities it holds, and how many before the least recently seen is evicted (the metrics' gauges). */
  readonly heldKeys: { size(): number; max: number };

  constructor(maxEntities = 1_000_000) {
    // Bounded by a size of one per entity, not `max`: with `max` lru-cache allocates its arrays for all
    // of them up front (~27 MB for a million, held by an idle server); these grow with the entities held.
    this.entities = new LRUCache({ maxSize: maxEntities, sizeCalculation: () => 1 });
    this.heldKeys = { size: () => this.entities.size, max: maxEntities };
  }

  async recordDecline(e: VelocityEvent): Promise<void> {
    this.writeDecline(e, this.declineEntities(e));
  }

  async close(): Promise<void> {
    this.entities.clear();
  }

  async forgetCustomers(tenantId: string, customerKeys: string[]): Promise<number> {
    let forgotten = 0;
    for (const key of customerKeys)
      for (const kind of ['c', 'a']) if (this.entities.delete(`${tenantId}:${kind}:${key}`)) forgotten += 1;
    return forgotten;
  }

  /** Reads each entity's history up to the event, then records the event into it (entities never share indexes). */
  async observe(e: VelocityEvent): Promise<VelocitySnapshot> {
    const at = e.at;
    const tenMinutes = at - TEN_MINUTES_MS;
    const hour = at - HOUR_MS;
    const day = at - DAY_MS;
    const month = at - MONTH_MS;
    const bin = e.bin ?? null;
    const last4 = e.last4 ?? null;
    const customer = this.entity(e, 'c', e.customer);
    const account = this.entity(e, 'a', e.account ?? null);
    const card = this.entity(e, 'k', e.card);
    const device = this.entity(e, 'd', e.device);
    const ip = this.entity(e, 'i', e.ip);
    const merchant = this.entity(e, 'm', e.merchant);
    const binEntity = this.entity(e, 'b', bin);
    const merchantBin = this.entity(e, 'x', bin && e.merchant ? `${bin}:${e.merchant}` : null);

    const customerFirstSeen = customer?.firstSeenBefore(at) ?? null;
    const accountFirstSeen = account?.firstSeenBefore(at) ?? null;
    const cardFirstSeen = card?.firstSeenBefore(at) ?? null;
    const newCard = card !== null && cardFirstSeen === null;
    const newCustomer = customer !== null && customerFirstSeen === null && accountFirstSeen === null;
    const ipCustomerLast = e.customer ? ip?.customers?.score(e.customer) : undefined;

    const snapshot: VelocitySnapshot = {
      customer: {
        // Counts and sums are added in below, from the customer's transactions in one pass.
        count1h: 0,
        count24h: 0,
        count7d: 0,
        count30d: 0,
        amountUsdMinor1h: 0,
        amountUsdMinor24h: 0,
        amountUsdMinor7d: 0,
        amountUsdMinor30d: 0,
        declines1h: countIn(customer?.declines, hour, at),
        distinctCards24h: distinct(customer?.cards, day, e.card),
        seenBefore: customerFirstSeen !== null,
        firstSeenAt: customerFirstSeen,
      },
      account: { firstSeenAt: accountFirstSeen },
      card: {
        count1h: countIn(card?.tx, hour, at),
        declines1h: countIn(card?.declines, hour, at),
        seenBefore: cardFirstSeen !== null,
        firstSeenAt: cardFirstSeen,
      },
      device: withBurst(
        {
          distinctCards24h: distinct(device?.cards, day, e.card),
          distinctCustomers24h: distinct(device?.customers, day, e.customer),
          newCustomers24h: others(device?.newCustomers, day, at, e.customer),
          seenBefore: device?.firstSeenBefore(at) != null,
          firstSeenAt: device?.firstSeenBefore(at) ?? null,
        },
        device,
        at,
        e.card,
        e.customer,
      ),
      ip: withBurst(
        {
          count1h: countIn(ip?.tx, hour, at),
          distinctCustomers24h: distinct(ip?.customers, day, e.customer),
          distinctCustomers30d: distinct(ip?.customers, month, e.customer),
          newCustomers24h: others(ip?.newCustomers, day, at, e.customer),
          customerSeenBefore: ipCustomerLast !== undefined && ipCustomerLast < at && ipCustomerLast >= month,
          firstSeenAt: ip?.firstSeenBefore(at) ?? null,
        },
        ip,
        at,
        e.card,
        e.customer,
      ),
      merchant: withBurst(
        {
          count10m: countIn(merchant?.tx, tenMinutes, at),
          count1h: countIn(merchant?.tx, hour, at),
          amounts: amountStats(merchant, at),
        },
        merchant,
        at,
        e.card,
        e.customer,
      ),
      bin: withBurst({}, binEntity, at, e.card, e.customer),
      merchantBin: { count1h: countIn(merchantBin?.tx, hour, at), sequence10m: sequence(merchantBin, at, last4) },
    };
    customer?.tx?.addWindows(at, snapshot.customer);

    if (customer) {
      // The same member as in Redis (id and amount), so a re-score with another amount counts as Redis counts it.
      record(
        customer,
        'tx',
        'month',
        txMember(e.transactionId, e.amountUsdMinor),
        at,
        'set',
        Math.round(e.amountUsdMinor),
      );
      if (e.card) record(customer, 'cards', 'day', e.card, at, 'max');
      customer.see(at);
    }
    account?.see(at);
    if (card) {
      record(card, 'tx', 'hour', e.transactionId, at, 'set');
      card.see(at);
    }
    // Where a new card or a new customer showed up: the burst indexes of the entities it came through.
    for (const entity of [device, ip, merchant, binEntity]) {
      if (!entity) continue;
      if (newCard) record(entity, 'newCards', 'hour', e.card!, at, 'max');
      if (newCustomer)
        record(entity, 'newCustomers', entity === device || entity === ip ? 'day' : 'hour', e.customer!, at, 'max');
    }
    if (device) {
      if (e.card) record(device, 'cards', 'day', e.card, at, 'max');
      if (e.customer) record(device, 'customers', 'day', e.customer, at, 'max');
      device.see(at);
    }
    if (ip) {
      record(ip, 'tx', 'hour', e.transactionId, at, 'set');
      if (e.customer) record(ip, 'customers', 'month', e.customer, at, 'max');
      ip.see(at);
    }
    if (merchant) {
      const fresh = record(merchant, 'tx', 'hour', e.transactionId, at, 'set');
      // A merchant's amount distribution is what it takes: declined attempts (card testing) stay out.
      if (fresh && !e.declined) recordAmount(merchant, at, e.amountUsdMinor);
    }
    if (merchantBin) {
      record(merchantBin, 'tx', 'hour', e.transactionId, at, 'set');
      if (last4 !== null) record(merchantBin, 'last4', 'hour', last4, at, 'max');
    }
    if (e.declined) this.writeDecline(e, [customer, card, merchant, device, ip, binEntity]);
    return snapshot;
  }

  /** Declines are counted per customer, card, merchant, device, IP and BIN. */
  private declineEntities(e: VelocityEvent): (Entity | null)[] {
    return [
      this.entity(e, 'c', e.customer),
      this.entity(e, 'k', e.card),
      this.entity(e, 'm', e.merchant),
      this.entity(e, 'd', e.device),
      this.entity(e, 'i', e.ip),
      this.entity(e, 'b', e.bin ?? null),
    ];
  }

  private writeDecline(e: VelocityEvent, entities: (Entity | null)[]): void {
    for (const entity of entities) if (entity) record(entity, 'declines', 'hour', e.transactionId, e.at, 'set');
  }

  /** The entity's history, created on first sight; null when the transaction does not name it. */
  private entity(
    e: VelocityEvent,
    kind: 'c' | 'a' | 'k' | 'd' | 'i' | 'm' | 'b' | 'x',
    id: string | null,
  ): Entity | null {
    if (!id) return null;
    const key = `${e.tenantId}:${kind}:${id}`;
    let entity = this.entities.get(key);
    if (!entity) {
      entity = new Entity();
      this.entities.set(key, entity);
    }
    return entity;
  }
}
