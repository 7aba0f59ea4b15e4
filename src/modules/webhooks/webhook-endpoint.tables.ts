import type { ColumnType } from 'kysely';
import type { GeneratedTimestamp, NullableTimestamp, Timestamp } from '../../platform/db/column-types.js';

export interface WebhookEndpointsTable {
  id: string;
  tenant_id: string;
  provider: string;
  description: string | null;
  /** AES-256-GCM envelopes (see secret-box.ts); the plaintext secret is never stored. */
  secret_ciphertext: string;
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: NullableTimestamp;
  /** Non-sensitive provider settings, readable as JSON. */
  settings: ColumnType<Record<string, unknown>, string, string>;
  /** Sensitive provider settings (access tokens, client secrets) as one encrypted JSON object. */
  settings_ciphertext: string | null;
  /** Acknowledge deliveries once stored, before normalization (migration 120). */
  respond_async: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: GeneratedTimestamp;
  secret_rotated_at: NullableTimestamp;
  deleted_at: NullableTimestamp;
}

/** Delivery ids (Mercado Pago x-request-id, PayPal transmission id) already accepted, until their signature goes stale. */
export interface WebhookSeenDeliveriesTable {
  endpoint_id: string;
  delivery_id: string;
  /** Null while the first delivery is being processed. */
  raw_event_id: string | null;
  claimed_at: Timestamp;
  expires_at: Timestamp;
}

export interface WebhookTables {
  webhook_endpoints: WebhookEndpointsTable;
  webhook_seen_deliveries: WebhookSeenDeliveriesTable;
}
