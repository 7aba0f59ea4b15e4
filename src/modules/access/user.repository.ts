import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../../database.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import { toDate, toDateOrNull } from '../../platform/db/timestamps.js';
import type { Role } from '../tenancy/index.js';
import type { UsersTable } from './access.tables.js';

export interface UserRecord {
  id: string;
  tenantId: string;
  email: string;
  role: Role;
  passwordHash: string | null;
  ssoSubject: string | null;
  totpSecret: string | null;
  totpPendingSecret: string | null;
  totpLastStep: number | null;
  recoveryCodes: string[];
  disabledAt: Date | null;
  lastSignInAt: Date | null;
  createdAt: Date;
}

export interface NewUser {
  id: string;
  tenantId: string;
  email: string;
  role: Role;
  ssoSubject?: string | null;
}

function toUser(row: Selectable<UsersTable>): UserRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    email: row.email,
    role: row.role as Role,
    passwordHash: row.password_hash,
    ssoSubject: row.sso_subject,
    totpSecret: row.totp_secret,
    totpPendingSecret: row.totp_pending_secret,
    totpLastStep: row.totp_last_step === null ? null : Number(row.totp_last_step),
    recoveryCodes: row.recovery_codes,
    disabledAt: toDateOrNull(row.disabled_at),
    lastSignInAt: toDateOrNull(row.last_sign_in_at),
    createdAt: toDate(row.created_at),
  };
}

export type UserChange = Partial<{
  role: Role;
  password_hash: string;
  sso_subject: string;
  totp_secret: string | null;
  totp_pending_secret: string | null;
  totp_last_step: number | null;
  recovery_codes: string;
  disabled_at: Date | null;
  last_sign_in_at: Date;
}>;

/** Users and their invitations; every query is scoped to a tenant. */
export class UserRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Null when the tenant already has a user with this e-mail address. */
  async insert(user: NewUser, now: Date): Promise<UserRecord | null> {
    try {
      const row = await this.db
        .insertInto('users')
        .values({
          id: user.id,
          tenant_id: user.tenantId,
          email: user.email,
          role: user.role,
          sso_subject: user.ssoSubject ?? null,
          recovery_codes: '[]',
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toUser(row);
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  async findById(tenantId: string, id: string): Promise<UserRecord | null> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toUser(row) : null;
  }

  async findByEmail(tenantId: string, email: string): Promise<UserRecord | null> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('email', '=', email)
      .executeTakeFirst();
    return row ? toUser(row) : null;
  }

  async findBySsoSubject(tenantId: string, subject: string): Promise<UserRecord | null> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('sso_subject', '=', subject)
      .executeTakeFirst();
    return row ? toUser(row) : null;
  }

  async list(tenantId: string): Promise<UserRecord[]> {
    const rows = await this.db
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toUser);
  }

  /** Active owners other than `exceptId`: a tenant must never lose its last one. */
  async otherActiveOwners(tenantId: string, exceptId: string): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('role', '=', 'owner')
      .where('disabled_at', 'is', null)
      .where('id', '!=', exceptId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async update(tenantId: string, id: string, change: UserChange, now: Date): Promise<UserRecord | null> {
    const row = await this.db
      .updateTable('users')
      .set({ ...change, updated_at: now })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row ? toUser(row) : null;
  }

  /** Spends a recovery code: true only for the one request that removed it. */
  async spendRecoveryCode(tenantId: string, id: string, remaining: string[], expected: string[]): Promise<boolean> {
    const result = await this.db
      .updateTable('users')
      .set({ recovery_codes: JSON.stringify(remaining) })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where(sql`recovery_codes`, '=', sql`${JSON.stringify(expected)}::jsonb`)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Moves the last used TOTP step forward; false when another request used this step (or a later one) first. */
  async advanceTotpStep(tenantId: string, id: string, step: number): Promise<boolean> {
    const result = await this.db
      .updateTable('users')
      .set({ totp_last_step: step })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', String(step))]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async insertInvitation(invitation: {
    id: string;
    tenantId: string;
    userId: string;
    tokenHash: string;
    createdBy: string;
    expiresAt: Date;
  }): Promise<void> {
    await this.db
      .insertInto('invitations')
      .values({
        id: invitation.id,
        tenant_id: invitation.tenantId,
        user_id: invitation.userId,
        token_hash: invitation.tokenHash,
        created_by: invitation.createdBy,
        expires_at: invitation.expiresAt,
      })
      .execute();
  }

  /** Ends a user's open invitations: a new one replaces them. */
  async closeInvitations(tenantId: string, userId: string, now: Date): Promise<void> {
    await this.db
      .updateTable('invitations')
      .set({ expires_at: now })
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('accepted_at', 'is', null)
      .where('expires_at', '>', now)
      .execute();
  }

  /** Marks an open, unexpired invitation accepted and returns its user; null when there is none (or it was taken first). */
  async acceptInvitation(tokenHash: string, now: Date): Promise<UserRecord | null> {
    const invitation = await this.db
      .updateTable('invitations')
      .set({ accepted_at: now })
      .where('token_hash', '=', tokenHash)
      .where('accepted_at', 'is', null)
      .where('expires_at', '>', now)
      .returning(['tenant_id', 'user_id'])
      .executeTakeFirst();
    if (!invitation) return null;
    return this.findById(invitation.tenant_id, invitation.user_id);
  }

  /** The user of an open, unexpired invitation, without accepting it. */
  async invitedUser(tokenHash: string, now: Date): Promise<UserRecord | null> {
    const invitation = await this.db
      .selectFrom('invitations')
      .select(['tenant_id', 'user_id'])
      .where('token_hash', '=', tokenHash)
      .where('accepted_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return invitation ? this.findById(invitation.tenant_id, invitation.user_id) : null;
  }

  async recordFailure(userId: string, at: Date): Promise<void> {
    await this.db.insertInto('sign_in_failures').values({ user_id: userId, at }).execute();
  }

  /** Failed sign-ins since `since`, oldest first. */
  async failuresSince(userId: string, since: Date): Promise<Date[]> {
    const rows = await this.db
      .selectFrom('sign_in_failures')
      .select('at')
      .where('user_id', '=', userId)
      .where('at', '>', since)
      .orderBy('at')
      .execute();
    return rows.map((r) => toDate(r.at));
  }

  async clearFailures(userId: string): Promise<void> {
    await this.db.deleteFrom('sign_in_failures').where('user_id', '=', userId).execute();
  }
}
