import type { AlertSettings } from './alert-settings.js';
import { twoProportionZ, wilsonInterval } from './statistics.js';

export const alertKinds = [
  'approval_rate_drop',
  'failure_reason_spike',
  'backlog_growing',
  'merchant_card_testing',
  'merchant_fraud_spike',
] as const;
export type AlertKind = (typeof alertKinds)[number];
export type Severity = 'warning' | 'critical';

/** What one provider did in one window. */
export interface WindowStats {
  approved: number;
  /** approved + declined + failed */
  attempted: number;
  /** Failed or declined attempts per standardised reason. */
  reasons: Record<string, number>;
}

export interface ProviderStats {
  provider: string;
  recent: WindowStats;
  baseline: WindowStats;
}

export interface Finding {
  kind: AlertKind;
  subject: string;
  provider: string | null;
  severity: Severity;
  message: string;
  details: Record<string, unknown>;
}

/**
 * A detector's verdict on one subject: firing, clear, or not enough data to say (which leaves an
 * open alert open rather than flapping on thin traffic).
 */
export type Evaluation =
  { subject: string; state: 'firing'; finding: Finding } | { subject: string; state: 'clear' | 'insufficient' };

const pct = (p: number) => `${(p * 100).toFixed(1)} %`;

export function detectApprovalDrops(
  stats: readonly ProviderStats[],
  settings: AlertSettings['approvalDrop'],
): Evaluation[] {
  return stats.map(({ provider, recent, baseline }) => {
    const subject = provider;
    if (recent.attempted < settings.minRecentAttempts || baseline.attempted < settings.minBaselineAttempts)
      return { subject, state: 'insufficient' };
    const recentRate = recent.approved / recent.attempted;
    const baselineRate = baseline.approved / baseline.attempted;
    const z = twoProportionZ(recent.approved, recent.attempted, baseline.approved, baseline.attempted);
    const drop = baselineRate - recentRate;
    if (z > -settings.zThreshold || drop < settings.minDrop) return { subject, state: 'clear' };
    return {
      subject,
      state: 'firing',
      finding: {
        kind: 'approval_rate_drop',
        subject,
        provider,
        severity: drop >= 2 * settings.minDrop && recentRate < baselineRate / 2 ? 'critical' : 'warning',
        message: `${provider} approval rate ${pct(recentRate)} is far below its baseline ${pct(baselineRate)}`,
        details: {
          recent: {
            approved: recent.approved,
            attempted: recent.attempted,
            rate: recentRate,
            wilson95: wilsonInterval(recent.approved, recent.attempted),
          },
          baseline: { approved: baseline.approved, attempted: baseline.attempted, rate: baselineRate },
          z,
          drop,
        },
      },
    };
  });
}

export function detectFailureSpikes(
  stats: readonly ProviderStats[],
  settings: AlertSettings['failureSpike'],
  reasons: readonly string[],
): Evaluation[] {
  return stats.flatMap(({ provider, recent, baseline }) =>
    reasons.map((reason): Evaluation => {
      const subject = `${provider}/${reason}`;
      if (recent.attempted < settings.minRecentAttempts) return { subject, state: 'insufficient' };
      const recentCount = recent.reasons[reason] ?? 0;
      const baselineCount = baseline.reasons[reason] ?? 0;
      const recentRate = recentCount / recent.attempted;
      const baselineRate = baseline.attempted === 0 ? 0 : baselineCount / baseline.attempted;
      const z = twoProportionZ(recentCount, recent.attempted, baselineCount, baseline.attempted);
      // With no baseline there is nothing to compare against: a reason seen only now still needs the minimum count and increase.
      const significant = baseline.attempted === 0 ? true : z >= settings.zThreshold;
      if (recentCount < settings.minRecentCount || !significant || recentRate - baselineRate < settings.minIncrease)
        return { subject, state: 'clear' };
      return {
        subject,
        state: 'firing',
        finding: {
          kind: 'failure_reason_spike',
          subject,
          provider,
          severity: recentRate >= 3 * Math.max(baselineRate, settings.minIncrease) ? 'critical' : 'warning',
          message: `${provider}: ${reason} rose to ${pct(recentRate)} of attempts (baseline ${pct(baselineRate)})`,
          details: {
            reason,
            recent: { count: recentCount, attempted: recent.attempted, rate: recentRate },
            baseline: { count: baselineCount, attempted: baseline.attempted, rate: baselineRate },
            z,
          },
        },
      };
    }),
  );
}

/**
 * Opens when the backlog is above the threshold and larger than at the previous check; once open,
 * stays open until it falls back under the threshold (growth may pause while it is still too big).
 */
export function detectBacklog(
  current: number,
  previous: number | null,
  open: boolean,
  settings: AlertSettings['backlog'],
): Evaluation {
  const subject = 'raw_events';
  if (current < settings.threshold) return { subject, state: 'clear' };
  const rising = previous !== null && current > previous;
  if (!open && !rising) return { subject, state: 'insufficient' };
  return {
    subject,
    state: 'firing',
    finding: {
      kind: 'backlog_growing',
      subject,
      provider: null,
      severity: current >= 10 * settings.threshold ? 'critical' : 'warning',
      message: `${current} raw events are waiting unprocessed (threshold ${settings.threshold})`,
      details: { unprocessed: current, previous, threshold: settings.threshold },
    },
  };
}

