import {
  context,
  INVALID_SPAN_CONTEXT,
  SpanStatusCode,
  trace,
  type Context,
  type Link,
  type Span,
  type SpanOptions,
} from '@opentelemetry/api';

const tracer = trace.getTracer('paylens');

/** Set once the process exports spans (see startTelemetry): until then a span would be built and dropped for nothing. */
let recording = false;
const UNRECORDED: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

export function enableSpans(): void {
  recording = true;
}

async function runInSpan<T>(
  name: string,
  options: SpanOptions,
  parent: Context,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, options, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Runs `fn` inside a child span of the active one, recording failures on it. */
export function withSpan<T>(
  name: string,
  attributes: Record<string, string | number>,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  if (!recording) return fn(UNRECORDED);
  return runInSpan(name, { attributes }, context.active(), fn);
}

/** The caller's trace context, to hand to work that runs later on its behalf (a group commit). */
export function activeContext(): Context | null {
  return recording ? context.active() : null;
}

/**
 * A span for work done for many callers at once (a group commit serving many requests): a child of
 * the first caller's span, linked to every other caller's span, so each request's trace shows the
 * commit that made its event durable.
 */
export function withBatchSpan<T>(
  name: string,
  attributes: Record<string, string | number>,
  callers: readonly (Context | null)[],
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  if (!recording) return fn(UNRECORDED);
  const parent = callers[0] ?? context.active();
  const links: Link[] = [];
  for (const caller of callers.slice(1)) {
    const spanContext = caller ? trace.getSpanContext(caller) : undefined;
    if (spanContext) links.push({ context: spanContext });
  }
  return runInSpan(name, { attributes, links }, parent, fn);
}
