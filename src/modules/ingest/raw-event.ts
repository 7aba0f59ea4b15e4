/** `queued`: accepted with `Prefer: respond-async`, stored durably, not yet normalized (the queue worker's). */
export const rawEventStatuses = ['queued', 'normalized', 'unprocessed', 'ignored', 'dead', 'discarded'] as const;
export type RawEventStatus = (typeof rawEventStatuses)[number];

export const ingestSources = ['api', 'webhook', 'batch', 'datalake', 'cli'] as const;
export type IngestSource = (typeof ingestSources)[number];

export interface RawEvent {
  id: string;
  tenantId: string;
  source: string;
  provider: string | null;
  providerEventId: string | null;
  contentType: string;
  payload: string;
  payloadSha256: string;
  status: RawEventStatus;
  error: string | null;
  attempts: number;
  nextAttemptAt: Date | null;
  endpointId: string | null;
  receivedAt: Date;
  processedAt: Date | null;
}
