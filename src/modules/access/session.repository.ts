import type { Kysely } from 'kysely';
import type { Database } from '../../database.js';
import { toDate } from '../../platform/db/timestamps.js';
import type { Role } from '../tenancy/index.js';

export interface NewSession {
  id: string;
  tenantId: string;
  userId: string;
  tokenHash: string;
  csrfToken: string;
  method: 'password' | 'sso';
  clientAddress: string | null;
  userAgent: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** A live session with what authorization needs of its user. */
export interface SessionView {
  id: string;
  tenantId: string;
  userId: string;
  csrfToken: string;
  lastSeenAt: Date;
  expiresAt: Date;
  email: string;
  role: Role;
}

export class SessionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(session: NewSession): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        id: session.id,
        tenant_id: session.tenantId,
        user_id: session.userId,
        token_hash: session.tokenHash,
        csrf_token: session.csrfToken,
        method: session.method,
        client_address: session.clientAddress,
        user_agent: session.userAgent,
        created_at: session.createdAt,
        last_seen_at: session.createdAt,
        expires_at: session.expiresAt,
      })
      .execute();
  }

  /** The session of a token if it has not ended and its user is enabled (timeouts are the caller's to judge). */
  async findLive(tokenHash: string): Promise<SessionView | null> {
    const row = await this.db
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select([
        's.id',
        's.tenant_id',
        's.user_id',
        's.csrf_token',
        's.last_seen_at',
        's.expires_at',
        'u.email',
        'u.role',
      ])
      .where('s.token_hash', '=', tokenHash)
      .where('s.ended_at', 'is', null)
      .where('u.disabled_at', 'is', null)
      .executeTakeFirst();
    if (!row) return null;
    return {
      id: row.id,
      tenantId: row.tenant_id,
      userId: row.user_id,
      csrfToken: row.csrf_token,
      lastSeenAt: toDate(row.last_seen_at),
      expiresAt: toDate(row.expires_at),
      email: row.email,
      role: row.role as Role,
    };
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.db.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', id).execute();
  }

  /** Ends one session; its id when it was live. */
  async end(id: string, at: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('sessions')
      .set({ ended_at: at })
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Ends every live session of a user; the ids of those ended. */
  async endAllOf(tenantId: string, userId: string, at: Date): Promise<string[]> {
    const rows = await this.db
      .updateTable('sessions')
      .set({ ended_at: at })
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('ended_at', 'is', null)
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  /** The sessions among `ids` that are still live at `now` (not ended, within both timeouts, user enabled). */
  async liveIds(ids: readonly string[], now: Date, idleSince: Date): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select('s.id')
      .where('s.id', 'in', ids)
      .where('s.ended_at', 'is', null)
      .where('u.disabled_at', 'is', null)
      .where('s.expires_at', '>', now)
      .where('s.last_seen_at', '>', idleSince)
      .execute();
    return new Set(rows.map((r) => r.id));
  }
}
