import type {
  GeneratedTimestamp,
  Json,
  NullableBigIntColumn,
  NullableTimestamp,
  Timestamp,
} from '../../platform/db/column-types.js';

export interface UsersTable {
  id: string;
  tenant_id: string;
  email: string;
  role: string;
  password_hash: string | null;
  sso_subject: string | null;
  totp_secret: string | null;
  totp_pending_secret: string | null;
  totp_last_step: NullableBigIntColumn;
  recovery_codes: Json<string[]>;
  disabled_at: NullableTimestamp;
  last_sign_in_at: NullableTimestamp;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface InvitationsTable {
  id: string;
  tenant_id: string;
  user_id: string;
  token_hash: string;
  created_by: string;
  created_at: GeneratedTimestamp;
  expires_at: Timestamp;
  accepted_at: NullableTimestamp;
}

export interface SessionsTable {
  id: string;
  tenant_id: string;
  user_id: string;
  token_hash: string;
  csrf_token: string;
  method: string;
  client_address: string | null;
  user_agent: string | null;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  ended_at: NullableTimestamp;
}

export interface SignInFailuresTable {
  user_id: string;
  at: Timestamp;
}

export interface SsoSettingsTable {
  tenant_id: string;
  issuer: string;
  client_id: string;
  client_secret: string;
  role_claim: string;
  role_mapping: Json<Record<string, string>>;
  default_role: string | null;
  jit_provisioning: boolean;
  updated_at: Timestamp;
}

export interface SsoRequestsTable {
  state_hash: string;
  tenant_id: string;
  code_verifier: string;
  nonce: string;
  invitation_token: string | null;
  expires_at: Timestamp;
}

export interface AccessTables {
  users: UsersTable;
  invitations: InvitationsTable;
  sessions: SessionsTable;
  sign_in_failures: SignInFailuresTable;
  sso_settings: SsoSettingsTable;
  sso_requests: SsoRequestsTable;
}
