import { currencyExponent } from '../../normalize/index.js';
import type { ScoreRequest } from '../risk-subject.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../velocity/velocity-store.js';

/** What legitimate customers do, including what looks like fraud and is not. */
export const legitPatterns = ['normal', 'travel', 'new_device', 'big_purchase', 'shared_ip', 'first_time'] as const;
/** The attacks: each a scenario of its own, so rates can be read per attack. */
export const fraudPatterns = [
  'card_testing',
  'card_testing_spread',
  'account_takeover',
  'account_takeover_proxy',
  'stolen_card_new_account',
  'compromised_merchant',
  'amount_outlier',
] as const;
export const simPatterns = [...legitPatterns, ...fraudPatterns] as const;
export type SimPattern = (typeof simPatterns)[number];
export type FraudPattern = (typeof fraudPatterns)[number];

export interface SimOptions {
  customers: number;
  days: number;
  /** Share of all transactions that are fraudulent, 0–1. */
  fraudRate: number;
  seed: number;
  /** First simulated instant; fixed by default so a seed always yields the same traffic. */
  start?: Date;
}

export interface SimTransaction {
  request: ScoreRequest & { occurredAt: string };
  label: 'fraud' | 'legit';
  /** The scenario that made it. */
  pattern: SimPattern;
  /** Card-testing bursts: which burst, and the attempt's place in it (1 = first, in time order). */
  burst?: { id: string; attempt: number };
}

/** mulberry32: a tiny, well-distributed seeded PRNG; the generator draws every random choice from it. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** [country, currency, units per USD]; a repeated row weighs the draw (a quarter of customers are in the US). */
const homeCountries = [
  ['US', 'USD', 1],
  ['US', 'USD', 1],
  ['US', 'USD', 1],
  ['GB', 'GBP', 0.79],
  ['DE', 'EUR', 0.93],
  ['FR', 'EUR', 0.93],
  ['ES', 'EUR', 0.93],
  ['BR', 'BRL', 5.5],
  ['MX', 'MXN', 18],
  ['CA', 'CAD', 1.37],
  ['JP', 'JPY', 150],
  ['AU', 'AUD', 1.5],
] as const;
const fraudCountries = ['NG', 'RU', 'VN', 'ID', 'RO', 'UA', 'PK'];

