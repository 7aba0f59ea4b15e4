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
