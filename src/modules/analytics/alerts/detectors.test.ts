import { describe, expect, it } from 'vitest';
import { defaultAlertSettings } from './alert-settings.js';
import { detectApprovalDrops, detectBacklog, detectFailureSpikes, type ProviderStats } from './detectors.js';

const settings = defaultAlertSettings();

function stats(recent: [number, number, Record<string, number>?], baseline: [number, number, Record<string, number>?]): ProviderStats {
  return {
    provider: 'adyen',
    recent: { approved: recent[0], attempted: recent[1], reasons: recent[2] ?? {} },
    baseline: { approved: baseline[0], attempted: baseline[1], reasons: baseline[2] ?? {} },
  };
}

describe('approval-rate drop', () => {
  it('fires when the recent rate is significantly and materially below the baseline', () => {
    const [evaluation] = detectApprovalDrops([stats([30, 100], [900, 1000])], settings.approvalDrop);
    expect(evaluation).toMatchObject({ subject: 'adyen', state: 'firing', finding: { kind: 'approval_rate_drop', provider: 'adyen', severity: 'critical' } });
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
      [stats([50, 100, { insufficient_funds: 10, suspected_fraud: 40 }], [880, 1000, { insufficient_funds: 100, suspected_fraud: 20 }])],
      settings.failureSpike,
      ['insufficient_funds', 'suspected_fraud'],
    );
    expect(evaluations.map((e) => [e.subject, e.state])).toEqual([
      ['adyen/insufficient_funds', 'clear'],
      ['adyen/suspected_fraud', 'firing'],
    ]);
  });

  it('needs a minimum count of the reason and of attempts', () => {
    expect(detectFailureSpikes([stats([95, 100, { expired_card: 5 }], [1000, 1000])], settings.failureSpike, ['expired_card'])[0]?.state).toBe('clear');
    expect(detectFailureSpikes([stats([0, 20, { expired_card: 20 }], [1000, 1000])], settings.failureSpike, ['expired_card'])[0]?.state).toBe('insufficient');
  });
});

describe('backlog', () => {
  const backlog = { enabled: true, threshold: 100 };
  it('opens above the threshold only while rising, and stays open until it falls below', () => {
    expect(detectBacklog(150, null, false, backlog).state).toBe('insufficient');
    expect(detectBacklog(150, 150, false, backlog).state).toBe('insufficient');
    expect(detectBacklog(160, 150, false, backlog)).toMatchObject({ state: 'firing', finding: { kind: 'backlog_growing', severity: 'warning' } });
    expect(detectBacklog(160, 170, true, backlog).state).toBe('firing');
    expect(detectBacklog(99, 170, true, backlog).state).toBe('clear');
    expect(detectBacklog(5000, 1000, false, backlog)).toMatchObject({ finding: { severity: 'critical' } });
  });
});
