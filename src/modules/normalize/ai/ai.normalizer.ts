import pLimit, { type LimitFunction } from 'p-limit';
import CircuitBreaker from 'opossum';
import OpenAI from 'openai';
import type { Logger } from 'pino';
import type { Config } from '../../../platform/config/config.js';
import type { NormalizedEventDraft } from '../canonical.js';
import type { NormalizeContext } from '../connector.js';
import { currencyExponent, decimalToMinor, isIsoCurrency } from '../money.js';
import type { FallbackNormalizer, NormalizeResult } from '../normalize.service.js';
import { emailDomain } from '../payload-access.js';
import { aiDraftJsonSchema, aiDraftSchema, type AiDraft } from './ai-draft.schema.js';

export interface AiNormalizerOptions {
  baseURL: string;
  model: string;
  apiKey: string;
  timeoutMs: number;
  maxRetries: number;
  /** Calls in flight at once: a big batch of unknown payloads must not flood the endpoint. */
  concurrency: number;
  /** How long the breaker stays open before letting one trial call through. */
  resetTimeoutMs: number;
  logger?: Logger;
}

const MAX_PAYLOAD_CHARS = 20_000;

const instructions = [
  'You convert one payment provider payload into a canonical payment event.',
  'Answer only with JSON matching the given schema. Use null for anything the payload does not state; never invent identifiers, amounts or times.',
  'amount is in major units as a plain decimal string ("12.50"); currency is the ISO 4217 code; status and type use the schema vocabulary.',
  'Card numbers in the payload are already masked.',
].join(' ');

/** The checked answer as a draft; throws on anything the schema allows but the model got wrong. */
function draftFromAi(answer: AiDraft, ctx: NormalizeContext): NormalizedEventDraft {
  const amountMinor = decimalToMinor(answer.amount, answer.currency);
  if (amountMinor === null)
    throw new Error(
      `amount "${answer.amount}" is not a decimal in ${answer.currency} (exponent ${currencyExponent(answer.currency)})`,
    );
  if (!isIsoCurrency(answer.currency)) throw new Error(`currency ${answer.currency} is not an ISO 4217 code`);
  const occurredAt = answer.occurredAt ? new Date(answer.occurredAt) : ctx.now;
  if (Number.isNaN(occurredAt.getTime())) throw new Error(`occurredAt "${answer.occurredAt}" is not a time`);
  const declined = answer.status === 'declined' || answer.status === 'failed';
  return {
    providerEventId: null,
    providerPaymentId: answer.providerPaymentId,
    type: answer.type,
    status: answer.status,
    failureReason: declined ? (answer.failureReason ?? 'unknown') : null,
    declineType: null,
    recommendedAction: declined ? 'review_manually' : null,
    providerCode: answer.providerCode,
    providerMessage: answer.providerMessage,
    amountMinor,
    currency: answer.currency,
    merchant: null,
    customerKey: answer.email ? ctx.customerKey('email', answer.email.toLowerCase()) : null,
    emailDomain: emailDomain(answer.email),
    ip: null,
    ipCountry: null,
    deviceId: null,
    card:
      answer.cardLast4 || answer.cardBin
        ? { brand: answer.cardBrand, bin: answer.cardBin, last4: answer.cardLast4, country: null, funding: null }
        : null,
    occurredAt,
    normalizationMethod: 'ai',
    confidence: answer.confidence,
    metadata: {},
  };
}

/**
 * Normalizes a payload through any OpenAI-compatible endpoint with a JSON-schema structured answer,
 * validated with Zod. Timeouts and retries are the client's; a circuit breaker stops calling an
 * endpoint that keeps failing. Every failure is an `unprocessed` result naming the cause.
 */
export class AiNormalizer implements FallbackNormalizer {
  private readonly client: OpenAI;
  private readonly breaker: CircuitBreaker<[string], string>;
  private readonly limit: LimitFunction;
  private readonly schema = aiDraftJsonSchema();

  constructor(private readonly options: AiNormalizerOptions) {
    this.client = new OpenAI({
      baseURL: options.baseURL,
      apiKey: options.apiKey,
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
    });
    this.limit = pLimit(options.concurrency);
    this.breaker = new CircuitBreaker((payload: string) => this.complete(payload), {
      // The client enforces the per-attempt timeout; retries make the whole call longer.
      timeout: false,
      errorThresholdPercentage: 50,
      volumeThreshold: 3,
      resetTimeout: options.resetTimeoutMs,
    });
    this.breaker.on('open', () => options.logger?.warn({ baseURL: options.baseURL }, 'AI normalizer circuit opened'));
  }

  get circuitOpen(): boolean {
    return this.breaker.opened;
  }

  async normalize(payload: unknown, ctx: NormalizeContext): Promise<NormalizeResult> {
    let content: string;
    try {
      content = await this.limit(() => this.breaker.fire(JSON.stringify(payload).slice(0, MAX_PAYLOAD_CHARS)));
    } catch (error) {
      const open = (error as { code?: string }).code === 'EOPENBREAKER';
      return {
        status: 'unprocessed',
        events: [],
        note: open
          ? 'AI normalizer unavailable: circuit open after repeated failures'
          : `AI normalizer failed: ${messageOf(error)}`,
      };
    }
    try {
      const parsed = aiDraftSchema.safeParse(JSON.parse(content));
      if (!parsed.success) {
        return {
          status: 'unprocessed',
          events: [],
          note: `AI normalizer answer does not match the schema: ${parsed.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join('.')}: ${i.message}`)
            .join('; ')}`,
        };
      }
      return { status: 'normalized', events: [draftFromAi(parsed.data, ctx)], note: null };
    } catch (error) {
      return { status: 'unprocessed', events: [], note: `AI normalizer answer is unusable: ${messageOf(error)}` };
    }
  }

  shutdown(): void {
    this.breaker.shutdown();
  }

  private async complete(payload: string): Promise<string> {
    const response = await this.client.chat.completions.create({
      model: this.options.model,
      temperature: 0,
      messages: [
        { role: 'system', content: instructions },
        { role: 'user', content: payload },
      ],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'canonical_payment_event', strict: true, schema: this.schema },
      },
    });
    const content = response.choices[0]?.message.content;
    if (!content) throw new Error('the endpoint answered without content');
    return content;
  }
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 300);
}

/** The AI normalizer when AI_BASE_URL and AI_MODEL are set, else null (heuristics only). */
export function createAiNormalizer(
  config: Pick<Config, 'AI_BASE_URL' | 'AI_MODEL' | 'AI_API_KEY' | 'AI_TIMEOUT_MS'>,
  logger?: Logger,
): AiNormalizer | null {
  if (!config.AI_BASE_URL || !config.AI_MODEL) return null;
  return new AiNormalizer({
    baseURL: config.AI_BASE_URL,
    model: config.AI_MODEL,
    // OpenAI-compatible local servers often need no key, but the client insists on one.
    apiKey: config.AI_API_KEY ?? 'not-needed',
    timeoutMs: config.AI_TIMEOUT_MS,
    maxRetries: 2,
    concurrency: 8,
    resetTimeoutMs: 30_000,
    ...(logger ? { logger } : {}),
  });
}
