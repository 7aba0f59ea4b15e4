import type { Risk } from '../risk.factory.js';
import { subjectFromRequest, type CustomerKeyHasher } from '../risk-subject.js';
import type { Decision } from '../rules/rules.js';
import type { SimTransaction } from './traffic-simulator.js';

export interface SimulationSummary {
  transactions: number;
  frauds: number;
  byPattern: Record<string, number>;
  /** Per scenario, how many were not approved (review or decline). */
  notApproved: Record<string, number>;
  decisions: Record<Decision, number>;
  seconds: number;
}

/** A generated transaction with its truth: the project's simulator's, or the handbook's (simulation/). */
export type LabelledRequest = Pick<SimTransaction, 'request' | 'label'> & { pattern: string };

/** Scores simulated traffic in-process against the configured velocity store and records the labels. */
export async function scoreSimulation(
  risk: Risk,
  tenantId: string,
  traffic: LabelledRequest[],
  hash: CustomerKeyHasher,
): Promise<SimulationSummary> {
  const summary: SimulationSummary = {
    transactions: 0,
    frauds: 0,
    byPattern: {},
    notApproved: {},
    decisions: { approve: 0, review: 0, decline: 0 },
    seconds: 0,
  };
  const started = performance.now();
  const now = new Date();
  for (const tx of traffic) {
    const assessment = await risk.scorer.score(subjectFromRequest(tenantId, tx.request, hash, now, 'simulate'));
    summary.transactions++;
    if (tx.label === 'fraud') summary.frauds++;
    summary.byPattern[tx.pattern] = (summary.byPattern[tx.pattern] ?? 0) + 1;
    summary.decisions[assessment.decision]++;
    if (assessment.decision !== 'approve') summary.notApproved[tx.pattern] = (summary.notApproved[tx.pattern] ?? 0) + 1;
  }
  summary.seconds = (performance.now() - started) / 1000;
  await risk.recorder.flush();
  await risk.service.recordLabels(
    tenantId,
    traffic.map((t) => ({ transactionId: t.request.transactionId, label: t.label })),
  );
  return summary;
}
