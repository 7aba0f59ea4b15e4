/**
 * `npm run bench -- handbook`: the ULB handbook's benchmark (its simulator and protocol, chapter 3)
 * with Paylens scoring every transaction through its real pipeline, beside the handbook's published
 * baselines; then the generalization matrix (train on one generator, test on the other) and the
 * in-process scoring latency with the trained trees active.
 */
import { createContainer, type Container } from '../src/container.js';
import { loadConfig } from '../src/platform/config/config.js';
import { prAuc, rocAuc } from '../src/modules/risk/evaluation.js';
import { modelProbability, trainModel } from '../src/modules/risk/model-training.js';
import type { GbdtModel } from '../src/modules/risk/model/gbdt.js';
import { subjectFromRequest } from '../src/modules/risk/risk-subject.js';
import { decide, defaultRuleSet } from '../src/modules/risk/rules.js';
import {
  examplesOf,
  handbookProtocol,
  handbookStream,
  handbookTable,
  runHandbookBenchmark,
  type ProtocolOptions,
} from '../src/modules/risk/simulation/handbook-benchmark.js';
import { replayStream, type ReplayedTransaction, type StreamTransaction } from '../src/modules/risk/simulation/replay.js';
import { simulateTraffic } from '../src/modules/risk/traffic-simulator.js';
import { DAY_MS } from '../src/modules/risk/velocity-store.js';
import { percentile } from './lib.js';

const f3 = (v: number | null) => (v === null ? '–' : v.toFixed(3));

async function embedded(): Promise<Container> {
  return createContainer(loadConfig({ LOG_LEVEL: 'silent', PAYLENS_DATA_DIR: 'memory://', PAYLENS_CUSTOMER_KEY_SALT: 'bench-salt-0123456789' }));
}

/** The project's own simulator as a stream: 14 days, trained on days 1–10 and tested on 11–14 (as `-- risk`). */
const OWN = { customers: 3000, days: 14, fraudRate: 0.02, seed: 2026, start: new Date('2026-01-01T00:00:00Z'), trainDays: 10 };

function ownStream(): StreamTransaction[] {
  return simulateTraffic(OWN).map((t) => ({
    request: t.request,
    fraud: t.label === 'fraud' ? 1 : 0,
    card: t.request.card.fingerprint ?? t.request.customer.email ?? t.request.transactionId,
    day: Math.floor((Date.parse(t.request.occurredAt) - OWN.start.getTime()) / DAY_MS),
  }));
}

const rulesScore = (r: ReplayedTransaction) => decide(defaultRuleSet, r.features, null, null).score;
const blendedScore = (model: GbdtModel) => (r: ReplayedTransaction) => decide(defaultRuleSet, r.features, modelProbability({ version: 1, model }, r.features), 1).score;

function aucAp(rows: ReplayedTransaction[], score: (r: ReplayedTransaction) => number): string {
  const items = rows.map((r) => ({ score: score(r), label: r.label }));
  return `${f3(rocAuc(items))} / ${f3(prAuc(items))}`;
}

export async function run(): Promise<void> {
  const seed = Number(process.env.BENCH_HANDBOOK_SEED ?? 0);
  const p: ProtocolOptions = handbookProtocol;
  const c = await embedded();
  try {
    const tenant = (await c.tenants.create('bench-handbook'))!;
    const r = await runHandbookBenchmark(c.risk, tenant.id, c.customerKey, { seed }, p);
    console.log(`\n## Handbook benchmark (ULB handbook simulator and protocol), seed ${seed}`);
    for (const line of handbookTable(r, p)) console.log(line);

    // Latency with the trained trees active: the full in-process path (velocity + label stores, features, rules, trees, and signals on non-approvals).
    const stored = await c.risk.repo.insertModel(tenant.id, r.model, {}, r.split.train);
    await c.risk.service.activateModel(tenant.id, stored.version);
    const later = handbookStream({ seed }, p).stream.filter((t) => t.day >= p.trainStartDay + p.trainDays + p.delayDays).slice(0, 20_000);
    const now = new Date();
    const times: number[] = [];
    let flagged = 0;
    for (const t of later) {
      const subject = subjectFromRequest(tenant.id, { ...t.request, transactionId: `${t.request.transactionId}_again` }, c.customerKey, now, 'simulate');
      const s = performance.now();
      const { assessment } = await c.risk.scorer.assess(subject);
      times.push(performance.now() - s);
      if (assessment.decision !== 'approve') flagged++;
    }
    times.sort((a, b) => a - b);
    console.log(`\n## In-process scoring with the ${r.model.trees.length}-tree model active (memory stores), ${times.length} scores, ${flagged} not approved (with signals)`);
    console.log(`p50 ${percentile(times, 0.5).toFixed(3)} ms, p99 ${percentile(times, 0.99).toFixed(3)} ms, p99.9 ${percentile(times, 0.999).toFixed(3)} ms`);

    // Generalization: the other generator's model on this one's test window.
    const handbookSplit = r.test;
    const own = await c.tenants.create('bench-own');
    const ownRows = await replayStream(c.risk, own!.id, c.customerKey, ownStream(), { labelDelayMs: p.delayDays * DAY_MS, keep: () => true });
    const ownTrain = ownRows.filter((x) => x.day < OWN.trainDays);
    const ownTest = ownRows.filter((x) => x.day >= OWN.trainDays);
    const ownModel = trainModel(examplesOf(ownTrain), p.gbdt);
    console.log(`\n## Generalization matrix (ROC AUC / average precision; own simulator: ${OWN.customers} customers × ${OWN.days} days, seed ${OWN.seed}, trained on days 1–${OWN.trainDays}, tested on the rest)`);
    console.log('| trained on → tested on | rules only | rules + model |');
    console.log('|---|---:|---:|');
    console.log(`| own → handbook | ${aucAp(handbookSplit, rulesScore)} | ${aucAp(handbookSplit, blendedScore(ownModel))} |`);
    console.log(`| handbook → own | ${aucAp(ownTest, rulesScore)} | ${aucAp(ownTest, blendedScore(r.model))} |`);
    console.log(`| own → own (reference) | ${aucAp(ownTest, rulesScore)} | ${aucAp(ownTest, blendedScore(ownModel))} |`);
    console.log(`| handbook → handbook (reference) | ${aucAp(handbookSplit, rulesScore)} | ${aucAp(handbookSplit, blendedScore(r.model))} |`);
  } finally {
    await c.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
