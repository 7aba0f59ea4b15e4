/**
 * The API shapes the dashboard reads. Where the server declares the wire shape, it is imported as a
 * type (erased at build time, so no server code reaches the bundle); the rest mirror route schemas.
 */
import type {
  Series as Timeseries,
  Summary,
  FailureReasonShare as FailureReasonRow,
} from '../../src/modules/analytics/analytics.service.js';
import type { PaymentEvent } from '../../src/modules/normalize/canonical.js';

export type { FailureReasonRow, PaymentEvent, Summary, Timeseries };
export type { ListEntry } from '../../src/modules/risk/lists/list.repository.js';
export type { RuleSetVersion } from '../../src/modules/risk/risk.repository.js';
import type { StoredAssessmentView as StoredAssessment } from '../../src/modules/risk/risk.schemas.js';
export type { StoredAssessment };
export type {
  AuditEntryView as AuditEntry,
  ChainReportView as ChainReport,
} from '../../src/modules/tenancy/tenancy.routes.js';
export type Series = Timeseries['series'][number];
export type { Invitation, PublicUser as User } from '../../src/modules/access/access.service.js';
import type { PublicUser } from '../../src/modules/access/access.service.js';
import type { Permission, Role } from '../../src/modules/tenancy/scopes.js';
export type { Permission, Role };

/** GET /v1/me: who is calling. The dashboard only ever calls as a signed-in user. */
export interface Me {
  kind: 'user' | 'key';
  tenantId: string;
  user: PublicUser | null;
  permissions: Permission[];
  scopes: string[];
  csrfToken: string | null;
}

/** What sign-in and accepting an invitation answer (the cookie comes with it). */
export interface SessionAnswer {
  user: PublicUser;
  csrfToken: string;
  expiresAt: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface RawEventDetail {
  id: string;
  status: string;
  provider: string | null;
  providerEventId: string | null;
  receivedAt: string;
  error: string | null;
  note?: string | null;
  payload: string;
  contentType: string;
  events: PaymentEvent[];
}

export interface QueueItem {
  id: string;
  provider: string | null;
  providerEventId: string | null;
  status: string;
  error: string | null;
  attempts: number;
  receivedAt: string;
  nextAttemptAt: string | null;
  source: string;
}

export interface Payment {
  provider: string;
  providerPaymentId: string;
  status: string;
  amountMinor: number;
  currency: string;
  capturedMinor: number;
  refundedMinor: number;
  flags: string[] | Record<string, unknown>;
  firstEventAt: string;
  lastEventAt: string;
}

export interface Alert {
  id: string;
  kind: string;
  provider: string | null;
  severity: string;
  status: string;
  message: string;
  details: unknown;
  openedAt: string;
  resolvedAt: string | null;
}

export type LiveMessage =
  | { type: 'event'; data: PaymentEvent }
  | { type: 'risk'; data: Pick<StoredAssessment, 'transactionId' | 'score' | 'riskLevel' | 'decision' | 'reasons'> }
  | { type: 'alert'; data: Alert }
  | { type: 'ready'; data: { tenantId: string } }
  | { type: 'lagged'; data: { dropped: number } };
