import type { Logger } from 'pino';

export interface PollingLoopOptions {
  /** Pause between passes that found less than a full batch. */
  pollMs: number;
  /** A pass that handled at least this many items runs the next one at once (a backlog is drained). */
  fullBatch: number;
  logger: Logger;
  name: string;
}

/** Runs `pass` repeatedly on a timer until stopped; `stop()` waits for the pass in progress. */
export class PollingLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  /** A wake() during a pass: the next pass runs at once, as there may be work the pass did not see. */
  private woken = false;
  /** The pending timer runs the next pass at once: a wake() then has nothing to do. */
  private immediate = false;

  constructor(
    private readonly pass: () => Promise<number>,
    private readonly options: PollingLoopOptions,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /**
   * Runs the next pass now instead of after the poll pause (new work is known to be waiting). Called
   * once per accepted request, so it costs a flag when a pass is already running or due.
   */
  wake(): void {
    if (this.stopped || this.immediate) return;
    if (this.running) {
      this.woken = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.immediate = delayMs === 0;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.immediate = false;
      this.running = this.pass()
        .then(
          (handled) => handled,
          (error: unknown) => {
            this.options.logger.error({ err: error }, `${this.options.name}: pass failed`);
            return 0;
          },
        )
        .then((handled) => {
          this.running = null;
          const again = handled >= this.options.fullBatch || this.woken;
          this.woken = false;
          this.schedule(again ? 0 : this.options.pollMs);
        });
    }, delayMs);
    this.timer.unref();
  }
}
