/** The API shapes the dashboard reads (mirrors of the server's zod schemas). */
export interface RiskReason {
  code: string;
  message: string;
  weight: number;
}

export interface RiskAssessment {
  score: number;
  riskLevel: string;
  decision: 'approve' | 'review' | 'decline';
  reasons: RiskReason[];
  modelVersion: string | null;
  rulesVersion: string | null;
}

export interface PaymentEvent {
  id: string;
  tenantId: string;
  source: string;
  rawEventId: string;
  provider: string;
  providerEventId: string | null;
  providerPaymentId: string | null;
  type: string;
  status: string;
  failureReason: string | null;
  declineType: string | null;
  recommendedAction: string | null;
  providerCode: string | null;
  providerMessage: string | null;
  amountMinor: number;
  currency: string;
  amountUsdMinor: number | null;
  merchant: { id: string | null; name: string | null; country: string | null } | null;
  customerKey: string | null;
  emailDomain: string | null;
  ip: string | null;
  ipCountry: string | null;
  deviceId: string | null;
  card: { brand: string | null; bin: string | null; last4: string | null; country: string | null; funding: string | null } | null;
  occurredAt: string;
  receivedAt: string;
  normalizedAt: string;
  normalizationMethod: string;
  confidence: number;
  metadata: Record<string, unknown>;
  risk?: RiskAssessment | null;
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

export interface Summary {
  from: string;
  to: string;
  count: number;
  approvalRate: number | null;
  volumeUsdMinor: number;
  averageTicketUsdMinor: number | null;
  byStatus: Record<string, number>;
  ingestionLagMs: { p50: number | null; p95: number | null };
  riskDecisions: { approve: number; review: number; decline: number };
}

export interface Series {
  key: string | null;
  points: Array<{ t: string; value: number | null }>;
}

export interface Timeseries {
  metric: string;
  interval: string;
  groupBy: string | null;
  series: Series[];
}

export interface FailureReasonRow {
  reason: string;
  count: number;
  share: number;
  declineType: string | null;
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

export interface ListEntry {
  id: string;
  type: string;
  value: string;
  action: 'block' | 'allow';
  reason: string | null;
  expiresAt: string | null;
}

export type LiveMessage =
  | { type: 'event'; data: PaymentEvent }
  | { type: 'risk'; data: unknown }
  | { type: 'alert'; data: Alert }
  | { type: 'ready'; data: { tenantId: string } }
  | { type: 'lagged'; data: { dropped: number } };
