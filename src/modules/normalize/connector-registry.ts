import { AppError } from '../../platform/errors/app-error.js';
import type { Connector } from './connector.js';

export interface Detection {
  connector: Connector;
  confidence: number;
}

export class ConnectorRegistry {
  private readonly byId = new Map<string, Connector>();

  constructor(connectors: Connector[]) {
    for (const c of connectors) this.byId.set(c.id, c);
  }

  get(id: string): Connector | undefined {
    return this.byId.get(id);
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  /** A caller's provider hint must name a connector (any case); an unknown one is refused before anything is stored. */
  checkHint(hint: string | undefined): void {
    if (hint !== undefined && !this.byId.has(hint.toLowerCase())) {
      throw new AppError('unknown_provider', `Unknown provider "${hint}"; known: ${this.ids().join(', ')}`);
    }
  }

  /** Whether the named connector claims the payload with any confidence (a source's provider hint, weighed). */
  recognises(id: string, payload: unknown): boolean {
    const connector = this.byId.get(id);
    return connector !== undefined && connector.detect(payload) > 0;
  }

  /** The one connector whose payment ids look like `paymentId`; none when no connector or several do. */
  byPaymentId(paymentId: string): Connector | null {
    let found: Connector | null = null;
    for (const connector of this.byId.values()) {
      if (!connector.paymentIdPattern?.test(paymentId)) continue;
      if (found) return null;
      found = connector;
    }
    return found;
  }

  /** The connector most confident that it owns the payload, if any clears the bar. */
  detect(payload: unknown, minConfidence = 0.5): Detection | null {
    let best: Detection | null = null;
    for (const connector of this.byId.values()) {
      const confidence = connector.detect(payload);
      if (confidence >= minConfidence && (!best || confidence > best.confidence)) best = { connector, confidence };
    }
    return best;
  }
}