/** What risk saw at one merchant in one window: every scored payment, ingested or scored through the API. */
export interface MerchantWindow {
  attempts: number;
  /** Declined by the issuer or by risk. */
  failed: number;
  /** Sent to review or declined by risk. */
  flagged: number;
  /** On a card never seen before. */
  newCards: number;
  /** On a card never seen before, and failed: what card testing is made of. */
  newCardFailures: number;
}

export interface MerchantStats {
  merchant: string;
  recent: MerchantWindow;
  baseline: MerchantWindow;
}

const merchantSubject = (merchant: string) => `merchant/${merchant}`;

/**
 * Card testing at a merchant: a burst of failed attempts on cards never seen before. Against the
 * merchant's own baseline when it has one (a busy shop always sees some: the burst must stand out
 * from them, significantly and by a margin); for a merchant without one, most attempts failing that way.
 * New cards must also fail far more often than known cards in the same window to open it: an
 * issuer or provider outage fails both alike and is an approval-rate alert, not an attack (and an
 * attack during an outage keeps its open alert). A window without the burst clears it.
 */
export function detectCardTesting(
  stats: readonly MerchantStats[],
  settings: AlertSettings['merchantCardTesting'],
): Evaluation[] {
  return stats.map(({ merchant, recent, baseline }) => {
    const subject = merchantSubject(merchant);
    const rate = recent.attempts === 0 ? 0 : recent.newCardFailures / recent.attempts;
    const hasBaseline = baseline.attempts >= settings.minBaselineAttempts;
    const baselineRate = baseline.attempts === 0 ? 0 : baseline.newCardFailures / baseline.attempts;
    const z = twoProportionZ(recent.newCardFailures, recent.attempts, baseline.newCardFailures, baseline.attempts);
    const stands = hasBaseline
      ? z >= settings.zThreshold && rate - baselineRate >= settings.minIncrease
      : rate >= settings.minFailureRate;
    const knownAttempts = recent.attempts - recent.newCards;
    const knownFailureRate = knownAttempts <= 0 ? 0 : (recent.failed - recent.newCardFailures) / knownAttempts;
    const newCardFailureRate = recent.newCards === 0 ? 0 : recent.newCardFailures / recent.newCards;
    const onNewCards = newCardFailureRate - knownFailureRate >= settings.minNewCardExcess;
    if (recent.newCardFailures < settings.minFailures || !stands) return { subject, state: 'clear' };
    // Known cards failing alike: an outage, or an attack hidden in one. Neither opened nor closed on that.
    if (!onNewCards) return { subject, state: 'insufficient' };
    return {
      subject,
      state: 'firing',
      finding: {
        kind: 'merchant_card_testing',
        subject,
        provider: null,
        severity: recent.newCardFailures >= 5 * settings.minFailures || rate >= 0.5 ? 'critical' : 'warning',
        message: `Card testing at merchant ${merchant}: ${recent.newCardFailures} failed attempts on new cards, ${pct(rate)} of its ${recent.attempts} attempts (baseline ${pct(baselineRate)})`,
        details: {
          merchant,
          recent: { ...recent, newCardFailureShare: rate, newCardFailureRate, knownFailureRate },
          baseline: { ...baseline, newCardFailureShare: baselineRate },
          z,
        },
      },
    };
  });
}

/**
 * A fraud spike at a merchant: far more of its payments sent to review or declined than its own
 * baseline. Left as it is for a merchant under card testing (firing, or with its alert open), which
 * already has its alert.
 */
export function detectMerchantFraudSpikes(
  stats: readonly MerchantStats[],
  settings: AlertSettings['merchantFraudSpike'],
  underCardTesting: ReadonlySet<string>,
): Evaluation[] {
  return stats.map(({ merchant, recent, baseline }) => {
    const subject = merchantSubject(merchant);
    if (underCardTesting.has(merchant)) return { subject, state: 'insufficient' };
    const rate = recent.attempts === 0 ? 0 : recent.flagged / recent.attempts;
    const baselineRate = baseline.attempts === 0 ? 0 : baseline.flagged / baseline.attempts;
    const z = twoProportionZ(recent.flagged, recent.attempts, baseline.flagged, baseline.attempts);
    const significant = baseline.attempts === 0 || z >= settings.zThreshold;
    if (
      recent.attempts < settings.minAttempts ||
      recent.flagged < settings.minFlagged ||
      !significant ||
      rate - baselineRate < settings.minIncrease
    )
      return { subject, state: 'clear' };
    return {
      subject,
      state: 'firing',
      finding: {
        kind: 'merchant_fraud_spike',
        subject,
        provider: null,
        severity: rate >= 0.5 ? 'critical' : 'warning',
        message: `Fraud spike at merchant ${merchant}: risk flagged ${pct(rate)} of its payments (baseline ${pct(baselineRate)})`,
        details: {
          merchant,
          recent: { ...recent, flaggedRate: rate },
          baseline: { ...baseline, flaggedRate: baselineRate },
          z,
        },
      },
    };
  });
}
