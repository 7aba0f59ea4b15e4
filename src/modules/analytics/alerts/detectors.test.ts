import { describe, expect, it } from 'vitest';
import { defaultAlertSettings } from './alert-settings.js';
import {
  detectApprovalDrops,
  detectBacklog,
  detectCardTesting,
  detectFailureSpikes,
  detectMerchantFraudSpikes,
  type MerchantStats,
  type ProviderStats,
} from './detectors.js';

const settings = defaultAlertSettings();

function stats(
  recent: [number, number, Record<string, number>?],
  baseline: [number, number, Record<string, number>?],
): ProviderStats {
  return {
    provider: 'adyen',
    recent: { approved: recent[0], attempted: recent[1], reasons: recent[2] ?? {} },
    baseline: { approved: baseline[0], attempted: baseline[1], reasons: baseline[2] ?? {} },
  };
}

describe('approval-rate drop', () => {
  it('fires when the recent rate is significantly and materially below the baseline', () => {
    const [evaluation] = detectApprovalDrops([stats([30, 100], [900, 1000])], settings.approvalDrop);
    expect(evaluation).toMatchObject({
      subject: 'adyen',
      state: 'firing',
      finding: { kind: 'approval_rate_drop', provider: 'adyen', severity: 'critical' },
    });
    if (evaluation?.state !== 'firing') throw new Error('expected firing');
    expect(evaluation.finding.details).toMatchObject({ drop: expect.closeTo(0.6, 5), z: expect.any(Number) });
    expect(evaluation.finding.details.z as number).toBeLessThan(-3);
  });

  it('stays clear for normal noise and for statistically significant but small drops', () => {
    expect(detectApprovalDrops([stats([85, 100], [900, 1000])], settings.approvalDrop)[0]?.state).toBe('clear');
    // 86 % vs 90 % on huge volume: z ≪ −3 but only 4 points below.
    expect(detectApprovalDrops([stats([8600, 10000], [90000, 100000])], settings.approvalDrop)[0]?.state).toBe('clear');
  });

  it('does not judge below the minimum volume', () => {
    expect(detectApprovalDrops([stats([0, 10], [900, 1000])], settings.approvalDrop)[0]?.state).toBe('insufficient');
    expect(detectApprovalDrops([stats([0, 100], [90, 100])], settings.approvalDrop)[0]?.state).toBe('insufficient');
  });
});

describe('failure-reason spike', () => {
  it('fires for the reason whose rate jumped, not for the steady one', () => {
    const evaluations = detectFailureSpikes(
      [
        stats(
          [50, 100, { insufficient_funds: 10, suspected_fraud: 40 }],
          [880, 1000, { insufficient_funds: 100, suspected_fraud: 20 }],
        ),
      ],
      settings.failureSpike,
      ['insufficient_funds', 'suspected_fraud'],
    );
    expect(evaluations.map((e) => [e.subject, e.state])).toEqual([
      ['adyen/insufficient_funds', 'clear'],
      ['adyen/suspected_fraud', 'firing'],
    ]);
  });

  it('needs a minimum count of the reason and of attempts', () => {
    expect(
      detectFailureSpikes([stats([95, 100, { expired_card: 5 }], [1000, 1000])], settings.failureSpike, [
        'expired_card',
      ])[0]?.state,
    ).toBe('clear');
    expect(
      detectFailureSpikes([stats([0, 20, { expired_card: 20 }], [1000, 1000])], settings.failureSpike, [
        'expired_card',
      ])[0]?.state,
    ).toBe('insufficient');
  });
});

describe('backlog', () => {
  const backlog = { enabled: true, threshold: 100 };
  it('opens above the threshold only while rising, and stays open until it falls below', () => {
    expect(detectBacklog(150, null, false, backlog).state).toBe('insufficient');
    expect(detectBacklog(150, 150, false, backlog).state).toBe('insufficient');
    expect(detectBacklog(160, 150, false, backlog)).toMatchObject({
      state: 'firing',
      finding: { kind: 'backlog_growing', severity: 'warning' },
    });
    expect(detectBacklog(160, 170, true, backlog).state).toBe('firing');
    expect(detectBacklog(99, 170, true, backlog).state).toBe('clear');
    expect(detectBacklog(5000, 1000, false, backlog)).toMatchObject({ finding: { severity: 'critical' } });
  });
});

type Window = [attempts: number, failed: number, flagged: number, newCards: number, newCardFailures?: number];
function merchant(name: string, recent: Window, baseline: Window = [0, 0, 0, 0]): MerchantStats {
  const w = ([attempts, failed, flagged, newCards, newCardFailures]: Window) => ({
    attempts,
    failed,
    flagged,
    newCards,
    newCardFailures: newCardFailures ?? Math.min(failed, newCards),
  });
  return { merchant: name, recent: w(recent), baseline: w(baseline) };
}