const firstNames = [
  'maria',
  'john',
  'james',
  'mary',
  'robert',
  'patricia',
  'jennifer',
  'michael',
  'linda',
  'david',
  'elizabeth',
  'william',
  'susan',
  'joseph',
  'jessica',
  'thomas',
  'sarah',
  'karen',
  'christopher',
  'daniel',
  'lisa',
  'matthew',
  'ashley',
  'steven',
  'kimberly',
  'emily',
  'andrew',
  'michelle',
  'kevin',
  'amanda',
  'brian',
  'melissa',
  'jose',
  'juan',
  'luis',
  'carlos',
  'ana',
  'sofia',
  'lucia',
  'mateo',
  'valentina',
  'camila',
  'pedro',
  'diego',
  'wei',
  'ming',
  'hiroshi',
  'yuki',
  'sakura',
  'kenji',
  'priya',
  'rahul',
  'arjun',
  'aisha',
  'fatima',
  'ahmed',
  'omar',
  'olga',
  'dmitri',
  'natalia',
  'piotr',
  'agnieszka',
  'hans',
  'francois',
  'isabelle',
  'giulia',
  'marco',
  'chiara',
  'kwame',
  'ngozi',
  'tomasz',
  'bjorn',
  'astrid',
  'lars',
  'ingrid',
  'chloe',
  'lucas',
  'noah',
  'emma',
  'olivia',
  'liam',
  'mia',
];
const lastNames = [
  'lopez',
  'smith',
  'johnson',
  'williams',
  'brown',
  'jones',
  'garcia',
  'miller',
  'davis',
  'rodriguez',
  'martinez',
  'hernandez',
  'gonzalez',
  'wilson',
  'anderson',
  'taylor',
  'moore',
  'jackson',
  'martin',
  'lee',
  'perez',
  'thompson',
  'white',
  'harris',
  'sanchez',
  'clark',
  'ramirez',
  'lewis',
  'robinson',
  'walker',
  'young',
  'allen',
  'king',
  'wright',
  'scott',
  'torres',
  'nguyen',
  'hill',
  'flores',
  'green',
  'adams',
  'baker',
  'rivera',
  'campbell',
  'mitchell',
  'carter',
  'mueller',
  'schmidt',
  'schneider',
  'fischer',
  'weber',
  'kowalski',
  'nowak',
  'ivanov',
  'smirnov',
  'tanaka',
  'suzuki',
  'takahashi',
  'yamamoto',
  'kim',
  'park',
  'chen',
  'wang',
  'zhang',
  'liu',
  'singh',
  'kumar',
  'sharma',
  'patel',
  'okafor',
  'adeyemi',
  'mensah',
  'dubois',
  'moreau',
  'rossi',
  'ferrari',
  'silva',
  'santos',
  'oliveira',
  'costa',
  'jensen',
  'hansen',
  'murphy',
  'kelly',
  'sullivan',
];
/** Where real people's mail lives; repeated rows weigh the draw. */
const freeMailDomains = [
  'gmail.com',
  'gmail.com',
  'gmail.com',
  'gmail.com',
  'yahoo.com',
  'outlook.com',
  'hotmail.com',
  'icloud.com',
  'proton.me',
  'gmx.de',
  'yahoo.co.uk',
  'orange.fr',
  'uol.com.br',
];
/** Throwaway inboxes, all on the public disposable-domain lists. */
const disposableDomains = [
  'mailinator.com',
  'guerrillamail.com',
  'sharklasers.com',
  'yopmail.com',
  '10minutemail.com',
  'trashmail.com',
  'maildrop.cc',
  'dispostable.com',
  'getnada.com',
];

interface Card {
  bin: string;
  last4: string;
  country: string;
  fingerprint: string;
}

interface Customer {
  id: string;
  email: string;
  country: string;
  currency: string;
  fx: number;
  cards: Card[];
  devices: string[];
  /** Home broadband, or null for customers who mostly pay on a mobile network (a carrier-NAT address). */
  ip: string | null;
  usualUsd: number;
  perDay: number;
}

/**
 * Deterministic labelled traffic. Legitimate: ordinary customers (with travel, new phones, big
 * purchases, and a fifth of them on shared carrier-NAT addresses) and genuine first-time customers
 * (name-like addresses, some big baskets, some on carrier addresses). Fraud: card-testing bursts from
 * one device and IP or spread over many, account takeover from abroad or through a same-country
 * proxy, stolen cards on brand-new accounts, a compromised merchant worked by a small ring, and
 * amount outliers. Merchants and BINs are Zipf-popular, as real ones are. Same options and seed →
 * the same transactions, byte for byte.
 */
