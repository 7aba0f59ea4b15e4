/**
 * A labelled payment stream written blind: modelled from the public API contract (docs/api.md, the
 * score and label schemas) and from how payment fraud works, without reading the risk rules, their
 * features or the project's own simulator, so it can tell whether the defaults catch attacks in
 * general or only the simulator's. The stream is pure and seeded; `runBlindStream` posts it through
 * `POST /v1/risk/score/batch` in event-time order, with chargebacks arriving through
 * `POST /v1/risk/labels` days after the fraud, as a merchant's would, and reports per scenario.
 *
 * `node --import tsx bench/blind-stream.ts --seeds 1-5,301-305` (or `BENCH_BLIND_SEEDS=… npm run
 * bench -- blind-stream`) starts a real embedded server, one tenant per seed, and reports the seeds
 * by hundreds. Tuned on 1–5 and 101–105 (the first held-out set, looked at once it had been
 * measured); 301–305 are held out (docs/benchmarks.md, "A stream written blind").
 */
import { loadavg } from 'node:os';
import { startEmbeddedPaylens } from './lib.js';

// ---------------------------------------------------------------------------------------------
// Randomness

type Rng = () => number;

function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
const chance = (rng: Rng, p: number) => rng() < p;
function normal(rng: Rng): number {
  const u = Math.max(1e-12, rng());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
const lognormal = (rng: Rng, median: number, sigma: number) => median * Math.exp(sigma * normal(rng));
const exponential = (rng: Rng, mean: number) => -Math.log(Math.max(1e-12, 1 - rng())) * mean;
function weighted<T>(rng: Rng, items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let r = rng() * total;
  for (const [item, w] of items) if ((r -= w) <= 0) return item;
  return items[items.length - 1]![0];
}
const hex = (rng: Rng, n: number) => Array.from({ length: n }, () => Math.floor(rng() * 16).toString(16)).join('');
const digits = (rng: Rng, n: number) => Array.from({ length: n }, () => Math.floor(rng() * 10)).join('');

// ---------------------------------------------------------------------------------------------
// The world: countries, merchants, cards, addresses, e-mail shapes

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The stream starts here; the first HISTORY_DAYS are history (not measured), the rest is measured. */
const T0 = Date.parse('2026-03-02T00:00:00Z');
const HISTORY_DAYS = 14;
const MEASURED_DAYS = 14;
const EVAL_START = T0 + HISTORY_DAYS * DAY;
const END = EVAL_START + MEASURED_DAYS * DAY;

const countries = ['US', 'GB', 'DE', 'FR', 'ES', 'BR'] as const;
type Country = (typeof countries)[number];
const currencyOf: Record<Country, string> = { US: 'USD', GB: 'GBP', DE: 'EUR', FR: 'EUR', ES: 'EUR', BR: 'BRL' };
/** Units of the currency per USD, roughly. */
const perUsd: Record<string, number> = { USD: 1, GBP: 0.79, EUR: 0.92, BRL: 5.0 };
const countryWeights: (readonly [Country, number])[] = [
  ['US', 40],
  ['GB', 15],
  ['DE', 15],
  ['FR', 12],
  ['ES', 8],
  ['BR', 10],
];

const categories = {
  grocery: 38,
  restaurant: 27,
  fashion: 85,
  electronics: 240,
  home: 130,
  travel: 420,
  digital: 14,
  donations: 25,
} as const;
type Category = keyof typeof categories;

interface Merchant {
  id: string;
  country: Country;
  category: Category;
  /** Card-present terminals send only the card, the amount and the merchant. */
  pos: boolean;
  sendsDevice: boolean;
  sendsCustomerId: boolean;
  /** Scores after the issuer answered (passes outcome) instead of before authorizing. */
  postAuth: boolean;
  popularity: number;
}

const firstNames = [
  'james',
  'mary',
  'john',
  'patricia',
  'robert',
  'jennifer',
  'michael',
  'linda',
  'david',
  'elizabeth',
  'william',
  'susan',
  'thomas',
  'sarah',
  'daniel',
  'karen',
  'matthew',
  'emily',
  'anthony',
  'jessica',
  'oliver',
  'amelia',
  'harry',
  'isla',
  'george',
  'ava',
  'jack',
  'sophie',
  'lukas',
  'lena',
  'jonas',
  'hannah',
  'felix',
  'mia',
  'leon',
  'clara',
  'lucas',
  'chloe',
  'hugo',
  'manon',
  'louis',
  'camille',
  'pablo',
  'lucia',
  'javier',
  'carmen',
  'alejandro',
  'sofia',
  'joao',
  'ana',
  'pedro',
  'beatriz',
  'gabriel',
  'larissa',
  'rafael',
  'juliana',
  'wei',
  'priya',
  'arjun',
  'fatima',
  'mohamed',
  'yusuf',
  'aisha',
  'kenji',
  'yuki',
  'olga',
  'dmitri',
  'nikos',
  'eleni',
  'siobhan',
  'niamh',
  'bjorn',
];
const lastNames = [
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
  'wilson',
  'anderson',
  'taylor',
  'thomas',
  'moore',
  'jackson',
  'white',
  'harris',
  'clark',
  'lewis',
  'evans',
  'walker',
  'wright',
  'hughes',
  'muller',
  'schmidt',
  'schneider',
  'fischer',
  'weber',
  'meyer',
  'wagner',
  'becker',
  'martin',
  'bernard',
  'dubois',
  'durand',
  'lefebvre',
  'moreau',
  'laurent',
  'fernandez',
  'lopez',
  'sanchez',
  'perez',
  'gomez',
  'silva',
  'santos',
  'oliveira',
  'souza',
  'costa',
  'pereira',
  'almeida',
  'nguyen',
  'kim',
  'patel',
  'singh',
  'khan',
  'ali',
  'chen',
  'wang',
  'tanaka',
  'ivanova',
  'papadopoulos',
  'obrien',
  'murphy',
  'kowalski',
  'novak',
  'larsen',
  'jensen',
];
const freeMail: (readonly [string, number])[] = [
  ['gmail.com', 40],
  ['yahoo.com', 7],
  ['outlook.com', 7],
  ['hotmail.com', 8],
  ['icloud.com', 8],
  ['aol.com', 2],
  ['protonmail.com', 2],
  ['live.com', 2],
];
const localMail: Record<Country, string[]> = {
  US: ['comcast.net', 'att.net', 'verizon.net'],
  GB: ['btinternet.com', 'sky.com', 'yahoo.co.uk'],
  DE: ['gmx.de', 'web.de', 't-online.de'],
  FR: ['orange.fr', 'free.fr', 'laposte.net'],
  ES: ['telefonica.net', 'yahoo.es', 'hotmail.es'],
  BR: ['uol.com.br', 'bol.com.br', 'terra.com.br'],
};
/** Throwaway-address services, from memory: some are surely on any maintained list, some perhaps not. */
const disposableDomains = [
  'mailinator.com',
  'guerrillamail.com',
  '10minutemail.com',
  'yopmail.com',
  'temp-mail.org',
  'trashmail.com',
  'sharklasers.com',
  'getnada.com',
  'maildrop.cc',
  'dispostable.com',
  'throwawaymail.com',
  'mailnesia.com',
  'fakeinbox.com',
  'tempail.com',
  'emailondeck.com',
  'burnermail.io',
  'mohmal.com',
  'spamgourmet.com',
];

/** A person's address: mostly name-shaped, sometimes a handle that looks random (real people have those too). */
function personEmail(rng: Rng, country: Country, first: string, last: string): string {
  const yy = String(int(rng, 60, 99 + 6) % 100).padStart(2, '0');
  const local = weighted<() => string>(rng, [
    [() => `${first}.${last}`, 25],
    [() => `${first}${last}`, 12],
    [() => `${first}_${last}`, 5],
    [() => `${first[0]}${last}`, 10],
    [() => `${first[0]}.${last}`, 5],
    [() => `${first}.${last}${int(rng, 1, 99)}`, 10],
    [() => `${first}${last}${yy}`, 8],
    [() => `${last}.${first}`, 4],
    [() => `${first}${yy}`, 6],
    [() => `${first}.${last[0]}`, 4],
    [() => `${first}${int(rng, 100, 9999)}`, 4],
    // Handles: gamer tags, initials and years, keyboard-ish nicknames.
    [() => `${pick(rng, ['dj', 'mr', 'the', 'xx', 'im'])}${first.slice(0, 3)}${int(rng, 1, 999)}`, 3],
    [() => `${first[0]}${last[0]}${pick(rng, ['k', 'x', 'z', 'q'])}${yy}`, 2],
  ])();
  const domain = chance(rng, 0.2) ? pick(rng, localMail[country]) : weighted(rng, freeMail);
  return `${local}@${domain}`;
}

/** A throwaway address a fraudster types or a script makes. */
function fraudEmail(rng: Rng, disposableShare: number): string {
  const local = weighted<() => string>(rng, [
    [
      () =>
        Array.from({ length: int(rng, 7, 12) }, () => pick(rng, [...'abcdefghijklmnopqrstuvwxyz0123456789'])).join(''),
      45,
    ],
    [() => Array.from({ length: int(rng, 6, 10) }, () => pick(rng, [...'bcdfghjklmnpqrstvwxz'])).join(''), 20],
    [() => `${pick(rng, firstNames)}${digits(rng, int(rng, 4, 6))}`, 25],
    [() => `${pick(rng, ['user', 'buyer', 'shop', 'order', 'test'])}${digits(rng, 5)}`, 10],
  ])();
  const domain = chance(rng, disposableShare) ? pick(rng, disposableDomains) : weighted(rng, freeMail);
  return `${local}@${domain}`;
}

// ---------------------------------------------------------------------------------------------
// The stream

export type BlindScenario =
  | 'ordinary'
  | 'first_time'
  | 'card_testing_one_ip'
  | 'card_testing_spread'
  | 'account_takeover_abroad'
  | 'account_takeover_proxy'
  | 'stolen_card_new_account'
  | 'compromised_merchant';

export const blindScenarios: readonly BlindScenario[] = [
  'ordinary',
  'first_time',
  'card_testing_one_ip',
  'card_testing_spread',
  'account_takeover_abroad',
  'account_takeover_proxy',
  'stolen_card_new_account',
  'compromised_merchant',
];

export interface ScoreBody {
  transactionId: string;
  amount: { minor: number; currency: string };
  customer?: { id?: string; email?: string };
  card: { bin: string; last4: string; country: string; fingerprint?: string };
  ip?: string;
  ipCountry?: string;
  deviceId?: string;
  merchant: { id: string; country: string };
  occurredAt: string;
  outcome?: 'approved' | 'declined';
}

export interface BlindTransaction {
  at: number;
  body: ScoreBody;
  scenario: BlindScenario;
  fraud: boolean;
  /** In the measured window (the first HISTORY_DAYS are history). */
  measured: boolean;
  /** When the merchant learns it was fraud (a chargeback), if it ever does within the stream. */
  labelAt?: number;
  /** Card testing: the attempt's place in its burst, from 1. */
  burstIndex?: number;
  /** At the compromised merchant. */
  atCompromisedMerchant?: boolean;
}

export interface BlindStream {
  seed: number;
  transactions: BlindTransaction[];
  compromisedMerchant: string;
}

interface Card {
  bin: string;
  last4: string;
  country: Country;
  fingerprint: string;
}

interface Customer {
  n: number;
  country: Country;
  email: string;
  cards: Card[];
  devices: string[];
  homeIp: string;
  /** Carrier-NAT addresses of the customer's mobile operator, shared with hundreds of others. */
  carrier: string[];
  mobileShare: number;
  perDay: number;
  /** Median ticket, USD, as a multiple of a merchant category's median. */
  spendFactor: number;
  favourites: Merchant[];
  trip?: { from: number; to: number; country: Country; ip: string };
  newPhoneAt?: number;
  newPhone?: string;
  newCardAt?: number;
}

export function generateBlindStream(seed: number, scale = 1): BlindStream {
  const rng = mulberry32(seed * 7919 + 17);
  const txs: BlindTransaction[] = [];
  let txN = 0;
  const id = (prefix: string) => `${prefix}-${seed}-${++txN}`;
  const iso = (t: number) => new Date(t).toISOString();

  const binsOf = new Map<Country, string[]>();
  for (const c of countries)
    binsOf.set(
      c,
      Array.from({ length: 10 }, () => `${pick(rng, ['4', '5', '4', '2'])}${digits(rng, 5)}`),
    );
  const newCard = (country: Country, bin?: string): Card => ({
    bin: bin ?? pick(rng, binsOf.get(country)!),
    last4: digits(rng, 4),
    country,
    fingerprint: `fp_${hex(rng, 16)}`,
  });
  const ipIn = (country: Country) => {
    const first: Record<Country, number[]> = {
      US: [24, 67, 73, 98, 174],
      GB: [81, 86, 90, 109],
      DE: [77, 84, 91, 93],
      FR: [82, 86, 90, 176],
      ES: [79, 83, 88, 95],
      BR: [177, 179, 186, 189],
    };
    return `${pick(rng, first[country])}.${int(rng, 0, 255)}.${int(rng, 0, 255)}.${int(rng, 1, 254)}`;
  };
  const datacenterIp = () =>
    `${pick(rng, [45, 104, 138, 146, 159, 167, 185, 193])}.${int(rng, 0, 255)}.${int(rng, 0, 255)}.${int(rng, 1, 254)}`;
  const device = () => `${pick(rng, ['ios', 'and', 'web'])}-${hex(rng, 16)}`;
  const carriers = new Map<Country, string[][]>();
  for (const c of countries)
    carriers.set(
      c,
      Array.from({ length: 3 }, () => Array.from({ length: 4 }, () => ipIn(c))),
    );

  // Merchants: Zipf-popular, per country and category.
  const merchants: Merchant[] = [];
  const categoryList = Object.keys(categories) as Category[];
  for (let i = 0; i < 48; i++) {
    const category = i < categoryList.length ? categoryList[i]! : pick(rng, categoryList);
    const pos = (category === 'grocery' || category === 'restaurant') && chance(rng, 0.5);
    merchants.push({
      id: `m-${seed}-${i}-${hex(rng, 4)}`,
      country: weighted(rng, countryWeights),
      category,
      pos,
      sendsDevice: !pos && chance(rng, 0.85),
      sendsCustomerId: !pos && chance(rng, 0.6),
      postAuth: chance(rng, 0.3),
      popularity: 1 / (i + 1) ** 0.8,
    });
  }
  const merchantsIn = (country: Country) => merchants.filter((m) => m.country === country);
  const popularPick = (list: Merchant[]) =>
    weighted(
      rng,
      list.map((m) => [m, m.popularity] as const),
    );
  const usdToMinor = (usd: number, currency: string) => Math.max(50, Math.round(usd * (perUsd[currency] ?? 1) * 100));

  const body = (
    m: Merchant,
    at: number,
    usd: number,
    who: { email?: string; customerId?: string; card: Card; ip?: string; ipCountry?: string; deviceId?: string },
    outcome: 'approved' | 'declined',
    prefix: string,
  ): ScoreBody => {
    const currency = currencyOf[m.country];
    const out: ScoreBody = {
      transactionId: id(prefix),
      amount: { minor: usdToMinor(usd, currency), currency },
      card: { bin: who.card.bin, last4: who.card.last4, country: who.card.country, fingerprint: who.card.fingerprint },
      merchant: { id: m.id, country: m.country },
      occurredAt: iso(at),
    };
    if (!m.pos) {
      const customer: { id?: string; email?: string } = {};
      if (who.email) customer.email = who.email;
      if (m.sendsCustomerId && who.customerId) customer.id = `${m.id}:${who.customerId}`;
      if (customer.email || customer.id) out.customer = customer;
      if (who.ip) out.ip = who.ip;
      if (who.ipCountry) out.ipCountry = who.ipCountry;
      if (m.sendsDevice && who.deviceId) out.deviceId = who.deviceId;
    }
    if (m.postAuth) out.outcome = outcome;
    return out;
  };
  const hourOfDay = (t: number) => {
    // People shop in the day and evening: a draw of hour weighted to 8h–23h, local time ignored.
    const day = Math.floor((t - T0) / DAY);
    const hour = weighted(
      rng,
      Array.from({ length: 24 }, (_, h) => [h, h < 7 ? 1 : h < 9 ? 3 : 6] as const),
    );
    return T0 + day * DAY + hour * HOUR + Math.floor(rng() * HOUR);
  };

  // Ordinary customers, present from the start.
  const customers: Customer[] = [];
  const ordinaryCount = Math.round(500 * scale);
  for (let n = 0; n < ordinaryCount; n++) {
    const country = weighted(rng, countryWeights);
    const first = pick(rng, firstNames);
    const last = pick(rng, lastNames);
    const domestic = merchantsIn(country);
    const favourites = Array.from({ length: int(rng, 2, 6) }, () =>
      domestic.length > 0 && chance(rng, 0.75) ? popularPick(domestic) : popularPick(merchants),
    );
    const c: Customer = {
      n,
      country,
      email: personEmail(rng, country, first, last),
      cards: [newCard(country)],
      devices: Array.from({ length: chance(rng, 0.4) ? 2 : 1 }, device),
      homeIp: ipIn(country),
      carrier: pick(rng, carriers.get(country)!),
      mobileShare: chance(rng, 0.4) ? 0.8 : 0.25,
      perDay: lognormal(rng, 0.3, 0.6),
      spendFactor: lognormal(rng, 1, 0.45),
      favourites: [...new Set(favourites)],
    };
    if (chance(rng, 0.1)) {
      const from = T0 + int(rng, 3, HISTORY_DAYS + MEASURED_DAYS - 6) * DAY;
      const dest = pick(
        rng,
        countries.filter((x) => x !== country),
      );
      c.trip = { from, to: from + int(rng, 3, 7) * DAY, country: dest, ip: ipIn(dest) };
    }
    if (chance(rng, 0.08)) {
      c.newPhoneAt = T0 + int(rng, 4, HISTORY_DAYS + MEASURED_DAYS - 2) * DAY;
      c.newPhone = device();
    }
    if (chance(rng, 0.08)) c.newCardAt = T0 + int(rng, 4, HISTORY_DAYS + MEASURED_DAYS - 2) * DAY;
    customers.push(c);
  }
  const medianUsd = (c: Customer, m: Merchant) => categories[m.category] * c.spendFactor;

  for (const c of customers) {
    let t = T0 + exponential(rng, DAY / c.perDay);
    while (t < END) {
      const at = hourOfDay(t);
      const abroad = c.trip && at >= c.trip.from && at < c.trip.to ? c.trip : undefined;
      if (c.newCardAt !== undefined && at >= c.newCardAt && c.cards.length === 1) c.cards.push(newCard(c.country));
      const card = c.cards.length > 1 && chance(rng, 0.7) ? c.cards[1]! : c.cards[0]!;
      const phone = c.newPhone && c.newPhoneAt !== undefined && at >= c.newPhoneAt ? c.newPhone : c.devices[0]!;
      const mobile = abroad !== undefined || chance(rng, c.mobileShare);
      const deviceId = mobile ? phone : (c.devices[1] ?? phone);
      const ip = abroad
        ? chance(rng, 0.5)
          ? abroad.ip
          : ipIn(abroad.country)
        : mobile
          ? pick(rng, c.carrier)
          : c.homeIp;
      const ipCountry = abroad?.country ?? c.country;
      // Abroad, some purchases are at local shops there.
      const m =
        abroad && chance(rng, 0.4) && merchantsIn(abroad.country).length > 0
          ? popularPick(merchantsIn(abroad.country))
          : pick(rng, c.favourites);
      let usd = lognormal(rng, medianUsd(c, m), 0.45);
      if (chance(rng, 0.015)) usd *= 3 + rng() * 4;
      txs.push({
        at,
        body: body(
          m,
          at,
          usd,
          { email: c.email, customerId: `c${c.n}`, card, ip, ipCountry, deviceId },
          chance(rng, 0.03) ? 'declined' : 'approved',
          'ord',
        ),
        scenario: 'ordinary',
        fraud: false,
        measured: at >= EVAL_START,
      });
      t += exponential(rng, DAY / c.perDay);
    }
  }

  // Genuine first-time customers, arriving over the whole stream; big baskets happen.
  const firstTimers = Math.round(240 * scale);
  for (let i = 0; i < firstTimers; i++) {
    const country = weighted(rng, countryWeights);
    const first = pick(rng, firstNames);
    const last = pick(rng, lastNames);
    const email = personEmail(rng, country, first, last);
    const card = newCard(chance(rng, 0.05) ? pick(rng, countries) : country);
    const dev = device();
    const ip = chance(rng, 0.45) ? pick(rng, pick(rng, carriers.get(country)!)) : ipIn(country);
    const domestic = merchantsIn(country);
    const m = domestic.length > 0 && chance(rng, 0.8) ? popularPick(domestic) : popularPick(merchants);
    let at = hourOfDay(T0 + rng() * (HISTORY_DAYS + MEASURED_DAYS) * DAY);
    // Only customers who first come in the measured window count as first-time there.
    const measured = at >= EVAL_START;
    const visits = weighted(rng, [
      [1, 60],
      [2, 25],
      [3, 15],
    ]);
    for (let v = 0; v < visits && at < END; v++) {
      let usd = lognormal(rng, categories[m.category], 0.5);
      if (v === 0 && chance(rng, 0.2)) usd = Math.min(1500, categories[m.category] * (3 + rng() * 4));
      txs.push({
        at,
        body: body(
          m,
          at,
          usd,
          { email, customerId: `f${i}`, card, ip, ipCountry: country, deviceId: dev },
          chance(rng, 0.04) ? 'declined' : 'approved',
          'new',
        ),
        scenario: 'first_time',
        fraud: false,
        measured,
      });
      // A second attempt a few minutes later (a typo, a declined first try), or a return days later.
      at += chance(rng, 0.3) ? int(rng, 1, 8) * MINUTE : exponential(rng, 4 * DAY);
    }
  }

  const attackTime = () => EVAL_START + rng() * (MEASURED_DAYS - 1) * DAY;
  const smallTicket = merchants.filter((m) => !m.pos && (m.category === 'digital' || m.category === 'donations'));
  const bigTicket = merchants.filter(
    (m) => !m.pos && ['electronics', 'fashion', 'travel', 'digital', 'home'].includes(m.category),
  );

  // Card testing: a burst of tiny authorizations on many cards at one small-ticket merchant.
  const burst = (spread: boolean, n: number) => {
    const m = pick(rng, smallTicket.length > 0 ? smallTicket : merchants);
    const country = weighted(rng, countryWeights);
    const bins = Array.from({ length: int(rng, 1, 3) }, () => pick(rng, binsOf.get(country)!));
    const ips = spread
      ? Array.from({ length: 4 }, () => (chance(rng, 0.5) ? datacenterIp() : ipIn(country)))
      : [datacenterIp()];
    const ipCountry = spread ? country : pick(rng, ['US', 'NL', 'RU', 'VN', 'ID', 'UA']);
    const rotatesDevice = !spread && chance(rng, 0.4);
    const devices = spread ? Array.from({ length: 8 }, device) : [device()];
    const enumerates = chance(rng, 0.3);
    const emailStyle = pick(rng, ['none', 'random', 'same'] as const);
    const sameEmail = fraudEmail(rng, 0.5);
    let last4 = int(rng, 0, 9000);
    let at = attackTime();
    const gap = spread ? int(rng, 20, 70) : int(rng, 6, 25);
    for (let k = 1; k <= n; k++) {
      last4 = enumerates ? last4 + int(rng, 1, 3) : int(rng, 0, 9999);
      const card: Card = {
        ...newCard(country, pick(rng, bins)),
        last4: String(last4 % 10000).padStart(4, '0'),
      };
      const usd = weighted(rng, [
        [() => 1, 25],
        [() => 0.5 + rng() * 2, 50],
        [() => 2 + rng() * 4, 25],
      ])();
      const email = emailStyle === 'none' ? undefined : emailStyle === 'same' ? sameEmail : fraudEmail(rng, 0.3);
      txs.push({
        at,
        body: body(
          m,
          at,
          usd,
          {
            email,
            customerId: email ? `t${hex(rng, 6)}` : undefined,
            card,
            ip: pick(rng, ips),
            ipCountry,
            deviceId: rotatesDevice ? device() : pick(rng, devices),
          },
          chance(rng, 0.8) ? 'declined' : 'approved',
          'ct',
        ),
        scenario: spread ? 'card_testing_spread' : 'card_testing_one_ip',
        fraud: true,
        measured: true,
        burstIndex: k,
      });
      at += exponential(rng, gap * 1000) + 1000;
    }
  };
  for (let b = 0; b < Math.max(1, Math.round(2 * scale)); b++) burst(false, int(rng, 25, 60));
  for (let b = 0; b < Math.max(1, Math.round(2 * scale)); b++) burst(true, int(rng, 30, 60));

  // Account takeover: a known customer's account and saved card, a new device and address, 4–10× the ticket.
  const victims = customers.filter((c) => c.favourites.some((m) => !m.pos));
  const takeover = (proxy: boolean) => {
    const c = pick(rng, victims);
    const m = pick(
      rng,
      c.favourites.filter((x) => !x.pos),
    );
    const ipCountry = proxy
      ? c.country
      : pick(
          rng,
          ['NG', 'RU', 'VN', 'ID', 'RO', 'UA', 'BR', 'US'].filter((x) => x !== c.country),
        );
    const ip = proxy ? ipIn(c.country) : datacenterIp();
    const dev = device();
    let at = attackTime();
    const times = int(rng, 1, 4);
    for (let k = 0; k < times; k++) {
      const usd = medianUsd(c, m) * (4 + rng() * 6);
      const fraudAt = at;
      txs.push({
        at: fraudAt,
        body: body(
          m,
          fraudAt,
          usd,
          { email: c.email, customerId: `c${c.n}`, card: c.cards[0]!, ip, ipCountry, deviceId: dev },
          'approved',
          'ato',
        ),
        scenario: proxy ? 'account_takeover_proxy' : 'account_takeover_abroad',
        fraud: true,
        measured: true,
        labelAt: fraudAt + (5 + rng() * 40) * DAY,
      });
      at += int(rng, 3, 50) * MINUTE;
    }
  };
  for (let k = 0; k < Math.round(6 * scale); k++) takeover(false);
  for (let k = 0; k < Math.round(6 * scale); k++) takeover(true);

  // Stolen cards on brand-new accounts, worked by small rings: throwaway addresses, 300–1,000 USD.
  const rings = Math.max(1, Math.round(4 * scale));
  for (let r = 0; r < rings; r++) {
    const ringDevices = Array.from({ length: int(rng, 1, 3) }, device);
    const victimCountry = weighted(rng, countryWeights);
    const viaProxy = chance(rng, 0.5);
    let at = attackTime();
    const accounts = int(rng, 2, 5);
    for (let a = 0; a < accounts; a++) {
      const email = fraudEmail(rng, 0.6);
      const customerId = `s${hex(rng, 6)}`;
      const card = newCard(victimCountry);
      const dev = chance(rng, 0.5) ? pick(rng, ringDevices) : device();
      const ip = viaProxy ? ipIn(victimCountry) : datacenterIp();
      const ipCountry = viaProxy ? victimCountry : pick(rng, ['NG', 'RU', 'VN', 'ID', 'RO', 'UA', 'PK']);
      const domestic = bigTicket.filter((m) => m.country === victimCountry);
      const m = domestic.length > 0 && chance(rng, 0.6) ? pick(rng, domestic) : pick(rng, bigTicket);
      const tries = weighted(rng, [
        [1, 50],
        [2, 35],
        [3, 15],
      ]);
      let t = at;
      for (let k = 0; k < tries; k++) {
        txs.push({
          at: t,
          body: body(
            m,
            t,
            300 + rng() * 700,
            { email, customerId, card, ip, ipCountry, deviceId: dev },
            'approved',
            'stc',
          ),
          scenario: 'stolen_card_new_account',
          fraud: true,
          measured: true,
          labelAt: t + (10 + rng() * 40) * DAY,
        });
        t += int(rng, 2, 90) * MINUTE;
      }
      at += int(rng, 20, 600) * MINUTE;
    }
  }

  // A compromised card-present terminal: from day 4 a ring runs cloned cards through it, a share of
  // its traffic at ordinary amounts; chargebacks come back 2–8 days later, so its early frauds are
  // labelled before the measured window starts.
  const terminals = merchants.filter((m) => m.pos);
  const compromised = terminals.length > 0 ? terminals[Math.min(2, terminals.length - 1)]! : merchants[3]!;
  const compromisedAt = T0 + 4 * DAY;
  const frauds = Math.round(4 * scale);
  for (let t = compromisedAt + exponential(rng, DAY / frauds); t < END; t += exponential(rng, DAY / frauds)) {
    const at = hourOfDay(t);
    const victim = pick(rng, customers);
    const usd = lognormal(rng, categories[compromised.category] * 1.4, 0.5);
    txs.push({
      at,
      body: body(compromised, at, usd, { card: victim.cards[0]! }, 'approved', 'cm'),
      scenario: 'compromised_merchant',
      fraud: true,
      measured: at >= EVAL_START,
      labelAt: at + (2 + rng() * 6) * DAY,
      atCompromisedMerchant: true,
    });
  }
  for (const tx of txs) if (tx.body.merchant.id === compromised.id) tx.atCompromisedMerchant = true;

  txs.sort((a, b) => a.at - b.at);
  return { seed, transactions: txs, compromisedMerchant: compromised.id };
}

// ---------------------------------------------------------------------------------------------
// A naive four-rule scorer, for context

const naiveDisposable = new Set(disposableDomains.slice(0, 10));

/**
 * Four rules anyone would write first: amount above the 99th percentile of the history, a known
 * customer on a new device and a new address, more than 5 attempts from one IP or 3 on one card in
 * 10 minutes, a disposable e-mail domain. The score is the share of rules that fired.
 */
export function naiveScores(stream: BlindStream): number[] {
  const history = stream.transactions.filter((t) => !t.measured).map((t) => usdOf(t.body));
  history.sort((a, b) => a - b);
  const p99 = history[Math.floor(0.99 * history.length)] ?? Infinity;
  const seen = new Map<string, { devices: Set<string>; ips: Set<string> }>();
  const recent = new Map<string, number[]>();
  const countRecent = (key: string, at: number) => {
    const list = (recent.get(key) ?? []).filter((x) => x > at - 10 * MINUTE);
    list.push(at);
    recent.set(key, list);
    return list.length;
  };
  return stream.transactions.map((t) => {
    const b = t.body;
    let fired = 0;
    if (usdOf(b) > p99) fired++;
    const key = b.customer?.email ?? b.customer?.id;
    if (key) {
      const known = seen.get(key);
      if (known && b.deviceId && b.ip && !known.devices.has(b.deviceId) && !known.ips.has(b.ip)) fired++;
      const entry = known ?? { devices: new Set<string>(), ips: new Set<string>() };
      if (b.deviceId) entry.devices.add(b.deviceId);
      if (b.ip) entry.ips.add(b.ip);
      seen.set(key, entry);
    }
    const perIp = b.ip ? countRecent(`ip:${b.ip}`, t.at) : 0;
    const perCard = countRecent(`card:${b.card.bin}${b.card.last4}`, t.at);
    if (perIp > 5 || perCard > 3) fired++;
    const domain = b.customer?.email?.split('@')[1];
    if (domain && naiveDisposable.has(domain)) fired++;
    return fired / 4;
  });
}

function usdOf(b: ScoreBody): number {
  return b.amount.minor / 100 / (perUsd[b.amount.currency] ?? 1);
}

// ---------------------------------------------------------------------------------------------
// Metrics

/** ROC AUC by ranks, ties counted half. */
export function rocAuc(scores: number[], fraud: boolean[]): number {
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  let rankSumPos = 0;
  let pos = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && order[j]![0] === order[i]![0]) j++;
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) {
      if (!fraud[order[k]![1]]) continue;
      rankSumPos += rank;
      pos++;
    }
    i = j;
  }
  const neg = order.length - pos;
  return pos === 0 || neg === 0 ? Number.NaN : (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Average precision, a tie group taken at once (its precision at the group's end). */
export function averagePrecision(scores: number[], fraud: boolean[]): number {
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]);
  const positives = fraud.filter(Boolean).length;
  let tp = 0;
  let ap = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    let groupTp = 0;
    while (j < order.length && order[j]![0] === order[i]![0]) {
      if (fraud[order[j]![1]]) groupTp++;
      j++;
    }
    tp += groupTp;
    ap += (groupTp / positives) * (tp / j);
    i = j;
  }
  return positives === 0 ? Number.NaN : ap;
}

