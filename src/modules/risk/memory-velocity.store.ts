import { LRUCache } from 'lru-cache';
import { DAY_MS, HOUR_MS, RETENTION_MS, txMember, WEEK_MS, type RetentionClass, type VelocityEvent, type VelocitySnapshot, type VelocityStore } from './velocity-store.js';

/** Up to this many members, a scan of the members finds one faster than a Map would, and costs no memory. */
const SCAN_LIMIT = 16;

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

  /** mode: 'set' replaces the time, 'max' keeps the latest (Redis ZADD, ZADD GT). */
  add(member: string, at: number, mode: 'set' | 'max', value = 0): void {
    const current = this.score(member);
    if (current !== undefined) {
      if (current === at || (mode === 'max' && current >= at)) return;
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
    else if (n + 1 - this.head > SCAN_LIMIT) {
      this.byMember = new Map();
      for (let j = this.head; j <= n; j++) this.byMember.set(this.members[j]!, this.times[j]!);
    }
  }

  count(from: number, to: number = Number.POSITIVE_INFINITY): number {
    return this.lowerBound(to === Number.POSITIVE_INFINITY ? to : to + 1) - this.lowerBound(from);
  }

  /** Adds the counts and value sums in the 1 h / 24 h / 7 d windows ending at `at` (inclusive at both ends) into `out`. */
  addWindows(at: number, out: WindowSums): void {
    const day = at - DAY_MS;
    const hour = at - HOUR_MS;
    const values = this.values;
    for (let i = this.lowerBound(at - WEEK_MS); i < this.times.length && this.times[i]! <= at; i++) {
      const t = this.times[i]!;
      const v = values ? values[i]! : 0;
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
      this.times = this.times.slice(end);
      this.members = this.members.slice(end);
      if (this.values) this.values = this.values.slice(end);
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
type WindowSums = Pick<VelocitySnapshot['customer'], 'count1h' | 'count24h' | 'count7d' | 'amountUsdMinor1h' | 'amountUsdMinor24h' | 'amountUsdMinor7d'>;

/**
 * Everything kept about one customer, card, device, IP or merchant, so a score costs one cache
 * lookup per entity; which indexes an entity uses follows the Redis key layout (velocityKeys in redis-velocity.store.ts).
 */
class Entity {
  tx: TimeIndex | undefined;
  declines: TimeIndex | undefined;
  cards: TimeIndex | undefined;
  customers: TimeIndex | undefined;
  /** Earliest event time seen, for customers, cards and devices. */
  firstSeen = Number.POSITIVE_INFINITY;

  seenBefore(at: number): boolean {
    return this.firstSeen < at;
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

type IndexName = 'tx' | 'declines' | 'cards' | 'customers';

/** `value` is given by the one index that sums values (a customer's transaction amounts). */
function record(entity: Entity, name: IndexName, retention: RetentionClass, member: string, at: number, mode: 'set' | 'max', value?: number): void {
  const index = (entity[name] ??= new TimeIndex(value !== undefined));
  index.add(member, at, mode, value);
  index.trimBefore(at - RETENTION_MS[retention]);
}


/**
 * The embedded velocity history: per-entity time indexes in an LRU, so memory stays bounded by the
 * number of active entities however long the process runs.
 */
export class MemoryVelocityStore implements VelocityStore {
  readonly kind = 'memory' as const;
  private readonly entities: LRUCache<string, Entity>;

  constructor(maxEntities = 1_000_000) {
    this.entities = new LRUCache({ max: maxEntities });
  }

  async recordDecline(e: VelocityEvent): Promise<void> {
    this.writeDecline(e, this.entity(e, 'c', e.customer), this.entity(e, 'k', e.card), this.entity(e, 'm', e.merchant));
  }

  async close(): Promise<void> {
    this.entities.clear();
  }

  /** Reads each entity's history up to the event, then records the event into it (entities never share indexes). */
  async observe(e: VelocityEvent): Promise<VelocitySnapshot> {
    const at = e.at;
    const hour = at - HOUR_MS;
    const day = at - DAY_MS;
    const customer = this.entity(e, 'c', e.customer);
    const card = this.entity(e, 'k', e.card);
    const device = this.entity(e, 'd', e.device);
    const ip = this.entity(e, 'i', e.ip);
    const merchant = this.entity(e, 'm', e.merchant);

    const snapshot: VelocitySnapshot = {
      customer: {
        // Counts and sums are added in below, from the customer's transactions in one pass.
        count1h: 0,
        count24h: 0,
        count7d: 0,
        amountUsdMinor1h: 0,
        amountUsdMinor24h: 0,
        amountUsdMinor7d: 0,
        declines1h: countIn(customer?.declines, hour, at),
        distinctCards24h: distinct(customer?.cards, day, e.card),
        seenBefore: customer?.seenBefore(at) ?? false,
      },
      card: {
        count1h: countIn(card?.tx, hour, at),
        declines1h: countIn(card?.declines, hour, at),
        seenBefore: card?.seenBefore(at) ?? false,
      },
      device: {
        distinctCards24h: distinct(device?.cards, day, e.card),
        distinctCustomers24h: distinct(device?.customers, day, e.customer),
        seenBefore: device?.seenBefore(at) ?? false,
      },
      ip: { count1h: countIn(ip?.tx, hour, at), distinctCustomers24h: distinct(ip?.customers, day, e.customer) },
      merchant: { count1h: countIn(merchant?.tx, hour, at), declines1h: countIn(merchant?.declines, hour, at) },
    };
    customer?.tx?.addWindows(at, snapshot.customer);

    if (customer) {
      // The same member as in Redis (id and amount), so a re-score with another amount counts as Redis counts it.
      record(customer, 'tx', 'week', txMember(e.transactionId, e.amountUsdMinor), at, 'set', Math.round(e.amountUsdMinor));
      if (e.card) record(customer, 'cards', 'day', e.card, at, 'max');
      customer.see(at);
    }
    if (card) {
      record(card, 'tx', 'hour', e.transactionId, at, 'set');
      card.see(at);
    }
    if (device) {
      if (e.card) record(device, 'cards', 'day', e.card, at, 'max');
      if (e.customer) record(device, 'customers', 'day', e.customer, at, 'max');
      device.see(at);
    }
    if (ip) {
      record(ip, 'tx', 'hour', e.transactionId, at, 'set');
      if (e.customer) record(ip, 'customers', 'day', e.customer, at, 'max');
    }
    if (merchant) record(merchant, 'tx', 'hour', e.transactionId, at, 'set');
    if (e.declined) this.writeDecline(e, customer, card, merchant);
    return snapshot;
  }

  private writeDecline(e: VelocityEvent, customer: Entity | null, card: Entity | null, merchant: Entity | null): void {
    for (const entity of [customer, card, merchant]) if (entity) record(entity, 'declines', 'hour', e.transactionId, e.at, 'set');
  }

  /** The entity's history, created on first sight; null when the transaction does not name it. */
  private entity(e: VelocityEvent, kind: 'c' | 'k' | 'd' | 'i' | 'm', id: string | null): Entity | null {
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
