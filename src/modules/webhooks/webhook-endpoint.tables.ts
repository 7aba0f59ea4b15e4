import type { ColumnType } from 'kysely';
import type { GeneratedTimestamp, NullableTimestamp } from '../../platform/db/column-types.js';

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
  created_at: GeneratedTimestamp;
  secret_rotated_at: NullableTimestamp;
  deleted_at: NullableTimestamp;
}

export interface WebhookTables {
  webhook_endpoints: WebhookEndpointsTable;
}