export function simulateTraffic(options: SimOptions): SimTransaction[] {
  const rnd = seededRandom(options.seed);
  const start = (options.start ?? new Date('2026-01-01T00:00:00Z')).getTime();
  const end = start + options.days * DAY_MS;
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rnd();
  const int = (lo: number, hi: number) => Math.floor(uniform(lo, hi + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const chance = (p: number) => rnd() < p;
  const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const digits = (n: number) => Array.from({ length: n }, () => int(0, 9)).join('');
  const ipOf = () => `${int(11, 199)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`;
  /** Index i drawn with weight 1/(i+1): a few items take most of the draws. */
  const zipf = <T>(items: readonly T[]): T => {
    const total = items.reduce((s, _, i) => s + 1 / (i + 1), 0);
    let r = rnd() * total;
    for (let i = 0; i < items.length; i++) if ((r -= 1 / (i + 1)) <= 0) return items[i]!;
    return items[items.length - 1]!;
  };
  const prefix = `sim${options.seed}`;
  let seq = 0;
  const nextId = () => `${prefix}_tx_${(++seq).toString(36).padStart(6, '0')}`;

  const bins = Array.from({ length: 80 }, () => ({
    bin: `${pick(['4', '4', '5', '5', '3'])}${digits(5)}`,
    country: pick(homeCountries)[0] as string,
  }));
  let cards = 0;
  const cardOf = (bin: string, country: string, last4 = digits(4)): Card => ({
    bin,
    last4,
    country,
    fingerprint: `${prefix}_fp_${++cards}_${digits(6)}`,
  });
  const homeCard = (country: string): Card => {
    const b = zipf(bins);
    return cardOf(b.bin, chance(0.96) ? country : b.country);
  };

  const usedEmails = new Set<string>();
  const personalEmail = () => {
    const f = pick(firstNames);
    const l = pick(lastNames);
    const year = () => String(int(1955, 2006));
    const local = pick([
      `${f}.${l}`,
      `${f}${l}`,
      `${f[0]}${l}`,
      `${f}.${l}${int(1, 99)}`,
      `${f}_${l}${year()}`,
      `${f}${l[0]}${int(1, 999)}`,
      `${l}.${f}`,
      `${f}.${l}${year().slice(2)}`,
    ]);
    let email = `${local}@${pick(freeMailDomains)}`;
    while (usedEmails.has(email)) email = `${local}${int(1, 9999)}@${pick(freeMailDomains)}`;
    usedEmails.add(email);
    return email;
  };
  const randomString = (n: number, alphabet: string) =>
    Array.from({ length: n }, () => alphabet[int(0, alphabet.length - 1)]).join('');
  /** What a fraudster signs up with: a disposable inbox, a random string at a free provider, or now and then a plausible name. */
  const throwawayEmail = () => {
    const roll = rnd();
    if (roll < 0.45)
      return `${pick([randomString(int(6, 10), 'abcdefghijklmnopqrstuvwxyz0123456789'), personalEmail().split('@')[0]!])}@${pick(disposableDomains)}`;
    if (roll < 0.9)
      return `${randomString(int(8, 12), chance(0.5) ? 'abcdefghijklmnopqrstuvwxyz' : 'abcdefghijklmnopqrstuvwxyz0123456789')}@${pick(freeMailDomains)}`;
    return personalEmail();
  };

  const merchants = Array.from({ length: 40 }, (_, i) => ({
    id: `${prefix}_mer_${i}`,
    country: pick(homeCountries)[0],
  }));
  const compromised = merchants[7]!;
  const merchant = () => zipf(merchants);
  /** Carrier-NAT addresses: a few per country, each shared by many customers for the whole period. */
  const carrierIps = new Map<string, string[]>(homeCountries.map(([c]) => [c, [ipOf(), ipOf()]]));
  const carrierIp = (country: string) => pick(carrierIps.get(country)!);

  const customers: Customer[] = Array.from({ length: options.customers }, (_, i) => {
    const [country, currency, fx] = pick(homeCountries);
    return {
      id: `${prefix}_cus_${i}`,
      email: personalEmail(),
      country,
      currency,
      fx,
      cards: Array.from({ length: chance(0.3) ? 2 : 1 }, () => homeCard(country)),
      devices: [`${prefix}_dev_${i}_0`],
      ip: chance(0.2) ? null : ipOf(),
      usualUsd: Math.exp(Math.log(45) + 0.8 * normal()),
      perDay: uniform(0.15, 1.2),
    };
  });

  const out: SimTransaction[] = [];
  const money = (usd: number, currency: string, fx: number) => ({
    minor: Math.max(1, Math.round(usd * fx * 10 ** currencyExponent(currency))),
    currency,
  });
  const push = (
    pattern: SimPattern,
    label: 'fraud' | 'legit',
    at: number,
    req: Omit<SimTransaction['request'], 'transactionId' | 'occurredAt'>,
    burst?: SimTransaction['burst'],
  ) => {
    out.push({
      pattern,
      label,
      request: { transactionId: nextId(), occurredAt: new Date(Math.min(at, end - 1)).toISOString(), ...req },
      ...(burst ? { burst } : {}),
    });
  };
  const dayTime = (day: number) => start + day * DAY_MS + Math.floor(uniform(7, 23.5) * HOUR_MS);

  // Ordinary traffic, customer by customer, day by day.
  for (const [i, c] of customers.entries()) {
    for (let day = 0; day < options.days; day++) {
      let n = 0;
      for (let p = rnd(); p < c.perDay / (n + 1) && n < 6; p = rnd()) n++;
      for (let k = 0; k < n; k++) {
        let pattern: SimPattern = c.ip === null ? 'shared_ip' : 'normal';
        let ipCountry = c.country;
        let ip =
          c.ip === null ? carrierIp(c.country) : chance(0.9) ? c.ip : chance(0.5) ? carrierIp(c.country) : ipOf();
        let device = pick(c.devices);
        let usd = c.usualUsd * Math.exp(0.45 * normal());
        const roll = rnd();
        if (roll < 0.02) {
          pattern = 'travel';
          ipCountry = pick(homeCountries.filter(([h]) => h !== c.country))[0];
          ip = chance(0.5) ? carrierIp(ipCountry) : ipOf();
        } else if (roll < 0.035) {
          // A new phone: a device never seen, on the home network, the carrier's, or one never seen either.
          pattern = 'new_device';
          device = `${prefix}_dev_${i}_${c.devices.length}`;
          c.devices.push(device);
          const network = rnd();
          ip = c.ip !== null && network < 0.4 ? c.ip : network < 0.7 ? carrierIp(c.country) : ipOf();
        } else if (roll < 0.045) {
          pattern = 'big_purchase';
          usd *= uniform(4, 10);
        }
        push(pattern, 'legit', dayTime(day), {
          amount: money(usd, c.currency, c.fx),
          customer: { id: c.id, email: c.email },
          card: pick(c.cards),
          ip,
          ipCountry,
          deviceId: device,
          merchant: merchant(),
          outcome: chance(0.04) ? 'declined' : 'approved',
        });
      }
    }
  }

  // Genuine first-time customers: a name-like address, a card, a device and an IP never seen; some
  // fill a big basket, some pay from abroad or on a carrier network, some come back within the hour.
  const firstTimers = Math.round(options.customers * 0.15);
  for (let f = 0; f < firstTimers; f++) {
    const [country, currency, fx] = pick(homeCountries);
    const card = homeCard(country);
    const abroad = chance(0.05);
    const ipCountry = abroad ? pick(homeCountries.filter(([h]) => h !== country))[0] : country;
    const ip = chance(0.3) ? carrierIp(ipCountry) : ipOf();
    const id = `${prefix}_new_${f}`;
    const email = personalEmail();
    const device = `${prefix}_newdev_${f}`;
    const t0 = dayTime(int(0, options.days - 1));
    const visits = chance(0.25) ? 2 : 1;
    for (let v = 0; v < visits; v++) {
      const basket = Math.exp(Math.log(45) + 0.8 * normal()) * (chance(0.2) ? uniform(3, 8) : 1);
      push('first_time', 'legit', t0 + v * int(5, 50) * MINUTE_MS, {
        amount: money(basket, currency, fx),
        customer: { id, email },
        card,
        ip,
        ipCountry,
        deviceId: device,
        merchant: merchant(),
        outcome: chance(0.05) ? 'declined' : 'approved',
      });
    }
  }

  const legitCount = out.length;
  const fraudTarget = Math.round((options.fraudRate / Math.max(1e-9, 1 - options.fraudRate)) * legitCount);
  const budget: Record<FraudPattern, number> = {
    card_testing: 0.15,
    card_testing_spread: 0.2,
    account_takeover: 0.12,
    account_takeover_proxy: 0.13,
    stolen_card_new_account: 0.15,
    compromised_merchant: 0.15,
    amount_outlier: 0.1,
  };
  const target = (p: FraudPattern) => Math.max(1, Math.round(fraudTarget * budget[p]));
  const randomTime = (fromDay = 0) =>
    start + Math.floor(uniform(Math.min(fromDay, options.days - 1) * DAY_MS, options.days * DAY_MS - HOUR_MS));
  const known = () => pick(customers);

  /**
   * Card testing: stolen card numbers tried with tiny amounts at one merchant, most declined (or no
   * outcome known, as when scored before authorization). Cards come from one to three BINs, half
   * the time enumerated (neighbouring last 4s); a few are tried twice. `spread` sends each attempt
   * from one of several IPs and devices, under a new throwaway account each time.
   */
  const cardTesting = (pattern: 'card_testing' | 'card_testing_spread', spread: boolean) => {
    for (let made = 0, burst = 0; made < target(pattern); burst++) {
      const attempts = Math.min(int(15, 60), target(pattern) - made);
      const t0 = randomTime();
      const duration = uniform(8, 40) * MINUTE_MS;
      const times = Array.from({ length: attempts }, () => t0 + Math.floor(rnd() * duration)).sort((a, b) => a - b);
      const burstBins = Array.from({ length: int(1, 3) }, () =>
        chance(0.5) ? zipf(bins) : { bin: `4${digits(5)}`, country: pick(homeCountries)[0] as string },
      );
      const enumerate = chance(0.5);
      const base = int(1000, 8000);
      const ips = Array.from({ length: spread ? int(3, 6) : 1 }, () => ipOf());
      const devices = Array.from(
        { length: spread ? int(4, 12) : 1 },
        (_, k) => `${prefix}_ct${pattern === 'card_testing' ? '' : 's'}_${burst}_${k}`,
      );
      const ipCountry = chance(0.5) ? pick(fraudCountries) : pick(homeCountries)[0];
      const withOutcome = chance(0.75);
      const declineRate = uniform(0.6, 0.95);
      const oneEmail = spread ? null : throwawayEmail();
      const target_ = pick(merchants);
      const tried: Card[] = [];
      for (let a = 0; a < attempts; a++, made++) {
        const b = pick(burstBins);
        const card =
          tried.length > 0 && chance(0.15)
            ? pick(tried)
            : cardOf(
                b.bin,
                b.country,
                enumerate
                  ? String(base + a * int(7, 13))
                      .padStart(4, '0')
                      .slice(-4)
                  : undefined,
              );
        tried.push(card);
        push(
          pattern,
          'fraud',
          times[a]!,
          {
            amount: money(uniform(0.5, 5), 'USD', 1),
            customer: { email: oneEmail ?? throwawayEmail() },
            card,
            ip: pick(ips),
            ipCountry,
            deviceId: pick(devices),
            merchant: target_,
            ...(withOutcome ? { outcome: chance(declineRate) ? ('declined' as const) : ('approved' as const) } : {}),
          },
          { id: `${pattern}_${burst}`, attempt: a + 1 },
        );
      }
    }
  };
  cardTesting('card_testing', false);
  cardTesting('card_testing_spread', true);

  /** Account takeover: a known customer's account and saved card, a new device and IP, far above the usual amount. */
  const takeover = (pattern: 'account_takeover' | 'account_takeover_proxy') => {
    for (let made = 0, n = 0; made < target(pattern); n++) {
      const c = known();
      const t0 = randomTime(3);
      const device = `${prefix}_${pattern === 'account_takeover' ? 'ato' : 'atp'}_${n}`;
      const ip = ipOf();
      // Through a proxy in the customer's own country, the country checks see nothing.
      const ipCountry = pattern === 'account_takeover' ? pick(fraudCountries) : c.country;
      const tries = Math.min(int(1, 3), target(pattern) - made);
      for (let a = 0; a < tries; a++, made++) {
        push(pattern, 'fraud', t0 + a * int(2, 20) * MINUTE_MS, {
          amount: money(c.usualUsd * uniform(4, 12), c.currency, c.fx),
          customer: { id: c.id, email: c.email },
          card: pick(c.cards),
          ip,
          ipCountry,
          deviceId: device,
          merchant: merchant(),
          outcome: chance(0.15) ? 'declined' : 'approved',
        });
      }
    }
  };
  takeover('account_takeover');
  takeover('account_takeover_proxy');

  // Stolen cards on brand-new accounts: a throwaway address, a card never seen (often issued abroad),
  // a fresh IP, 300–1,000 USD; one to three purchases within the hour, a third of the time from a
  // device the same fraudster already used for another new account.
  let fraudDevice = '';
  for (let made = 0, n = 0; made < target('stolen_card_new_account'); n++) {
    const ipCountry = chance(0.6) ? pick(homeCountries)[0] : pick(fraudCountries);
    const b = zipf(bins);
    const card = cardOf(b.bin, chance(0.5) ? ipCountry : b.country);
    if (n === 0 || chance(0.67)) fraudDevice = `${prefix}_stolen_${n}`;
    const account = { id: `${prefix}_acct_${n}`, email: throwawayEmail() };
    const ip = ipOf();
    const t0 = randomTime(1);
    const buys = Math.min(int(1, 3), target('stolen_card_new_account') - made);
    for (let k = 0; k < buys; k++, made++) {
      push('stolen_card_new_account', 'fraud', t0 + k * int(3, 25) * MINUTE_MS, {
        amount: money(uniform(300, 1000), 'USD', 1),
        customer: account,
        card,
        ip,
        ipCountry,
        deviceId: fraudDevice,
        merchant: merchant(),
        outcome: chance(0.2) ? 'declined' : 'approved',
      });
    }
  }

  // A compromised merchant: over a few days a small ring pushes many stolen cards through it.
  const ringDevices = Array.from({ length: 4 }, (_, k) => `${prefix}_ring_dev_${k}`);
  const ringIps = Array.from({ length: 3 }, () => ipOf());
  const attackStart = Math.floor(options.days / 2);
  for (let made = 0; made < target('compromised_merchant'); made++) {
    const cardCountry = pick(homeCountries)[0];
    const at =
      start + Math.floor(uniform(attackStart * DAY_MS, Math.min(options.days, attackStart + 3) * DAY_MS - HOUR_MS));
    push('compromised_merchant', 'fraud', at, {
      amount: money(uniform(80, 600), 'USD', 1),
      customer: { email: `${prefix}.buyer${made}@mailbox.example` },
      card: homeCard(cardCountry),
      ip: pick(ringIps),
      ipCountry: chance(0.5) ? cardCountry : pick(fraudCountries),
      deviceId: pick(ringDevices),
      merchant: compromised,
      outcome: chance(0.45) ? 'declined' : 'approved',
    });
  }

  // Amount outliers: a known card, a device never seen, the customer's own country, a huge amount.
  for (let made = 0; made < target('amount_outlier'); made++) {
    const c = known();
    push('amount_outlier', 'fraud', randomTime(3), {
      amount: money(c.usualUsd * uniform(10, 40), c.currency, c.fx),
      customer: { id: c.id, email: c.email },
      card: pick(c.cards),
      ip: ipOf(),
      ipCountry: c.country,
      deviceId: `${prefix}_out_${made}`,
      merchant: merchant(),
      outcome: chance(0.1) ? 'declined' : 'approved',
    });
  }

  return out.sort(
    (a, b) =>
      a.request.occurredAt.localeCompare(b.request.occurredAt) ||
      a.request.transactionId.localeCompare(b.request.transactionId),
  );
}
