/**
 * `npm run new:connector NAME [-- --into DIR]`: creates src/modules/normalize/connectors/NAME/ with the
 * files every connector has — glue, codes table, events table, signature check, a test and a sample
 * delivery — each a small working template to edit into the provider's real shapes. It registers
 * nothing: the connector joins detection only once someone adds it to connectors/index.ts.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';

const repoRoot = resolve(import.meta.dirname, '..');
const defaultRoot = join(repoRoot, 'src/modules/normalize/connectors');
/** Lower-case letters and digits, like the existing folders: the name is also the connector id and an identifier prefix. */
const validName = /^[a-z][a-z0-9]{1,29}$/;

function templates(name: string): Record<string, string> {
  const title = name.charAt(0).toUpperCase() + name.slice(1);
  return {
    [`${name}.codes.ts`]: `import type { DeclineMapping } from '../../connector.js';

/**
 * Every ${title} decline code we know with certainty, mapped to the canonical reason (see stripe.codes.ts
 * for rows). A code missing here is reported as unmapped, never guessed.
 */
export const ${name}Codes: Readonly<Record<string, DeclineMapping>> = {};
`,
    [`${name}.events.ts`]: `import type { EventStatus, EventType } from '../../canonical.js';
import { eventRow } from '../../event-table.js';

export interface ${title}Event {
  type: EventType;
  status: EventStatus;
}

/**
 * ${title} event type → canonical event; a type missing here does not change payment state. A cell that
 * depends on the payload is a Choice (see stripe.events.ts), a family of types a \`prefix*\` row.
 */
export const ${name}Events = {
  'payment.succeeded': { type: 'sale', status: 'approved' },
  'payment.failed': { type: 'sale', status: 'declined' },
  'refund.succeeded': { type: 'refund', status: 'refunded' },
} as const satisfies Record<string, ${title}Event>;

export function ${name}Event(type: string): ${title}Event | undefined {
  return eventRow<${title}Event>(${name}Events, type);
}
`,
    [`${name}.signature.ts`]: `import { headerValue, type VerifyInput, type VerifyResult } from '../../connector.js';
import { hmacSha256, safeEqual } from '../../../../platform/crypto/hashing.js';

/**
 * Hex HMAC-SHA256 of the raw body in \`x-${name}-signature\`. The scheme signs no time, so a replay is
 * the same signed body and the event-id dedupe absorbs it; a scheme with a timestamp should also
 * check it with outsideWindow (see stripe.signature.ts).
 */
export function verify${title}Signature({ rawBody, headers, secret }: VerifyInput): VerifyResult {
  const given = headerValue(headers, 'x-${name}-signature')?.trim().toLowerCase();
  if (!given) return { ok: false, reason: 'missing x-${name}-signature header' };
  const expected = hmacSha256(secret, rawBody).toString('hex');
  return safeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'x-${name}-signature does not match the body' };
}
`,
    [`${name}.connector.ts`]: `import type { NormalizedEventDraft } from '../../canonical.js';
import {
  envelopeEventId,
  mapDeclineCode,
  type Connector,
  type NormalizeContext,
  type NormalizeOutcome,
} from '../../connector.js';
import { emailDomain, int, isoToDate, isRecord, record, str } from '../../payload-access.js';
import { ${name}Codes } from './${name}.codes.js';
import { ${name}Event, type ${title}Event } from './${name}.events.js';
import { verify${title}Signature } from './${name}.signature.js';

type Data = Record<string, unknown>;

interface Envelope {
  id: string;
  type: string;
  createdAt: string | null;
  data: Data;
}

function readEnvelope(payload: unknown): Envelope | null {
  const id = str(payload, 'id');
  const type = str(payload, 'type');
  const data = record(payload, 'data');
  if (!id || !type || !data) return null;
  return { id, type, createdAt: str(payload, 'created_at'), data };
}

function build(env: Envelope, row: ${title}Event, ctx: NormalizeContext): NormalizedEventDraft {
  const { data } = env;
  const failure = row.status === 'declined' || row.status === 'failed';
  const code = str(data, 'decline_code');
  const { mapping, unmapped } = mapDeclineCode(${name}Codes, code);
  const email = str(data, 'customer.email');
  const draft: NormalizedEventDraft = {
    providerEventId: env.id,
    providerPaymentId: str(data, 'id'),
    type: row.type,
    status: row.status,
    failureReason: failure ? mapping.reason : null,
    declineType: failure ? mapping.declineType : null,
    recommendedAction: failure ? mapping.action : null,
    providerCode: code,
    providerMessage: null,
    // A missing amount must not become 0: NaN makes the pipeline keep the event unprocessed. Amounts in
    // another exponent than ISO 4217's are rescaled first (see stripe.connector.ts, toIsoMinor).
    amountMinor: int(data, 'amount') ?? Number.NaN,
    currency: (str(data, 'currency') ?? '').toUpperCase(),
    merchant: null,
    // Only a salted hash of the email is kept, and its domain.
    customerKey: email ? ctx.customerKey('email', email) : null,
    emailDomain: emailDomain(email),
    ip: null,
    ipCountry: null,
    deviceId: null,
    card: null,
    occurredAt: isoToDate(env.createdAt) ?? new Date(Number.NaN),
    normalizationMethod: 'rules',
    confidence: 1,
    metadata: { ${name}EventType: env.type },
  };
  if (failure && unmapped && code) draft.unmappedCode = code;
  return draft;
}

export const ${name}Connector: Connector = {
  id: '${name}',
  displayName: '${title}',
  codes: ${name}Codes,

  detect(payload) {
    if (!isRecord(payload) || 'object' in payload) return 0;
    const env = readEnvelope(payload);
    if (!env || env.createdAt === null) return 0;
    return ${name}Event(env.type) ? 0.9 : 0.5;
  },

  eventId: envelopeEventId,

  normalize(payload, ctx): NormalizeOutcome {
    const env = readEnvelope(payload);
    if (!env) return { kind: 'ignored', reason: '${title}: not an event envelope' };
    const row = ${name}Event(env.type);
    if (!row) return { kind: 'ignored', reason: \`${title} event type \${env.type} does not change payment state\` };
    return { kind: 'events', events: [build(env, row, ctx)] };
  },

  verify: verify${title}Signature,
};
`,
    [`${name}.connector.test.ts`]: `import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventStatuses, eventTypes, failureReasons } from '../../canonical.js';
import { noOutbound } from '../../../../platform/net/outbound-client.js';
import { expectSingleEvent, expectTotal, readJsonFixture, testNormalizeContext } from '../connector.testing.js';
import { ${name}Codes } from './${name}.codes.js';
import { ${name}Connector } from './${name}.connector.js';
import { ${name}Events } from './${name}.events.js';

const fixtureUrl = new URL('./__fixtures__/payment.failed.json', import.meta.url);

describe('${name} connector: tables', () => {
  it('maps every event type to a canonical type and status, and every code to a canonical reason', () => {
    for (const row of Object.values(${name}Events)) {
      expect(eventTypes).toContain(row.type);
      expect(eventStatuses).toContain(row.status);
    }
    for (const mapping of Object.values(${name}Codes)) expect(failureReasons).toContain(mapping.reason);
  });
});

describe('${name} connector: normalization', () => {
  it('normalizes the sample delivery as its events row says, reporting a code the table does not know', () => {
    const event = expectSingleEvent(${name}Connector.normalize(readJsonFixture(fixtureUrl), testNormalizeContext));
    expect(event).toMatchObject({
      providerEventId: 'evt_0001',
      providerPaymentId: 'pay_0001',
      type: 'sale',
      status: 'declined',
      failureReason: 'unknown',
      unmappedCode: 'insufficient_funds',
      amountMinor: 1999,
      currency: 'EUR',
      customerKey: 'ck_email_ada@example.com',
      emailDomain: 'example.com',
      occurredAt: new Date('2024-11-24T12:00:00Z'),
    });
  });

  it('claims its own deliveries and not another provider envelope', () => {
    expect(${name}Connector.detect(readJsonFixture(fixtureUrl))).toBeGreaterThan(0.8);
    expect(${name}Connector.detect({ id: 'evt_1', object: 'event', type: 'charge.succeeded', data: {} })).toBe(0);
    expect(${name}Connector.detect({ id: 'evt_1', type: 'payment_approved', created_on: '2024-01-01', data: {} })).toBe(0);
  });

  it('ignores event types its table does not list', () => {
    const payload = { ...(readJsonFixture(fixtureUrl) as object), type: 'customer.created' };
    expect(${name}Connector.normalize(payload, testNormalizeContext).kind).toBe('ignored');
  });

  it('never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => expectTotal(${name}Connector, value)),
      { numRuns: 300 },
    );
  });
});

describe('${name} connector: signature', () => {
  const secret = 'whk_paylens_fixture_key';
  const body = readFileSync(fixtureUrl);
  const sign = (raw: Buffer, key = secret) => createHmac('sha256', key).update(raw).digest('hex');
  const verify = (header: string | undefined, raw = body) =>
    ${name}Connector.verify!({
      rawBody: raw,
      headers: { 'x-${name}-signature': header },
      query: {},
      secret,
      settings: {},
      now: new Date(),
      http: noOutbound,
    });

  it('accepts the signature of the body and rejects a missing, wrong-key or tampered one', async () => {
    expect(await verify(sign(body))).toEqual({ ok: true });
    expect(await verify(undefined)).toMatchObject({ ok: false });
    expect(await verify(sign(body, 'whk_other'))).toMatchObject({ ok: false });
    expect(await verify(sign(body), Buffer.from(body.toString('utf8').replace('1999', '1')))).toMatchObject({
      ok: false,
    });
  });
});
`,
    '__fixtures__/payment.failed.json': `${JSON.stringify(
      {
        id: 'evt_0001',
        type: 'payment.failed',
        created_at: '2024-11-24T12:00:00Z',
        data: {
          id: 'pay_0001',
          amount: 1999,
          currency: 'eur',
          decline_code: 'insufficient_funds',
          customer: { email: 'Ada@Example.com' },
        },
      },
      null,
      2,
    )}\n`,
  };
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { into: { type: 'string', default: defaultRoot } },
});
const [name, ...extra] = positionals;
if (!name || extra.length > 0) fail('usage: npm run new:connector NAME [-- --into CONNECTORS_DIR]');
if (!validName.test(name))
  fail(`"${name}" is not a connector name: 2–30 lower-case letters and digits, starting with a letter (e.g. acmepay)`);
