import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { buildProgram } from '../src/cli/program.js';
import { createTestApp, type TestApp } from './harness/app.js';
import { findHaproxy, findPromtool } from './harness/processes.js';

const root = join(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
}
interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: { containers: Container[] };
}

function manifests(): K8sObject[] {
  const dir = join(root, 'deploy/k8s');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as K8sObject));
}

const byKind = (objects: K8sObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  expect(found, `${kind} ${name}`).toBeDefined();
  return found!;
};

/** Every metric name Paylens declares (histograms and summaries are queried with these suffixes). */
function declaredMetricNames(app: TestApp): Set<string> {
  const names = new Set<string>();
  const source = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) source(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
        for (const [, name] of read(path).matchAll(/name: '(paylens_[a-z0-9_]+)'/g)) names.add(name!);
    }
  };
  source('src');
  // Node's process metrics (collectDefaultMetrics with the paylens_ prefix) come from the live registry.
  for (const metric of app.container.metrics.registry.getMetricsAsArray()) names.add(metric.name);
  return names;
}

function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b(paylens_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|count|sum)$/, ''));
}

describe('deployment files', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp('pglite');
  }, 170_000);
  afterAll(async () => {
    await app?.close();
  });

  /** A GET route the application really serves (probes and checks must not point at a 404). */
  const served = (path: string) => app.app.hasRoute({ method: 'GET', url: path });

  it('Dockerfile: multi-stage, unprivileged, a HEALTHCHECK against a real health route', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    const healthcheck = /^HEALTHCHECK [^\n]*\\\n\s+CMD (.+)$/m.exec(dockerfile);
    expect(healthcheck).not.toBeNull();
    const path = /\/health\/(live|ready)/.exec(healthcheck![1]!)![0];
    expect(served(path)).toBe(true);
    expect(read('.dockerignore').split('\n')).toEqual(expect.arrayContaining(['.env', 'node_modules', '.git']));
  });

  it("Dockerfile: its Node is new enough for every locked dependency's engines (a `>=N` floor)", () => {
    const majors = [...read('Dockerfile').matchAll(/^FROM node:(\d+)-/gm)].map((m) => Number(m[1]));
    expect(majors.length).toBeGreaterThanOrEqual(2);
    const lock = JSON.parse(read('package-lock.json')) as {
      packages: Record<string, { engines?: { node?: string } }>;
    };
    const floors = Object.entries(lock.packages).flatMap(([path, entry]) => {
      const floor = /^>=\s*(\d+)[.\dx]*$/.exec(entry.engines?.node ?? '');
      return floor ? [{ path, major: Number(floor[1]) }] : [];
    });
    // The lock's floors are read at all (a format change that hid them would pass any image).
    expect(floors.length).toBeGreaterThan(100);
    for (const major of majors)
      expect(
        floors.filter((f) => f.major > major).map((f) => f.path),
        `node:${major}`,
      ).toEqual([]);
  });

  it('compose.yaml: services reference each other, every one restarts and is limited, Redis needs a password', () => {
    const compose = parse(read('compose.yaml')) as {
      services: Record<
        string,
        {
          image?: string;
          build?: string;
          restart?: string;
          command?: string[];
          environment?: Record<string, string>;
          depends_on?: Record<string, { condition: string }>;
          healthcheck?: { test?: string[]; disable?: boolean };
          volumes?: string[];
          ports?: string[];
          deploy?: { replicas?: number; resources?: { limits?: { cpus?: string; memory?: string } } };
        }
      >;
    };
    const services = compose.services;
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['postgres', 'redis', 'api', 'worker', 'lb']));
    for (const [name, service] of Object.entries(services)) {
      expect(service.restart, `${name} restart`).toBe('unless-stopped');
      expect(service.deploy?.resources?.limits?.cpus, `${name} cpu limit`).toBeDefined();
      expect(service.deploy?.resources?.limits?.memory, `${name} memory limit`).toBeDefined();
      for (const dependency of Object.keys(service.depends_on ?? {}))
        expect(services[dependency], `${name} depends on ${dependency}`).toBeDefined();
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('./')) expect(existsSync(join(root, source)), volume).toBe(true);
      }
      // Only the worker, which has no HTTP port, goes without a health check.
      if (name === 'worker') expect(service.healthcheck?.disable).toBe(true);
      else expect(service.healthcheck?.test?.length, `${name} healthcheck`).toBeGreaterThan(1);
    }

    const api = services.api!;
    expect(api.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(api.ports, 'the API is reached through the load balancer only').toBeUndefined();
    const apiCheck = api.healthcheck!.test!.join(' ');
    expect(served(/\/health\/(live|ready)/.exec(apiCheck)![0])).toBe(true);
    const env = api.environment!;
    // Compose substitutes ${NAME:?…} from the environment; here every one becomes `secret`.
    const substituted = (value: string) => new URL(value.replace(/\$\{[A-Z_]+(:[?-][^}]*)?\}/g, 'secret'));
    expect(substituted(env.DATABASE_URL!).hostname).toBe('postgres');
    const redisUrl = substituted(env.REDIS_URL!);
    expect(redisUrl.hostname).toBe('redis');
    expect(redisUrl.password).toBe('secret');
    expect(services.worker!.environment).toEqual(env);
    expect(services.worker!.command).toEqual(['node', 'bin/paylens.js', 'worker']);

    // Redis refuses clients without the password, which comes from the environment only.
    expect(services.redis!.command!.join(' ')).toContain('--requirepass "$$REDIS_PASSWORD"');
    expect(services.redis!.environment!.REDIS_PASSWORD).toMatch(/^\$\{REDIS_PASSWORD:\?/);
    expect(read('compose.yaml')).not.toMatch(/PASSWORD: (?!\$\{)[^\s]+/);

    // The load balancer is HAProxy's official image with the checked-in configuration, in front of `api`.
    const lb = services.lb!;
    expect(lb.image).toMatch(/^haproxy:\d/);
    expect(lb.volumes).toContain('./deploy/haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
    expect(lb.depends_on).toEqual({ api: { condition: 'service_healthy' } });
    const haproxy = read('deploy/haproxy/haproxy.cfg');
    expect(/server-template \S+ \d+ (\S+):8080/.exec(haproxy)![1]).toBe('api');
  });

  it('HAProxy checks readiness on a route the app serves', () => {
    const haproxy = read('deploy/haproxy/haproxy.cfg');
    const uri = /http-check send meth GET uri (\S+)/.exec(haproxy)![1]!;
    expect(uri).toBe('/health/ready');
    expect(served(uri)).toBe(true);
    expect(haproxy).toMatch(/http-check expect status 200/);
  });

  it('HAProxy accepts its configuration', { tags: ['haproxy'] }, () => {
    const check = spawnSync(findHaproxy()!, ['-c', '-f', join(root, 'deploy/haproxy/haproxy.cfg')], {
      encoding: 'utf8',
    });
    expect(check.status, check.stderr + check.stdout).toBe(0);
    expect(check.stdout + check.stderr).toMatch(/Configuration file is valid/);
  });

  it('Kubernetes: probes on real routes, resources, HPA, PDB and Service matching the Deployment, worker and CronJob', () => {
    const objects = manifests();
    const kustomization = parse(read('deploy/k8s/kustomization.yaml')) as { resources: string[] };
    expect(kustomization.resources.every((f) => existsSync(join(root, 'deploy/k8s', f)))).toBe(true);

    const api = byKind(objects, 'Deployment', 'paylens-api');
    const template = api.spec.template as PodTemplate;
    const [container] = template.spec.containers;
    expect(container!.livenessProbe?.httpGet?.path).toBe('/health/live');
    expect(container!.readinessProbe?.httpGet?.path).toBe('/health/ready');
    for (const probe of [container!.livenessProbe, container!.readinessProbe, container!.startupProbe]) {
      expect(served(probe!.httpGet!.path)).toBe(true);
      expect(container!.ports!.map((p) => p.name)).toContain(probe!.httpGet!.port);
    }
    expect(container!.resources?.requests?.cpu).toBeDefined();
    expect(container!.resources?.limits?.memory).toBeDefined();

    const selector = (api.spec.selector as { matchLabels: Record<string, string> }).matchLabels;
    expect(template.metadata.labels).toMatchObject(selector);
    const service = byKind(objects, 'Service', 'paylens-api');
    expect(template.metadata.labels).toMatchObject(service.spec.selector as Record<string, string>);
    const pdb = byKind(objects, 'PodDisruptionBudget', 'paylens-api');
    expect((pdb.spec.selector as { matchLabels: Record<string, string> }).matchLabels).toEqual(selector);
    const hpa = byKind(objects, 'HorizontalPodAutoscaler', 'paylens-api');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'paylens-api' });
    expect(Number(hpa.spec.minReplicas)).toBeGreaterThan(Number(pdb.spec.minAvailable));

    const worker = byKind(objects, 'Deployment', 'paylens-worker');
    const workerContainer = (worker.spec.template as PodTemplate).spec.containers[0]!;
    expect(workerContainer.args).toEqual(['node', 'bin/paylens.js', 'worker']);
    expect(workerContainer.resources?.limits?.memory).toBeDefined();

    // Twice a day, the data-lake import as the CLI really spells it.
    const cron = byKind(objects, 'CronJob', 'paylens-datalake-import');
    expect(cron.spec.schedule).toMatch(/^\d+ \d+,\d+ \* \* \*$/);
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    const job = (cron.spec.jobTemplate as { spec: { template: PodTemplate } }).spec.template;
    const args = job.spec.containers[0]!.args!;
    expect(args.slice(0, 2)).toEqual(['node', 'bin/paylens.js']);
    const [, , group, command, ...flags] = args;
    const poll = buildProgram()
      .commands.find((c) => c.name() === group)
      ?.commands.find((c) => c.name() === command);
    expect(poll, `paylens ${group} ${command}`).toBeDefined();
    for (const flag of flags) expect(poll!.options.map((o) => o.long)).toContain(flag);

    // Every workload reads the same configuration and secrets.
    for (const t of [template, worker.spec.template as PodTemplate, job])
      expect(JSON.stringify(t)).toContain('"secretRef":{"name":"paylens-secrets"}');
    byKind(objects, 'ConfigMap', 'paylens-config');
  });

  it('dashboards and alert rules query only metrics Paylens exports, and every alert has a runbook', () => {
    const names = declaredMetricNames(app);
    const exprs: string[] = [];
    const dashboards = readdirSync(join(root, 'deploy/grafana')).filter((f) => f.endsWith('.json'));
    expect(dashboards.length).toBeGreaterThanOrEqual(3);
    for (const file of dashboards) {
      const dashboard = JSON.parse(read(`deploy/grafana/${file}`)) as {
        uid: string;
        panels: { title: string; targets: { expr: string }[] }[];
      };
      expect(dashboard.uid).toBe(file.replace(/\.json$/, ''));
      for (const panel of dashboard.panels) {
        expect(panel.targets.length, panel.title).toBeGreaterThan(0);
        exprs.push(...panel.targets.map((t) => t.expr));
      }
    }
    const rules = parse(read('deploy/prometheus/rules.yml')) as {
      groups: { rules: { alert: string; expr: string; annotations: { runbook_url: string } }[] }[];
    };
    const alerts = rules.groups.flatMap((g) => g.rules);
    exprs.push(...alerts.map((a) => a.expr));
    const used = new Set(exprs.flatMap(metricsIn));
    expect(used.size).toBeGreaterThan(15);
    for (const metric of used) expect(names, `${metric} is exported`).toContain(metric);

    // The runbook anchors are headings of docs/operations.md (GitHub's anchor: the heading, lower-cased).
    const anchors = new Set(
      [...read('docs/operations.md').matchAll(/^#{2,4} (.+)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const alert of alerts) {
      expect(alert.annotations.runbook_url).toBe(`docs/operations.md#${alert.alert.toLowerCase()}`);
      expect(anchors, `runbook for ${alert.alert}`).toContain(alert.alert.toLowerCase());
    }
  });

  it('promtool accepts the rules and their unit tests pass', { tags: ['promtool'] }, () => {
    const promtool = findPromtool()!;
    const check = spawnSync(promtool, ['check', 'rules', 'rules.yml'], {
      cwd: join(root, 'deploy/prometheus'),
      encoding: 'utf8',
    });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/SUCCESS: \d+ rules found/);
    const config = spawnSync(promtool, ['check', 'config', 'prometheus.yml'], {
      cwd: join(root, 'deploy/prometheus'),
      encoding: 'utf8',
    });
    expect(config.status, config.stdout + config.stderr).toBe(0);
    const unit = spawnSync(promtool, ['test', 'rules', 'rules.test.yml'], {
      cwd: join(root, 'deploy/prometheus'),
      encoding: 'utf8',
    });
    expect(unit.status, unit.stdout + unit.stderr).toBe(0);
    expect(unit.stdout).toMatch(/SUCCESS/);
    // Every alert is exercised by the unit tests.
    const tested = new Set(
      [...read('deploy/prometheus/rules.test.yml').matchAll(/alertname: (\S+)/g)].map((m) => m[1]),
    );
    for (const [, alert] of read('deploy/prometheus/rules.yml').matchAll(/- alert: (\S+)/g))
      expect(tested, alert).toContain(alert);
  });
});
