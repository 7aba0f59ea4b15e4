import { z } from 'zod';
import { featureNames, type Features } from '../features.js';
import type { Contribution } from '../model/risk-model.js';

export const riskLevels = ['low', 'medium', 'high', 'critical'] as const;
export const decisions = ['approve', 'review', 'decline'] as const;
export type RiskLevel = (typeof riskLevels)[number];
export type Decision = (typeof decisions)[number];

const conditionSchema = z.object({
  feature: z.enum(featureNames),
  op: z.enum(['gt', 'gte', 'lt', 'lte', 'eq', 'neq']),
  value: z.number().finite(),
});
export type Condition = z.infer<typeof conditionSchema>;

export const ruleSchema = conditionSchema.extend({
  id: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lowercase letters, digits and _, starting with a letter'),
  weight: z.number().min(0).max(1),
  message: z.string().min(1).max(300),
  enabled: z.boolean().default(true),
  /** Further conditions that must all hold too. */
  and: z.array(conditionSchema).max(8).default([]),
});
export type Rule = z.infer<typeof ruleSchema>;

export const thresholdsSchema = z
  .object({ medium: z.number().min(0).max(1), high: z.number().min(0).max(1), critical: z.number().min(0).max(1) })
  .refine((t) => t.medium < t.high && t.high < t.critical, {
    message: 'thresholds must rise: medium < high < critical',
  });
export type Thresholds = z.infer<typeof thresholdsSchema>;