// ---------------------------------------------------------------------------------------------
// Running it through the API

export interface Api {
  post(path: string, body: unknown): Promise<{ status: number; json: unknown }>;
}

export interface Verdict {
  score: number;
  decision: 'approve' | 'review' | 'decline';
  reasons: string[];
}

export interface ScenarioRow {
  scenario: string;
  transactions: number;
  notApproved: number;
  meanScore: number;
}

export interface BlindResult {
  seed: number;
  rows: ScenarioRow[];
  rocAuc: number;
  averagePrecision: number;
  naive: { rocAuc: number; averagePrecision: number; rows: ScenarioRow[] };
  verdicts: Verdict[];
}

/** Scores the stream in event-time order, chargebacks posted once their time has come; then the figures. */
export async function runBlindStream(stream: BlindStream, api: Api, batchSize = 500): Promise<BlindResult> {
  const txs = stream.transactions;
  const labels = txs.filter((t) => t.labelAt !== undefined && t.labelAt < END).sort((a, b) => a.labelAt! - b.labelAt!);
  const verdicts: Verdict[] = [];
  let nextLabel = 0;
  let batch: BlindTransaction[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const res = await api.post('/v1/risk/score/batch', { transactions: batch.map((t) => t.body) });
    if (res.status !== 200) throw new Error(`score batch answered ${res.status}: ${JSON.stringify(res.json)}`);
    const results = (
      res.json as { results: { score: number; decision: Verdict['decision']; reasons: { code: string }[] }[] }
    ).results;
    for (const r of results)
      verdicts.push({ score: r.score, decision: r.decision, reasons: r.reasons.map((x) => x.code) });
    batch = [];
  };
  for (const t of txs) {
    if (nextLabel < labels.length && labels[nextLabel]!.labelAt! <= t.at) {
      await flush();
      while (nextLabel < labels.length && labels[nextLabel]!.labelAt! <= t.at) {
        const l = labels[nextLabel++]!;
        const res = await api.post('/v1/risk/labels', { transactionId: l.body.transactionId, label: 'chargeback' });
        if (res.status >= 300) throw new Error(`label answered ${res.status}: ${JSON.stringify(res.json)}`);
      }
    }
    batch.push(t);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  const naive = naiveScores(stream);
  const ours = verdicts.map((v) => v.score);
  const measured = txs.map((t, i) => [t, i] as const).filter(([t]) => t.measured);
  const ix = measured.map(([, i]) => i);
  const truth = ix.map((i) => txs[i]!.fraud);
  return {
    seed: stream.seed,
    rows: scenarioRows(
      stream,
      (i) => verdicts[i]!.decision !== 'approve',
      (i) => verdicts[i]!.score,
    ),
    rocAuc: rocAuc(
      ix.map((i) => ours[i]!),
      truth,
    ),
    averagePrecision: averagePrecision(
      ix.map((i) => ours[i]!),
      truth,
    ),
    naive: {
      rocAuc: rocAuc(
        ix.map((i) => naive[i]!),
        truth,
      ),
      averagePrecision: averagePrecision(
        ix.map((i) => naive[i]!),
        truth,
      ),
      rows: scenarioRows(
        stream,
        (i) => naive[i]! > 0,
        (i) => naive[i]!,
      ),
    },
    verdicts,
  };
}

/** Per scenario over the measured window, plus card testing after a burst's 10th attempt and the compromised merchant's frauds after its first labels. */
export function scenarioRows(
  stream: BlindStream,
  flagged: (i: number) => boolean,
  score: (i: number) => number,
): ScenarioRow[] {
  const txs = stream.transactions;
  const groups = new Map<string, number[]>();
  const add = (name: string, i: number) => groups.set(name, [...(groups.get(name) ?? []), i]);
  // The terminal counts as caught once the merchant had three of its frauds labelled.
  const labelTimes = txs
    .filter((t) => t.scenario === 'compromised_merchant' && t.labelAt !== undefined)
    .map((t) => t.labelAt!)
    .sort((a, b) => a - b);
  const caughtFrom = labelTimes[2] ?? Infinity;
  txs.forEach((t, i) => {
    if (!t.measured) return;
    add(t.scenario, i);
    if (t.burstIndex !== undefined && t.burstIndex > 10) add(`${t.scenario} after 10th`, i);
    if (t.scenario === 'compromised_merchant' && t.at >= caughtFrom) add('compromised_merchant after labels', i);
    if (t.scenario === 'ordinary')
      add(t.atCompromisedMerchant ? 'ordinary at the compromised merchant' : 'ordinary elsewhere', i);
  });
  const order = [
    ...blindScenarios.flatMap((s) => [s, `${s} after 10th`, `${s} after labels`]),
    'ordinary elsewhere',
    'ordinary at the compromised merchant',
  ];
  return order
    .filter((name) => groups.has(name))
    .map((name) => {
      const ix = groups.get(name)!;
      return {
        scenario: name,
        transactions: ix.length,
        notApproved: ix.filter(flagged).length,
        meanScore: ix.reduce((s, i) => s + score(i), 0) / ix.length,
      };
    });
}

/** The rows of several seeds added up. */
export function pooled(results: ScenarioRow[][]): ScenarioRow[] {
  const out = new Map<string, ScenarioRow>();
  for (const rows of results)
    for (const r of rows) {
      const o = out.get(r.scenario) ?? { scenario: r.scenario, transactions: 0, notApproved: 0, meanScore: 0 };
      o.meanScore = (o.meanScore * o.transactions + r.meanScore * r.transactions) / (o.transactions + r.transactions);
      o.transactions += r.transactions;
      o.notApproved += r.notApproved;
      out.set(r.scenario, o);
    }
  return [...out.values()];
}

// ---------------------------------------------------------------------------------------------
// CLI: a real server, one tenant per seed

const ADMIN = `blind-admin-${'x'.repeat(24)}`;

function parseSeeds(arg: string | undefined): number[] {
  const spec = arg ?? '1-5,301-305';
  return spec.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    return b === undefined ? [a!] : Array.from({ length: b - a! + 1 }, (_, i) => a! + i);
  });
}

