import { randomToken, sha256Hex } from '../../platform/crypto/hashing.js';
import type { SecretBox } from '../../platform/crypto/secret-box.js';
import { AppError, fieldError } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids.js';
import { ROLE_PERMISSIONS, type Principal, type Role, type SessionResolver } from '../tenancy/index.js';
import { passwordProblem } from './password-policy.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { SessionRepository } from './session.repository.js';
import { matchTotp, newRecoveryCodes, newTotpSecret, recoveryCodeHash } from './totp.js';
import type { UserRecord, UserRepository } from './user.repository.js';

/** Who asks, from where: what every audit entry of this module records. */
export interface Caller {
  /** The acting user's or key's id; for sign-ins, the user signing in (or `anonymous`). */
  actor: string;
  details: Record<string, unknown>;
}

export interface AuditRecorder {
  record(
    tenantId: string,
    entry: { actor: string; action: string; target: string | null; details: Record<string, unknown> },
  ): Promise<unknown>;
}

export interface TenantLookup {
  findByName(name: string): Promise<{ id: string; name: string } | null>;
}

export interface AccessSettings {
  /** Where the dashboard is reached (invitation links, the SSO redirect); null: relative links only. */
  publicUrl: string | null;
  idleTimeoutMs: number;
  absoluteTimeoutMs: number;
  invitationTtlMs: number;
  /** Failed password sign-ins per account within `lockoutWindowMs` after which it waits (at most 10). */
  lockoutFailures: number;
  lockoutWindowMs: number;
}

export interface AccessDeps {
  users: UserRepository;
  sessions: SessionRepository;
  audit: AuditRecorder;
  tenants: TenantLookup;
  /** Encrypts TOTP secrets at rest; null when no encryption key is configured. */
  secretBox(): Promise<SecretBox | null>;
  /** Told the sessions that ended, so their live-feed connections close on every instance. */
  onSessionsEnded(tenantId: string, sessionIds: readonly string[]): void;
  clock: () => Date;
  settings: AccessSettings;
}

export interface PublicUser {
  id: string;
  email: string;
  role: Role;
  status: 'invited' | 'active' | 'disabled';
  totp: boolean;
  createdAt: string;
  lastSignInAt: string | null;
}

export interface Invitation {
  token: string;
  url: string;
  expiresAt: string;
}

export interface NewSessionResult {
  token: string;
  csrfToken: string;
  expiresAt: Date;
  user: PublicUser;
}

/** What re-authenticates a signed-in user: the current password, or a current authenticator code. */
export interface Reauthentication {
  password?: string | undefined;
  code?: string | undefined;
}

/** A password sign-in (or re-authentication) refused because the account had too many failures: retry after `retryAfter` seconds. */
export class AccountLocked extends Error {
  constructor(readonly retryAfter: number) {
    super('account locked');
  }
}