export const ruleSetSchema = z
  .object({
    rules: z.array(ruleSchema).max(200),
    thresholds: thresholdsSchema.default({ medium: 0.3, high: 0.5, critical: 0.8 }),
    /** Share of the final score taken from the model's probability when a model is active. */
    modelWeight: z.number().min(0).max(1).default(0.6),
  })
  .superRefine((set, ctx) => {
    const seen = new Set<string>();
    set.rules.forEach((rule, i) => {
      if (seen.has(rule.id))
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id ${rule.id}` });
      seen.add(rule.id);
    });
  });
export type RuleSet = z.infer<typeof ruleSetSchema>;

export interface Reason {
  code: string;
  message: string;
  weight: number;
  /** The model's reason on a review or decline: the features that moved it most, signed. */
  signals?: Contribution[];
}

const rule = (
  id: string,
  feature: Rule['feature'],
  op: Rule['op'],
  value: number,
  weight: number,
  message: string,
  and: Condition[] = [],
): Rule => ({
  id,
  feature,
  op,
  value,
  weight,
  message,
  enabled: true,
  and,
});
/** A rule as one row of a table: rule's arguments. */
type RuleRow = Parameters<typeof rule>;

/** Cards are what a card-testing or stolen-card run cycles through, whoever it pays as. */
const manyCards = (who: 'customer' | 'device', weight: number): RuleRow => [
  `${who}_many_cards`,
  `${who}_distinct_cards_24h`,
  'gte',
  3,
  weight,
  `The ${who} used 3 or more cards in the last 24 hours`,
];

/** A known customer (a day or older) on a device first seen today: what every takeover rule starts from. */
const knownCustomer: Condition = { feature: 'customer_age_days', op: 'gte', value: 1 };
/** A known customer from an IP address first seen today that no other customer used (not a carrier NAT). */
const freshUnsharedIp: Condition[] = [
  knownCustomer,
  { feature: 'ip_age_days', op: 'lt', value: 1 },
  { feature: 'ip_distinct_customers_30d', op: 'lte', value: 1 },
];
/** A small amount on a card first seen within the hour: what a card-testing attempt looks like. */
const smallNewCard: Condition[] = [
  { feature: 'amount_usd', op: 'lte', value: 10 },
  { feature: 'card_age_days', op: 'lt', value: 0.05 },
];

/** The built-in rules, one row each: id, feature, operator, value, weight, message and further conditions. */
const defaultRules: RuleRow[] = [
  [
    'card_testing_card',
    'card_declines_1h',
    'gte',
    3,
    0.6,
    'The card was declined 3 or more times in the last hour (card testing)',
  ],
  [
    'card_testing_customer',
    'customer_declines_1h',
    'gte',
    3,
    0.45,
    'The customer had 3 or more declines in the last hour',
  ],
  ['card_velocity_1h', 'card_count_1h', 'gte', 5, 0.4, 'The card was used 5 or more times in the last hour'],
  ['customer_velocity_1h', 'customer_count_1h', 'gte', 5, 0.3, 'The customer paid 5 or more times in the last hour'],
  [
    'customer_velocity_24h',
    'customer_count_24h',
    'gte',
    15,
    0.2,
    'The customer paid 15 or more times in the last 24 hours',
  ],
  manyCards('customer', 0.4),
  manyCards('device', 0.45),
  // A carrier-NAT address is shared by many customers for months; a proxy or a fraud farm is new.
  [
    'ip_many_customers',
    'ip_distinct_customers_24h',
    'gte',
    5,
    0.3,
    'An IP address first seen today was used by 5 or more customers',
    [{ feature: 'ip_age_days', op: 'lt', value: 1 }],
  ],
  ['country_mismatch', 'country_mismatch', 'eq', 1, 0.2, 'The card country differs from the IP country'],
  ['amount_spike', 'amount_vs_usual', 'gte', 5, 0.35, "The amount is 5 or more times the customer's usual amount"],
  ['high_amount', 'amount_usd', 'gte', 1000, 0.15, 'The amount is 1,000 USD or more'],
  [
    'account_takeover',
    'first_seen_device',
    'eq',
    1,
    0.5,
    'A known customer on a new device, from another country, paying far above usual',
    [
      { feature: 'first_seen_customer', op: 'eq', value: 0 },
      { feature: 'country_mismatch', op: 'eq', value: 1 },
      { feature: 'amount_vs_usual', op: 'gte', value: 3 },
    ],
  ],
  [
    'merchant_declines',
    'merchant_decline_rate_1h',
    'gte',
    0.4,
    0.3,
    'The merchant saw 40% or more declines in the last hour',
    [{ feature: 'merchant_count_1h', op: 'gte', value: 10 }],
  ],
  [
    'new_customer_new_card',
    'first_seen_customer',
    'eq',
    1,
    0.05,
    'A first payment from a new customer with a new card',
    [{ feature: 'first_seen_card', op: 'eq', value: 1 }],
  ],
  // Stolen cards on brand-new accounts: a throwaway address, an amount far above the merchant's, one device for many accounts.
  [
    'new_account_disposable_email',
    'email_disposable',
    'eq',
    1,
    0.5,
    'A new customer (under a day) with a disposable e-mail domain',
    [{ feature: 'customer_age_days', op: 'lt', value: 1 }],
  ],
  [
    'new_account_random_email',
    'email_random',
    'eq',
    1,
    0.5,
    'A new customer (under a day) whose e-mail address looks machine-made',
    [{ feature: 'customer_age_days', op: 'lt', value: 1 }],
  ],
  [
    'new_account_big_amount',
    'amount_merchant_z',
    'gte',
    2.5,
    0.4,
    "A new customer (under a day) paying far above the merchant's usual amounts",
    [{ feature: 'customer_age_days', op: 'lt', value: 1 }],
  ],
  [
    'new_account_foreign_ip_amount',
    'country_mismatch',
    'eq',
    1,
    0.35,
    "A new customer (under a day) paying from another country than its card's, above the merchant's usual amounts",
    [
      { feature: 'customer_age_days', op: 'lt', value: 1 },
      { feature: 'amount_merchant_z', op: 'gte', value: 1.5 },
    ],
  ],
  [
    'device_new_accounts',
    'device_new_customers_24h',
    'gte',
    1,
    0.45,
    'A new customer on a device another new customer used in the last 24 hours',
    [{ feature: 'first_seen_customer', op: 'eq', value: 1 }],
  ],
  // Account takeover, from abroad or through a proxy at home: a known customer on a device seen for
  // under a day (the attacker's retries included), from an IP nobody used, paying far above usual.
  [
    'takeover_new_device',
    'device_age_days',
    'lt',
    1,
    0.5,
    'A known customer on a device first seen today, paying 2.5 or more times the usual amount',
    [knownCustomer, { feature: 'amount_vs_usual', op: 'gte', value: 2.5 }],
  ],
  [
    'takeover_new_device_no_history',
    'device_age_days',
    'lt',
    1,
    0.45,
    "A customer known for a week, without payments in 30 days, on a device first seen today, paying far above the merchant's usual",
    [
      { feature: 'customer_age_days', op: 'gte', value: 7 },
      { feature: 'customer_count_30d', op: 'eq', value: 0 },
      { feature: 'amount_merchant_z', op: 'gte', value: 2 },
    ],
  ],
  [
    'takeover_fresh_ip',
    'device_age_days',
    'lt',
    1,
    0.35,
    'A known customer on a device first seen today, from an IP address first seen today that no other customer used',
    [
      knownCustomer,
      { feature: 'ip_age_days', op: 'lt', value: 1 },
      { feature: 'ip_distinct_customers_30d', op: 'lte', value: 1 },
    ],
  ],
  // The same fresh, unshared address with a new device is how a takeover looks at any amount; a
  // traveller keeps their device, and a new phone at home comes through an old or shared address.
  // From abroad, or above the account's usual level (its own mean or the merchant's amounts), it is held.
  [
    'takeover_fresh_ip_abroad',
    'device_age_days',
    'lt',
    1,
    0.3,
    'A known customer on a device first seen today, from a foreign IP address first seen today that no other customer used',
    [...freshUnsharedIp, { feature: 'country_mismatch', op: 'eq', value: 1 }],
  ],
  [
    'takeover_fresh_ip_above_usual',
    'device_age_days',
    'lt',
    1,
    0.25,
    'A known customer on a device first seen today, from an IP address nobody else used, paying 1.25 times the usual amount or more',
    [...freshUnsharedIp, { feature: 'amount_vs_usual', op: 'gte', value: 1.25 }],
  ],
  [
    'takeover_fresh_ip_above_merchant',
    'device_age_days',
    'lt',
    1,
    0.25,
    "A known customer on a device first seen today, from an IP address nobody else used, paying well above the merchant's usual amounts",
    [...freshUnsharedIp, { feature: 'amount_merchant_z', op: 'gte', value: 1.5 }],
  ],
  // Where the merchant sends no device id, the address is what changes in a takeover (and stays
  // fresh through the attacker's later payments, which the customer then "used" minutes ago).
  [
    'takeover_new_ip_amount',
    'ip_age_days',
    'lt',
    1,
    0.5,
    'A known customer from an IP address first seen today that nobody else used, paying 3 or more times the usual amount',
    [...freshUnsharedIp, { feature: 'amount_vs_usual', op: 'gte', value: 3 }],
  ],
  [
    'takeover_new_ip_above_both',
    'ip_age_days',
    'lt',
    1,
    0.5,
    "A known customer from an IP address first seen today that nobody else used, paying above its usual amount and well above the merchant's",
    [
      ...freshUnsharedIp,
      { feature: 'amount_vs_usual', op: 'gte', value: 1.25 },
      { feature: 'amount_merchant_z', op: 'gte', value: 2 },
    ],
  ],
  [
    'takeover_raised_amount',
    'device_age_days',
    'lt',
    1,
    0.25,
    'A known customer on a device first seen today, paying twice the usual amount or more',
    [knownCustomer, { feature: 'amount_vs_usual', op: 'gte', value: 2 }],
  ],
  // Card testing, from one device or spread over many IPs and devices: bursts of new cards, declines
  // and card-number sequences, on cards first seen within the hour.
  [
    'merchant_new_card_burst',
    'merchant_new_cards_1h',
    'gte',
    6,
    0.5,
    'A small amount on a new card while the merchant saw 6 or more other new cards in the last hour (card testing)',
    smallNewCard,
  ],
  [
    'merchant_decline_burst',
    'merchant_declines_10m',
    'gte',
    5,
    0.45,
    'A small amount on a new card while the merchant saw 5 or more declines in 10 minutes (card testing)',
    smallNewCard,
  ],
  [
    'bin_new_card_burst',
    'bin_new_cards_10m',
    'gte',
    5,
    0.4,
    'A small amount on a new card while 5 or more other new cards of its BIN came in 10 minutes',
    smallNewCard,
  ],
  [
    'device_new_cards',
    'device_new_cards_1h',
    'gte',
    3,
    0.5,
    'The device brought 3 or more other new cards in the last hour',
  ],
  [
    'ip_new_cards',
    'ip_new_cards_1h',
    'gte',
    4,
    0.4,
    'A small amount from an IP address that brought 4 or more other new cards in the last hour',
    [{ feature: 'amount_usd', op: 'lte', value: 10 }],
  ],
  [
    'ip_new_accounts',
    'ip_new_customers_1h',
    'gte',
    3,
    0.3,
    'An IP address first seen within a day brought 3 or more other new customers in the last hour',
    [{ feature: 'ip_age_days', op: 'lt', value: 1 }],
  ],
  [
    'card_sequence',
    'card_sequence_10m',
    'gte',
    2,
    0.45,
    'Two or more cards of the same BIN with neighbouring numbers at this merchant in 10 minutes (enumeration)',
  ],
  // Needs labels: a merchant without labelled frauds never fires it (cold start has no effect).
  [
    'merchant_labelled_fraud',
    'merchant_fraud_rate_30d',
    'gte',
    0.02,
    0.5,
    "Labelled frauds are 2% or more of the merchant's transactions of the last 30 days",
    [{ feature: 'merchant_fraud_count_30d', op: 'gte', value: 3 }],
  ],
];

/** The built-in rule set (version 0): card testing, velocity, identity spread, account takeover, amount outliers, merchants with labelled fraud. */
export const defaultRuleSet: RuleSet = {
  thresholds: { medium: 0.3, high: 0.5, critical: 0.8 },
  modelWeight: 0.6,
  rules: defaultRules.map((row) => rule(...row)),
};

function holds(c: Condition, features: Features): boolean {
  const v = features[c.feature];
  switch (c.op) {
    case 'gt':
      return v > c.value;
    case 'gte':
      return v >= c.value;
    case 'lt':
      return v < c.value;
    case 'lte':
      return v <= c.value;
    case 'eq':
      return v === c.value;
    case 'neq':
      return v !== c.value;
  }
}

/**
 * Fired rules combine as independent evidence (noisy-OR): score = 1 − Π(1 − weight). One strong
 * rule dominates, several weak ones add up, and the score never leaves [0, 1].
 */
export function evaluateRules(set: RuleSet, features: Features): { score: number; reasons: Reason[] } {
  let keep = 1;
  const reasons: Reason[] = [];
  for (const r of set.rules) {
    if (!r.enabled || !holds(r, features) || !r.and.every((c) => holds(c, features))) continue;
    keep *= 1 - r.weight;
    reasons.push({ code: r.id, message: r.message, weight: r.weight });
  }
  reasons.sort((a, b) => b.weight - a.weight);
  return { score: 1 - keep, reasons };
}

export function levelOf(score: number, t: Thresholds): RiskLevel {
  if (score >= t.critical) return 'critical';
  if (score >= t.high) return 'high';
  if (score >= t.medium) return 'medium';
  return 'low';
}

export function decisionOf(level: RiskLevel): Decision {
  if (level === 'critical') return 'decline';
  if (level === 'high') return 'review';
  return 'approve';
}

export interface Verdict {
  score: number;
  rulesScore: number;
  modelScore: number | null;
  riskLevel: RiskLevel;
  decision: Decision;
  reasons: Reason[];
}

const round4 = (v: number) => Math.round(v * 10_000) / 10_000;

export interface ListHit {
  type: string;
  action: 'block' | 'allow';
  reason: string;
}

/**
 * The final verdict: rules and model blend as modelWeight·p + (1 − modelWeight)·rules when a model
 * is active; a block-list hit forces decline (score 1) and wins over an allow-list hit, which forces approve.
 */
export function decide(
  set: RuleSet,
  features: Features,
  modelProbability: number | null,
  modelVersion: number | null,
  hits: ListHit[] = [],
): Verdict {
  const rules = evaluateRules(set, features);
  const reasons = rules.reasons;
  let score =
    modelProbability === null ? rules.score : set.modelWeight * modelProbability + (1 - set.modelWeight) * rules.score;
  if (modelProbability !== null && modelProbability >= 0.5) {
    reasons.push({
      code: 'model',
      message: `Model v${modelVersion} puts the fraud probability at ${Math.round(modelProbability * 100)}%`,
      weight: round4(modelProbability),
    });
  }
  const block = hits.find((h) => h.action === 'block');
  const allow = hits.find((h) => h.action === 'allow');
  if (block) {
    score = 1;
    reasons.unshift({ code: 'list_block', message: `Blocked (${block.type}): ${block.reason}`, weight: 1 });
  }
  const riskLevel = levelOf(score, set.thresholds);
  let decision = decisionOf(riskLevel);
  if (block) decision = 'decline';
  else if (allow) {
    decision = 'approve';
    reasons.unshift({ code: 'list_allow', message: `Allowed (${allow.type}): ${allow.reason}`, weight: 0 });
  }
  return {
    score: round4(score),
    rulesScore: round4(rules.score),
    modelScore: modelProbability === null ? null : round4(modelProbability),
    riskLevel,
    decision,
    reasons,
  };
}