function printRows(title: string, rows: ScenarioRow[], naive: ScenarioRow[]): void {
  console.log(`\n${title}`);
  console.log('| scenario | transactions | not approved | mean score | naive: not approved |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) {
    const n = naive.find((x) => x.scenario === r.scenario);
    const pct = (x: number, of: number) => `${x} (${((100 * x) / Math.max(1, of)).toFixed(1)} %)`;
    console.log(
      `| ${r.scenario} | ${r.transactions} | ${pct(r.notApproved, r.transactions)} | ${r.meanScore.toFixed(3)} | ${n ? pct(n.notApproved, n.transactions) : ''} |`,
    );
  }
}

export async function run(): Promise<void> {
  const argSeeds = process.argv.indexOf('--seeds');
  const seeds = parseSeeds(argSeeds >= 0 ? process.argv[argSeeds + 1] : process.env.BENCH_BLIND_SEEDS);
  const { base, stop } = await startEmbeddedPaylens('blind', { PAYLENS_ADMIN_TOKEN: ADMIN });
  const call = async (key: string, path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as unknown };
  };
  try {
    console.log(
      `# Blind stream — ${new Date().toISOString()}, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' / ')}`,
    );
    const results: BlindResult[] = [];
    for (const seed of seeds) {
      const created = await call(ADMIN, '/admin/v1/tenants', { name: `blind-${seed}` });
      const key = (created.json as { apiKey: string }).apiKey;
      const stream = generateBlindStream(seed);
      const started = performance.now();
      const result = await runBlindStream(stream, { post: (path, body) => call(key, path, body) });
      results.push(result);
      console.log(
        `seed ${seed}: ${stream.transactions.length} transactions in ${((performance.now() - started) / 1000).toFixed(1)} s; ROC AUC ${result.rocAuc.toFixed(3)}, AP ${result.averagePrecision.toFixed(3)}; naive ROC AUC ${result.naive.rocAuc.toFixed(3)}, AP ${result.naive.averagePrecision.toFixed(3)}`,
      );
    }
    // Seeds are reported by hundreds: 1–5 tuning, each later hundred a set held out until it is measured.
    const hundreds = [...new Set(results.map((r) => Math.floor(r.seed / 100)))];
    for (const hundred of hundreds) {
      const group = results.filter((r) => Math.floor(r.seed / 100) === hundred);
      const mean = (f: (r: BlindResult) => number) => (group.reduce((s, r) => s + f(r), 0) / group.length).toFixed(3);
      printRows(
        `## seeds ${group.map((r) => r.seed).join(', ')}: ROC AUC ${mean((r) => r.rocAuc)}, AP ${mean((r) => r.averagePrecision)} (naive ${mean((r) => r.naive.rocAuc)}, ${mean((r) => r.naive.averagePrecision)}), means over seeds`,
        pooled(group.map((r) => r.rows)),
        pooled(group.map((r) => r.naive.rows)),
      );
    }
    console.log(
      `\nload average at the end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' / ')}`,
    );
  } finally {
    await stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
