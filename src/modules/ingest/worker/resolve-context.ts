import type { ResolveContext } from '../../normalize/index.js';
import type { RawEvent } from '../raw-event.js';

/** How a retry or replay finds what a webhook delivery had (its endpoint's settings); the webhooks module provides it. */
export type ResolveContextLookup = (raw: RawEvent) => Promise<ResolveContext | undefined>;