describe('merchant card testing', () => {
  it('fires on a burst of failing attempts on new cards at one merchant, not on its neighbours', () => {
    const evaluations = detectCardTesting(
      [
        merchant('shop-a', [40, 36, 30, 38, 35], [500, 40, 20, 60, 10]),
        merchant('shop-b', [40, 4, 2, 10, 1], [500, 40, 20, 60, 10]),
      ],
      settings.merchantCardTesting,
    );
    expect(evaluations.map((e) => [e.subject, e.state])).toEqual([
      ['merchant/shop-a', 'firing'],
      ['merchant/shop-b', 'clear'],
    ]);
    expect(evaluations[0]).toMatchObject({
      finding: {
        kind: 'merchant_card_testing',
        provider: null,
        severity: 'critical',
        message: expect.stringContaining('35 failed attempts on new cards, 87.5 % of its 40 attempts (baseline 2.0 %)'),
      },
    });
  });

  it('finds a burst at a busy merchant, where most attempts are fine, by its own baseline', () => {
    // 100 failed new-card attempts on top of 900 ordinary ones (6 % of those fail on new cards, as always).
    const busy = merchant('big-shop', [1000, 160, 20, 400, 154], [20_000, 1600, 200, 9000, 1200]);
    expect(detectCardTesting([busy], settings.merchantCardTesting)[0]).toMatchObject({
      state: 'firing',
      finding: { severity: 'critical' },
    });
    // The same shop on an ordinary quarter hour.
    expect(
      detectCardTesting(
        [merchant('big-shop', [900, 80, 10, 400, 56], [20_000, 1600, 200, 9000, 1200])],
        settings.merchantCardTesting,
      )[0]?.state,
    ).toBe('clear');
  });

  it('is not fooled by an outage, where known cards fail as often as new ones: it neither opens nor closes on one', () => {
    expect(
      detectCardTesting(
        [merchant('m', [400, 350, 10, 200, 175], [4000, 400, 40, 2000, 200])],
        settings.merchantCardTesting,
      )[0]?.state,
    ).toBe('insufficient');
    // Once the failures on new cards are back to the baseline's share, it clears whatever the known cards do.
    expect(
      detectCardTesting(
        [merchant('m', [400, 200, 10, 200, 20], [4000, 400, 40, 2000, 200])],
        settings.merchantCardTesting,
      )[0]?.state,
    ).toBe('clear');
  });

  it('needs failures on new cards, and more of them than the baseline explains', () => {
    // Many failures, but on cards the merchant knows: a bad issuer day, not card testing.
    expect(detectCardTesting([merchant('m', [40, 30, 0, 2, 2])], settings.merchantCardTesting)[0]?.state).toBe('clear');
    // A merchant where this much always fails (a high-risk vertical) is not under attack.
    expect(
      detectCardTesting(
        [merchant('m', [40, 24, 0, 20, 20], [4000, 2400, 0, 2000, 2000])],
        settings.merchantCardTesting,
      )[0]?.state,
    ).toBe('clear');
    // Below the minimum count, and without a baseline below the minimum share.
    expect(detectCardTesting([merchant('m', [9, 9, 0, 9, 9])], settings.merchantCardTesting)[0]?.state).toBe('clear');
    expect(detectCardTesting([merchant('m', [40, 12, 0, 12, 12])], settings.merchantCardTesting)[0]?.state).toBe(
      'clear',
    );
    expect(detectCardTesting([merchant('m', [12, 10, 0, 10, 10])], settings.merchantCardTesting)[0]).toMatchObject({
      state: 'firing',
      finding: { severity: 'critical' },
    });
  });
});

describe('merchant fraud spike', () => {
  it("fires when risk flags far more of a merchant's payments than its baseline, and leaves a merchant under card testing alone", () => {
    const stats = [
      merchant('shop-c', [40, 0, 20, 2], [1000, 10, 30, 50]),
      merchant('shop-d', [40, 0, 4, 2], [1000, 10, 30, 50]),
      merchant('shop-e', [40, 30, 30, 30], [1000, 10, 30, 50]),
    ];
    const evaluations = detectMerchantFraudSpikes(stats, settings.merchantFraudSpike, new Set(['shop-e']));
    expect(evaluations.map((e) => [e.subject, e.state])).toEqual([
      ['merchant/shop-c', 'firing'],
      ['merchant/shop-d', 'clear'],
      ['merchant/shop-e', 'insufficient'],
    ]);
    expect(evaluations[0]).toMatchObject({
      finding: {
        kind: 'merchant_fraud_spike',
        severity: 'critical',
        message: expect.stringContaining('flagged 50.0 %'),
      },
    });
  });

  it('needs the minimum volume and a material rise', () => {
    expect(
      detectMerchantFraudSpikes([merchant('m', [15, 0, 12, 0])], settings.merchantFraudSpike, new Set())[0]?.state,
    ).toBe('clear');
    expect(
      detectMerchantFraudSpikes(
        [merchant('m', [400, 0, 60, 0], [4000, 0, 400, 0])],
        settings.merchantFraudSpike,
        new Set(),
      )[0]?.state,
    ).toBe('clear');
  });
});
