import type { GeneratedTimestamp, Json, NullableJson, NullableTimestamp } from '../../platform/db/column-types.js';

export interface TenantsTable {
  id: string;
  name: string;
  created_at: GeneratedTimestamp;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  created_at: GeneratedTimestamp;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
  scopes: Json<string[]>;
  allowed_cidrs: NullableJson<string[]>;
}

export interface TenancyTables {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
}