const root = resolve(values.into);
const dir = join(root, name);
if (existsSync(dir)) fail(`${dir} already exists: pick another name or edit that connector`);

// Formatted with the repository's settings wherever the folder goes, so the files pass format:check as generated.
const prettierOptions = await resolveConfig(join(repoRoot, 'package.json'));
mkdirSync(join(dir, '__fixtures__'), { recursive: true });
for (const [file, text] of Object.entries(templates(name))) {
  const formatted = await format(text, { ...prettierOptions, filepath: file });
  writeFileSync(join(dir, file), formatted, { flag: 'wx' });
}

const fromHere = (path: string) =>
  relative(process.cwd(), path).startsWith('..') ? path : relative(process.cwd(), path);
const shown = fromHere(dir);
const title = name.charAt(0).toUpperCase() + name.slice(1);
console.log(`Created ${shown}/ (${name}.connector.ts, .codes.ts, .events.ts, .signature.ts, a test and a sample delivery).

Next:
  1. Edit ${name}.events.ts, ${name}.connector.ts and __fixtures__/ to ${title}'s documented payloads,
     ${name}.codes.ts to its decline codes, ${name}.signature.ts to its signature scheme.
  2. Run its test: npx vitest run ${shown}
  3. Register it: in ${fromHere(join(root, 'index.ts'))} import ${name}Connector from
     './${name}/${name}.connector.js' and add it to allConnectors — until then detection never tries it.`);
