import type { Command } from 'commander';
import type { Container } from '../../container.js';
import type { VersionQuality } from '../../modules/risk/index.js';
import { scoreSimulation, type LabelledRequest } from '../../modules/risk/index.js';
import { handbookPublishedBaselines, handbookTable, runHandbookBenchmark } from '../../modules/risk/index.js';
import { handbookRequest, simulateHandbook } from '../../modules/risk/index.js';
import { simulateTraffic } from '../../modules/risk/index.js';
import { loadConfig } from '../../platform/config/config.js';
import { fail, withContainer } from '../cli-context.js';
import { withoutTrailingSlashes } from '../../platform/net/outbound-client.js';
import { gbdtSplitCounts } from '../../modules/risk/index.js';
import { isGbdt } from '../../modules/risk/index.js';

const fmt = (v: number | null, digits = 3) => (v === null ? '–' : v.toFixed(digits));

function parseDate(value: string | undefined, flag: string): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) fail(`${flag} must be an ISO date or date-time`, 2);
  return d;
}

function positive(value: string, flag: string, { integer = true, max = Number.MAX_SAFE_INTEGER } = {}): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > max || (integer && !Number.isInteger(n)))
    fail(`${flag} must be a ${integer ? 'whole ' : ''}number between 0 and ${max}`, 2);
  return n;
}

async function tenantId(c: Container, name: string, create = false): Promise<string> {
  const found = await c.tenants.findByName(name);
  if (found) return found.id;
  if (!create) fail(`no tenant named ${name}`);
  const made = await c.tenants.create(name);
  if (!made) fail(`tenant ${name} could not be created`);
  return made.id;
}

export function printQuality(rows: VersionQuality[]): void {
  console.log(
    '| rules | model | basis | tx | frauds | ROC AUC | PR AUC | review P | review R | decline P | decline R |',
  );
  console.log('|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.rulesVersion ?? '–'} | ${r.modelVersion ?? '–'} | ${r.basis} | ${r.transactions} | ${r.frauds} | ${fmt(r.rocAuc)} | ${fmt(r.prAuc)} | ${fmt(r.review.precision)} | ${fmt(r.review.recall)} | ${fmt(r.decline.precision)} | ${fmt(r.decline.recall)} |`,
    );
  }
}

async function postTraffic(
  url: string,
  apiKey: string,
  traffic: LabelledRequest[],
): Promise<{ decisions: Record<string, number> }> {
  const base = withoutTrailingSlashes(url);
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const decisions: Record<string, number> = { approve: 0, review: 0, decline: 0 };
  for (let i = 0; i < traffic.length; i += 1000) {
    const chunk = traffic.slice(i, i + 1000);
    const res = await fetch(`${base}/v1/risk/score/batch`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ transactions: chunk.map((t) => t.request) }),
    });
    if (!res.ok) fail(`POST /v1/risk/score/batch answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { results: { decision: string }[] };
    for (const r of body.results) decisions[r.decision] = (decisions[r.decision] ?? 0) + 1;
  }
  // Labels arrive later in real life; here they follow the scores, a few requests at a time.
  let next = 0;
  const worker = async () => {
    while (next < traffic.length) {
      const t = traffic[next++]!;
      const res = await fetch(`${base}/v1/risk/labels`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ transactionId: t.request.transactionId, label: t.label }),
      });
      if (!res.ok) fail(`POST /v1/risk/labels answered ${res.status}: ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { decisions };
}