export function presentUser(user: UserRecord): PublicUser {
  return {
    id: user.id,
    email: user.email,
    role: user.role,
    status: user.disabledAt ? 'disabled' : user.passwordHash || user.ssoSubject ? 'active' : 'invited',
    totp: user.totpSecret !== null,
    createdAt: user.createdAt.toISOString(),
    lastSignInAt: user.lastSignInAt?.toISOString() ?? null,
  };
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

const TOTP_ISSUER = 'Paylens';
const TOUCH_EVERY_MS = 30_000;

/** Users, invitations, password sign-in with optional TOTP, and the sessions they open. */
export class AccessService implements SessionResolver {
  constructor(private readonly deps: AccessDeps) {}

  private get now(): Date {
    return this.deps.clock();
  }

  async invite(
    tenantId: string,
    input: { email: string; role: Role },
    caller: Caller,
  ): Promise<{ user: PublicUser; invitation: Invitation }> {
    const email = normalizeEmail(input.email);
    const user = await this.deps.users.insert({ id: newId('usr'), tenantId, email, role: input.role }, this.now);
    if (!user) throw new AppError('conflict', `${email} is already a user of this tenant`);
    const invitation = await this.issueInvitation(user, caller.actor);
    await this.deps.audit.record(tenantId, {
      actor: caller.actor,
      action: 'user.invite',
      target: user.id,
      details: { ...caller.details, email, role: input.role, expiresAt: invitation.expiresAt },
    });
    return { user: presentUser(user), invitation };
  }

  /**
   * A new invitation for a user who has not joined yet (theirs expired or went astray); the earlier
   * links stop working. Only an owner invites an owner again.
   */
  async reinvite(
    tenantId: string,
    id: string,
    caller: Caller & { isOwner: boolean },
  ): Promise<{ user: PublicUser; invitation: Invitation }> {
    const user = await this.deps.users.findById(tenantId, id);
    if (!user) throw new AppError('not_found', `No user ${id}`);
    if (user.role === 'owner' && !caller.isOwner) throw new AppError('forbidden', 'Only an owner can invite an owner');
    const presented = presentUser(user);
    if (presented.status !== 'invited')
      throw new AppError(
        'conflict',
        `${user.email} is ${presented.status}: only a user who has not joined is invited again`,
      );
    await this.deps.users.closeInvitations(tenantId, id, this.now);
    const invitation = await this.issueInvitation(user, caller.actor);
    await this.deps.audit.record(tenantId, {
      actor: caller.actor,
      action: 'user.reinvite',
      target: id,
      details: { ...caller.details, email: user.email, role: user.role, expiresAt: invitation.expiresAt },
    });
    return { user: presented, invitation };
  }

  private async issueInvitation(user: UserRecord, createdBy: string): Promise<Invitation> {
    const token = `inv_${randomToken(32)}`;
    const expiresAt = new Date(this.now.getTime() + this.deps.settings.invitationTtlMs);
    await this.deps.users.insertInvitation({
      id: newId('inv'),
      tenantId: user.tenantId,
      userId: user.id,
      tokenHash: sha256Hex(token),
      createdBy,
      expiresAt,
    });
    const path = `/accept-invitation#token=${token}`;
    const base = this.deps.settings.publicUrl;
    return { token, url: base ? `${base}${path}` : path, expiresAt: expiresAt.toISOString() };
  }

  async list(tenantId: string): Promise<PublicUser[]> {
    return (await this.deps.users.list(tenantId)).map(presentUser);
  }

  async get(tenantId: string, id: string): Promise<UserRecord | null> {
    return this.deps.users.findById(tenantId, id);
  }

  /**
   * Changes a user's role or disables/enables them. Only an owner makes, changes or disables an
   * owner, and the last active owner stays one. A role change or a disable ends every session of
   * the user at once (and their live feed).
   */
  async update(
    tenantId: string,
    id: string,
    change: { role?: Role | undefined; disabled?: boolean | undefined },
    caller: Caller & { isOwner: boolean },
  ): Promise<PublicUser> {
    const user = await this.deps.users.findById(tenantId, id);
    if (!user) throw new AppError('not_found', `No user ${id}`);
    const touchesOwner = user.role === 'owner' || change.role === 'owner';
    if (touchesOwner && !caller.isOwner) throw new AppError('forbidden', 'Only an owner can make or change an owner');
    const roleChanged = change.role !== undefined && change.role !== user.role;
    const disabling = change.disabled === true && user.disabledAt === null;
    const enabling = change.disabled === false && user.disabledAt !== null;
    if (user.role === 'owner' && (disabling || roleChanged)) {
      if ((await this.deps.users.otherActiveOwners(tenantId, id)) === 0)
        throw new AppError('conflict', 'A tenant keeps at least one active owner');
    }
    const now = this.now;
    const updated = await this.deps.users.update(
      tenantId,
      id,
      {
        ...(roleChanged ? { role: change.role } : {}),
        ...(disabling ? { disabled_at: now } : enabling ? { disabled_at: null } : {}),
      },
      now,
    );
    if (!updated) throw new AppError('not_found', `No user ${id}`);
    if (roleChanged || disabling) await this.endSessionsOf(tenantId, id);
    const audits: Array<[string, Record<string, unknown>]> = [];
    if (roleChanged) audits.push(['user.role_change', { from: user.role, to: change.role }]);
    if (disabling) audits.push(['user.disable', {}]);
    if (enabling) audits.push(['user.enable', {}]);
    for (const [action, details] of audits) {
      await this.deps.audit.record(tenantId, {
        actor: caller.actor,
        action,
        target: id,
        details: { ...caller.details, email: user.email, ...details },
      });
    }
    return presentUser(updated);
  }

  /** Ends every session of a user at once (and their live feed): a disable or a role change, here or through SSO. */
  async endSessionsOf(tenantId: string, userId: string): Promise<void> {
    const ended = await this.deps.sessions.endAllOf(tenantId, userId, this.now);
    if (ended.length > 0) this.deps.onSessionsEnded(tenantId, ended);
  }

  /** Sets the invited user's password and signs them in. */
  async acceptInvitation(token: string, password: string, caller: Caller): Promise<NewSessionResult> {
    const tokenHash = sha256Hex(token);
    const invited = await this.deps.users.invitedUser(tokenHash, this.now);
    if (!invited || invited.disabledAt)
      throw new AppError('not_found', 'The invitation is unknown, used or expired; ask for a new one');
    const problem = passwordProblem(password, invited.email);
    if (problem) throw fieldError('password', problem);
    const passwordHash = await hashPassword(password);
    const user = await this.deps.users.acceptInvitation(tokenHash, this.now);
    if (!user) throw new AppError('not_found', 'The invitation is unknown, used or expired; ask for a new one');
    const active = await this.deps.users.update(user.tenantId, user.id, { password_hash: passwordHash }, this.now);
    await this.deps.audit.record(user.tenantId, {
      actor: user.id,
      action: 'invitation.accept',
      target: user.id,
      details: { ...caller.details, email: user.email, method: 'password' },
    });
    return this.openSession(active ?? user, 'password', caller);
  }

  /** The user an invitation is for, consumed (SSO acceptance checks the identity itself). */
  async takeInvitation(token: string): Promise<UserRecord | null> {
    return this.deps.users.acceptInvitation(sha256Hex(token), this.now);
  }

  async peekInvitation(token: string): Promise<UserRecord | null> {
    return this.deps.users.invitedUser(sha256Hex(token), this.now);
  }

  /**
   * Password sign-in. Every failure answers alike (401) whatever was wrong; an account with
   * `lockoutFailures` failures in the window is refused before its password is checked, until the
   * oldest of them leaves the window.
   */
  async login(
    input: { tenant: string; email: string; password: string; totp?: string | undefined },
    caller: Caller,
  ): Promise<NewSessionResult> {
    const tenant = await this.deps.tenants.findByName(input.tenant);
    const email = normalizeEmail(input.email);
    const user = tenant ? await this.deps.users.findByEmail(tenant.id, email) : null;
    const now = this.now;
    if (user) {
      const retryAfter = await this.lockedFor(user, now);
      if (retryAfter !== null) {
        await this.auditFailure(user.tenantId, user, email, 'locked', caller);
        throw new AccountLocked(retryAfter);
      }
    }
    const passwordOk = await verifyPassword(user?.passwordHash ?? null, input.password);
    if (!user || !passwordOk || user.disabledAt) {
      if (user) await this.deps.users.recordFailure(user.id, now);
      if (tenant) await this.auditFailure(tenant.id, user, email, user ? 'bad_credentials' : 'unknown_user', caller);
      throw new AppError('unauthorized', 'The tenant, e-mail address or password is wrong');
    }
    if (user.totpSecret) {
      if (!input.totp) throw new AppError('totp_required', 'Enter the code from your authenticator app');
      if (!(await this.secondFactorOk(user, input.totp))) {
        await this.deps.users.recordFailure(user.id, now);
        await this.auditFailure(user.tenantId, user, email, 'bad_totp', caller);
        throw new AppError('totp_required', 'The authenticator or recovery code is wrong or already used');
      }
    }
    await this.deps.users.clearFailures(user.id);
    return this.openSession(user, 'password', caller);
  }

  /** Seconds until the account may try its password again, or null when it may now. */
  private async lockedFor(user: UserRecord, now: Date): Promise<number | null> {
    const { lockoutFailures, lockoutWindowMs } = this.deps.settings;
    const failures = await this.deps.users.failuresSince(user.id, new Date(now.getTime() - lockoutWindowMs));
    if (failures.length < lockoutFailures) return null;
    const oldest = failures[failures.length - lockoutFailures]!;
    return Math.max(1, Math.ceil((oldest.getTime() + lockoutWindowMs - now.getTime()) / 1000));
  }

  private async auditFailure(
    tenantId: string,
    user: UserRecord | null,
    email: string,
    reason: string,
    caller: Caller,
  ): Promise<void> {
    await this.deps.audit.record(tenantId, {
      actor: user?.id ?? 'anonymous',
      action: 'auth.sign_in_failed',
      target: user?.id ?? null,
      details: { ...caller.details, email, reason },
    });
  }

  private async secondFactorOk(user: UserRecord, code: string): Promise<boolean> {
    const trimmed = code.trim();
    if (/^\d{6}$/.test(trimmed)) return this.totpCodeOk(user, trimmed);
    const hash = recoveryCodeHash(trimmed);
    if (!user.recoveryCodes.includes(hash)) return false;
    const remaining = user.recoveryCodes.filter((h) => h !== hash);
    return this.deps.users.spendRecoveryCode(user.tenantId, user.id, remaining, user.recoveryCodes);
  }

  /** A current authenticator code of the user's TOTP, spending its time step (a code never works twice). */
  private async totpCodeOk(user: UserRecord, code: string): Promise<boolean> {
    if (!user.totpSecret || !/^\d{6}$/.test(code)) return false;
    const secret = await this.openTotpSecret(user, user.totpSecret);
    const step = matchTotp(secret, code, this.now, user.totpLastStep);
    return step !== null && this.deps.users.advanceTotpStep(user.tenantId, user.id, step);
  }

  /** Opens a session for a user who proved who they are (password, invitation, SSO). */
  async openSession(user: UserRecord, method: 'password' | 'sso', caller: Caller): Promise<NewSessionResult> {
    const now = this.now;
    const token = randomToken(32);
    const csrfToken = randomToken(24);
    const id = newId('ses');
    const expiresAt = new Date(now.getTime() + this.deps.settings.absoluteTimeoutMs);
    const address = typeof caller.details.clientAddress === 'string' ? caller.details.clientAddress : null;
    const userAgent = typeof caller.details.userAgent === 'string' ? caller.details.userAgent : null;
    await this.deps.sessions.insert({
      id,
      tenantId: user.tenantId,
      userId: user.id,
      tokenHash: sha256Hex(token),
      csrfToken,
      method,
      clientAddress: address,
      userAgent,
      createdAt: now,
      expiresAt,
    });
    const signedIn = await this.deps.users.update(user.tenantId, user.id, { last_sign_in_at: now }, now);
    await this.deps.audit.record(user.tenantId, {
      actor: user.id,
      action: 'auth.sign_in',
      target: user.id,
      details: { ...caller.details, email: user.email, method, sessionId: id },
    });
    return { token, csrfToken, expiresAt, user: presentUser(signedIn ?? user) };
  }

  /** SessionResolver: the signed-in user of a cookie, judged against both timeouts on every request. */
  async resolve(token: string): Promise<Principal | null> {
    if (token.length > 100) return null;
    const session = await this.deps.sessions.findLive(sha256Hex(token));
    if (!session) return null;
    const now = this.now;
    const idleEnd = session.lastSeenAt.getTime() + this.deps.settings.idleTimeoutMs;
    if (now >= session.expiresAt || now.getTime() >= idleEnd) {
      if (await this.deps.sessions.end(session.id, now)) this.deps.onSessionsEnded(session.tenantId, [session.id]);
      return null;
    }
    if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) await this.deps.sessions.touch(session.id, now);
    return {
      tenantId: session.tenantId,
      keyId: session.userId,
      kind: 'user',
      scopes: [],
      allowsAddress: () => true,
      user: {
        id: session.userId,
        email: session.email,
        role: session.role,
        sessionId: session.id,
        csrfToken: session.csrfToken,
        permissions: ROLE_PERMISSIONS[session.role],
      },
    };
  }

  /** The sessions among `ids` still live: the live feed closes the others' connections. */
  liveSessionIds(ids: readonly string[]): Promise<Set<string>> {
    const now = this.now;
    return this.deps.sessions.liveIds(ids, now, new Date(now.getTime() - this.deps.settings.idleTimeoutMs));
  }

  async logout(principal: Principal, caller: Caller): Promise<void> {
    const user = principal.user;
    if (!user) return;
    if (await this.deps.sessions.end(user.sessionId, this.now))
      this.deps.onSessionsEnded(principal.tenantId, [user.sessionId]);
    await this.deps.audit.record(principal.tenantId, {
      actor: user.id,
      action: 'auth.sign_out',
      target: user.id,
      details: { ...caller.details, email: user.email, sessionId: user.sessionId },
    });
  }

  /** Starts TOTP enrolment: a new secret, kept pending until a code from it is confirmed. */
  async beginTotp(tenantId: string, userId: string): Promise<{ secret: string; otpauthUrl: string }> {
    const user = await this.requireUser(tenantId, userId);
    if (user.totpSecret) throw new AppError('conflict', 'TOTP is already on; turn it off first');
    const { secret, url } = newTotpSecret(TOTP_ISSUER, user.email);
    const sealed = await this.sealTotpSecret(user, secret);
    await this.deps.users.update(tenantId, userId, { totp_pending_secret: sealed }, this.now);
    return { secret, otpauthUrl: url };
  }

  /** Turns TOTP on once a code from the pending secret matches; the recovery codes are shown this once. */
  async confirmTotp(tenantId: string, userId: string, code: string, caller: Caller): Promise<string[]> {
    const user = await this.requireUser(tenantId, userId);
    if (!user.totpPendingSecret) throw new AppError('conflict', 'Start TOTP enrolment first (POST /v1/me/totp)');
    const secret = await this.openTotpSecret(user, user.totpPendingSecret);
    const step = matchTotp(secret, code.trim(), this.now, null);
    if (step === null) throw fieldError('code', 'does not match the authenticator');
    const recovery = newRecoveryCodes();
    await this.deps.users.update(
      tenantId,
      userId,
      {
        totp_secret: user.totpPendingSecret,
        totp_pending_secret: null,
        totp_last_step: step,
        recovery_codes: JSON.stringify(recovery.hashes),
      },
      this.now,
    );
    await this.deps.audit.record(tenantId, {
      actor: userId,
      action: 'user.totp_enable',
      target: userId,
      details: { ...caller.details, email: user.email },
    });
    return recovery.codes;
  }

  /** Turns TOTP off (and drops the recovery codes) once the user proves it is them again. */
  async disableTotp(tenantId: string, userId: string, proof: Reauthentication, caller: Caller): Promise<PublicUser> {
    const user = await this.requireUser(tenantId, userId);
    if (!user.totpSecret) throw new AppError('conflict', 'TOTP is not on');
    await this.reauthenticate(user, proof, 'user.totp_disable', caller);
    const updated = await this.deps.users.update(
      tenantId,
      userId,
      { totp_secret: null, totp_pending_secret: null, totp_last_step: null, recovery_codes: '[]' },
      this.now,
    );
    await this.deps.audit.record(tenantId, {
      actor: userId,
      action: 'user.totp_disable',
      target: userId,
      details: { ...caller.details, email: user.email },
    });
    return presentUser(updated ?? user);
  }

  /** Ten new recovery codes, shown this once; every earlier code stops working. */
  async regenerateRecoveryCodes(
    tenantId: string,
    userId: string,
    proof: Reauthentication,
    caller: Caller,
  ): Promise<string[]> {
    const user = await this.requireUser(tenantId, userId);
    if (!user.totpSecret) throw new AppError('conflict', 'Recovery codes come with TOTP; turn it on first');
    await this.reauthenticate(user, proof, 'user.recovery_codes_regenerate', caller);
    const recovery = newRecoveryCodes();
    await this.deps.users.update(tenantId, userId, { recovery_codes: JSON.stringify(recovery.hashes) }, this.now);
    await this.deps.audit.record(tenantId, {
      actor: userId,
      action: 'user.recovery_codes_regenerate',
      target: userId,
      details: { ...caller.details, email: user.email, count: recovery.codes.length },
    });
    return recovery.codes;
  }

  /**
   * A signed-in user proves again that it is them (the current password or an authenticator code)
   * before changing their second factor, so a stolen session cannot remove it. Failures count toward
   * the account's sign-in lockout: otherwise this would be a second, unlimited place to guess the password.
   */
  private async reauthenticate(user: UserRecord, proof: Reauthentication, action: string, caller: Caller) {
    const now = this.now;
    const fail = async (reason: string) =>
      this.deps.audit.record(user.tenantId, {
        actor: user.id,
        action: 'auth.reauthentication_failed',
        target: user.id,
        details: { ...caller.details, email: user.email, reason, for: action },
      });
    const retryAfter = await this.lockedFor(user, now);
    if (retryAfter !== null) {
      await fail('locked');
      throw new AccountLocked(retryAfter);
    }
    const field = proof.password !== undefined ? 'password' : 'code';
    const ok =
      proof.password !== undefined
        ? await verifyPassword(user.passwordHash, proof.password)
        : await this.totpCodeOk(user, (proof.code ?? '').trim());
    if (ok) return;
    await this.deps.users.recordFailure(user.id, now);
    await fail(`bad_${field}`);
    throw fieldError(field, field === 'password' ? 'is not your current password' : 'does not match the authenticator');
  }

  private async requireUser(tenantId: string, userId: string): Promise<UserRecord> {
    const user = await this.deps.users.findById(tenantId, userId);
    if (!user) throw new AppError('not_found', `No user ${userId}`);
    return user;
  }

  private async box(): Promise<SecretBox> {
    const box = await this.deps.secretBox();
    if (!box) throw new AppError('conflict', 'TOTP needs PAYLENS_ENCRYPTION_KEY to keep its secrets encrypted');
    return box;
  }

  private async sealTotpSecret(user: UserRecord, secret: string): Promise<string> {
    return (await this.box()).encrypt(secret, `totp:${user.id}`);
  }

  private async openTotpSecret(user: UserRecord, sealed: string): Promise<string> {
    return (await this.box()).decrypt(sealed, `totp:${user.id}`);
  }
}
