import { z } from 'zod';

/** A count a detector waits for before it judges. */
const atLeastOne = (fallback: number) => z.number().int().min(1).default(fallback);
/** How far from the baseline, in standard errors (two-proportion z-test), a change must be. */
const standardErrors = z.number().min(0.5).max(20).default(3);
/** A proportion from 0 to 1 (0.1 = 10 points). */
const share = (fallback: number) => z.number().min(0).max(1).default(fallback);

export const alertSettingsSchema = z.object({
  enabled: z.boolean().default(true),
  recentMinutes: z.number().int().min(1).max(1440).default(15).describe('The window under test, ending now'),
  baselineMinutes: z
    .number()
    .int()
    .min(10)
    .max(43_200)
    .default(1440)
    .describe('The trailing window before it that sets the norm'),
  approvalDrop: z
    .object({
      enabled: z.boolean().default(true),
      minRecentAttempts: atLeastOne(50).describe('Approved + declined + failed in the recent window before judging'),
      minBaselineAttempts: atLeastOne(200),
      zThreshold: standardErrors.describe('How many standard errors below the baseline (two-proportion z-test)'),
      minDrop: share(0.1).describe('And at least this many points (0.1 = 10 %) below it'),
    })
    .prefault({}),
  failureSpike: z
    .object({
      enabled: z.boolean().default(true),
      minRecentCount: atLeastOne(10).describe('Occurrences of the reason in the recent window before judging'),
      minRecentAttempts: atLeastOne(50),
      zThreshold: standardErrors,
      minIncrease: share(0.05).describe('Rate of the reason among attempts must rise by at least this much'),
    })
    .prefault({}),
  merchantCardTesting: z
    .object({
      enabled: z.boolean().default(true),
      minFailures: atLeastOne(10).describe(
        'Failed attempts (declined by the issuer or by risk) on cards never seen before, at one merchant in the recent window',
      ),
      minBaselineAttempts: atLeastOne(50).describe(
        "Attempts in the merchant's baseline before it is judged against it",
      ),
      zThreshold: standardErrors.describe(
        "With a baseline: the share of such failures this many standard errors above the merchant's own",
      ),
      minIncrease: share(0.05).describe('…and at least this much above it (0.05 = 5 points)'),
      minFailureRate: share(0.5).describe('Without a baseline: at least this share of the attempts'),
      minNewCardExcess: share(0.25).describe(
        'New cards must fail this much more often than known cards in the same window (an outage fails both alike)',
      ),
    })
    .prefault({}),
  merchantFraudSpike: z
    .object({
      enabled: z.boolean().default(true),
      minAttempts: atLeastOne(20).describe('Scored payments at the merchant in the recent window before judging'),
      minFlagged: atLeastOne(10).describe('Payments risk sent to review or declined there'),
      zThreshold: standardErrors,
      minIncrease: share(0.15).describe(
        "The flagged share must rise by at least this much over the merchant's baseline",
      ),
    })
    .prefault({}),
  backlog: z
    .object({
      enabled: z.boolean().default(true),
      threshold: atLeastOne(100).describe('Unprocessed raw events; opens when above and rising, resolves when below'),
    })
    .prefault({}),
});

export type AlertSettings = z.infer<typeof alertSettingsSchema>;

export function defaultAlertSettings(): AlertSettings {
  return alertSettingsSchema.parse({});
}