export function registerRiskCommands(program: Command): void {
  program
    .command('simulate')
    .description(
      "generate deterministic labeled traffic and score it: --scenario paylens (ordinary customers with travel, new phones, big purchases and carrier-NAT addresses, genuine first-time customers; card testing from one device or spread over many, account takeover from abroad or through a same-country proxy, stolen cards on new accounts, a compromised merchant, amount outliers; each transaction tagged with its scenario) or handbook (the ULB handbook's simulator: customer and terminal profiles, three fraud scenarios)",
    )
    .option('--scenario <name>', 'paylens or handbook', 'paylens')
    .option('--customers <n>', 'number of customers (handbook: 5000 by default)')
    .option('--terminals <n>', 'handbook: number of terminals (merchants)', '10000')
    .option('--days <n>', 'days of traffic (handbook: 183 by default)')
    .option('--fraud-rate <r>', 'paylens: share of fraudulent transactions, 0–1')
    .option('--seed <s>', 'PRNG seed (same seed → same traffic)', '1')
    .option('--start <iso>', 'first simulated instant (default 2026-01-01; handbook 2018-04-01)')
    .option('--tenant <name>', 'tenant to score in-process (created when missing)', 'simulation')
    .option('--post <url>', 'send to a running Paylens instead (POST /v1/risk/score/batch and /v1/risk/labels)')
    .option('--api-key <key>', 'API key for --post')
    .action(
      async (opts: {
        scenario: string;
        customers?: string;
        terminals: string;
        days?: string;
        fraudRate?: string;
        seed: string;
        start?: string;
        tenant: string;
        post?: string;
        apiKey?: string;
      }) => {
        const seed = positive(opts.seed, '--seed', { max: 2 ** 32 - 1 });
        let traffic: LabelledRequest[];
        if (opts.scenario === 'handbook') {
          const txs = simulateHandbook({
            customers: positive(opts.customers ?? '5000', '--customers', { max: 1_000_000 }),
            terminals: positive(opts.terminals, '--terminals', { max: 1_000_000 }),
            days: positive(opts.days ?? '183', '--days', { max: 365 }),
            seed,
            ...(opts.start ? { start: parseDate(opts.start, '--start')! } : {}),
          });
          traffic = txs.map((t) => ({
            request: handbookRequest(t, seed),
            label: t.fraud === 1 ? 'fraud' : 'legit',
            pattern: t.scenario === 0 ? 'legit' : `handbook_scenario_${t.scenario}`,
          }));
        } else if (opts.scenario === 'paylens') {
          if (!opts.customers || !opts.days || !opts.fraudRate)
            fail('--scenario paylens needs --customers, --days and --fraud-rate', 2);
          traffic = simulateTraffic({
            customers: positive(opts.customers, '--customers', { max: 1_000_000 }),
            days: positive(opts.days, '--days', { max: 365 }),
            fraudRate: positive(opts.fraudRate, '--fraud-rate', { integer: false, max: 0.9 }),
            seed,
            start: parseDate(opts.start ?? '2026-01-01T00:00:00Z', '--start')!,
          });
        } else fail('--scenario must be paylens or handbook', 2);
        const frauds = traffic.filter((t) => t.label === 'fraud').length;
        console.log(`generated ${traffic.length} transactions, ${frauds} fraudulent`);
        if (opts.post) {
          if (!opts.apiKey) fail('--post needs --api-key', 2);
          const { decisions } = await postTraffic(opts.post, opts.apiKey, traffic);
          console.log(
            `scored over HTTP: approve ${decisions.approve}, review ${decisions.review}, decline ${decisions.decline}; labels sent`,
          );
          return;
        }
        await withContainer(async (c) => {
          const id = await tenantId(c, opts.tenant, true);
          const s = await scoreSimulation(c.risk, id, traffic, c.customerKey);
          console.log(
            `scored in-process (${c.risk.velocity.kind} velocity) in ${s.seconds.toFixed(1)} s: approve ${s.decisions.approve}, review ${s.decisions.review}, decline ${s.decisions.decline}`,
          );
          console.log(
            `scenarios (not approved): ${Object.entries(s.byPattern)
              .map(([p, n]) => `${p} ${n} (${s.notApproved[p] ?? 0})`)
              .join(', ')}`,
          );
          console.log(`labels recorded for tenant ${opts.tenant}; next: paylens train --tenant ${opts.tenant}`);
        });
      },
    );

  program
    .command('benchmark')
    .description(
      "the ULB handbook's benchmark (its simulator and protocol: a training week, a one-week label delay, a test week), scored through the Paylens pipeline in a throwaway in-memory store; prints ROC AUC, average precision and card precision@100 beside the handbook's published baselines",
    )
    .argument('<name>', 'handbook')
    .option('--seed <s>', 'simulator seed (2: the figures in docs/benchmarks.md)', '2')
    .option('--customers <n>', 'customers (the handbook: 5000)', '5000')
    .option('--terminals <n>', 'terminals (the handbook: 10000)', '10000')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { seed: string; customers: string; terminals: string; json?: boolean }) => {
      if (name !== 'handbook') fail('the only benchmark is handbook', 2);
      // A throwaway in-memory store: the benchmark never touches the configured one.
      const config = loadConfig({ ...process.env, PAYLENS_DATA_DIR: 'memory://', DATABASE_URL: '', REDIS_URL: '' });
      await withContainer(
        async (c) => {
          const tenant = (await c.tenants.create('handbook-benchmark'))!;
          const sim = {
            seed: positive(opts.seed, '--seed', { max: 2 ** 32 - 1 }),
            customers: positive(opts.customers, '--customers', { max: 1_000_000 }),
            terminals: positive(opts.terminals, '--terminals', { max: 1_000_000 }),
          };
          const run = await runHandbookBenchmark(c.risk, tenant.id, c.customerKey, sim);
          if (opts.json)
            console.log(
              JSON.stringify({
                ...sim,
                split: run.split,
                byScenario: run.byScenario,
                results: run.results,
                published: handbookPublishedBaselines,
              }),
            );
          else for (const line of handbookTable(run)) console.log(line);
        },
        { config, logLevel: 'quiet' },
      );
    });

  labeledHistoryCommand(
    program,
    'train',
    'fit gradient-boosted trees (calibrated) on labeled history, store them as a new model version and activate it',
  ).action(async (opts: { tenant: string; from?: string; to?: string; json?: boolean }) => {
    await withContainer(async (c) => {
      const id = await tenantId(c, opts.tenant);
      const result = await c.risk.service.train(id, {
        from: parseDate(opts.from, '--from'),
        to: parseDate(opts.to, '--to'),
      });
      if (!result) fail('training needs labeled transactions of both classes (fraud/chargeback and legit)');
      if (opts.json) {
        console.log(
          JSON.stringify({
            version: result.model.version,
            trainingSize: result.model.trainingSize,
            training: result.training,
            model: result.model.model,
          }),
        );
        return;
      }
      const { model } = result.model;
      console.log(
        `model v${result.model.version} active for ${opts.tenant}: ${result.model.trainingSize} labeled transactions`,
      );
      console.log(`training fit: ROC AUC ${fmt(result.training.rocAuc)}, PR AUC ${fmt(result.training.prAuc)}`);
      if (isGbdt(model)) {
        console.log(
          `${model.trees.length} trees; most used features (splits): ${gbdtSplitCounts(model)
            .slice(0, 8)
            .map((c) => `${c.feature} ${c.splits}`)
            .join(', ')}`,
        );
      }
    });
  });

  labeledHistoryCommand(
    program,
    'evaluate',
    'ROC AUC, PR AUC, and precision/recall at the review and decline thresholds, per rules/model version',
  ).action(async (opts: { tenant: string; from?: string; to?: string; json?: boolean }) => {
    await withContainer(async (c) => {
      const id = await tenantId(c, opts.tenant);
      const rows = await c.risk.service.evaluate(id, {
        from: parseDate(opts.from, '--from'),
        to: parseDate(opts.to, '--to'),
      });
      if (opts.json) console.log(JSON.stringify(rows));
      else if (rows.length === 0) console.log('no labeled transactions yet (POST /v1/risk/labels or paylens simulate)');
      else printQuality(rows);
    });
  });
}

/** train and evaluate read the same slice of a tenant's labeled history. */
function labeledHistoryCommand(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .requiredOption('--tenant <name>', 'tenant name')
    .option('--from <iso>', 'only transactions at or after this event time')
    .option('--to <iso>', 'only transactions before this event time')
    .option('--json', 'print JSON');
}
