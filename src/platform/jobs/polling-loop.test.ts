import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { PollingLoop } from './polling-loop.js';

const settle = () => new Promise((r) => setTimeout(r, 30));

describe('PollingLoop.wake', () => {
  let loop: PollingLoop | undefined;
  afterEach(async () => {
    await loop?.stop();
  });

  /** A loop whose poll pause (a minute) never ends within a test: only start and wake run passes. */
  function counting(pass: () => Promise<number> = async () => 0) {
    const runs = { count: 0 };
    loop = new PollingLoop(
      async () => {
        runs.count++;
        return pass();
      },
      { pollMs: 60_000, fullBatch: 100, logger: pino({ level: 'silent' }), name: 'test' },
    );
    return runs;
  }

  it('runs the next pass at once when woken during the pause, once however many wakes came', async () => {
    const runs = counting();
    loop!.start();
    await settle();
    expect(runs.count).toBe(1);
    for (let i = 0; i < 50; i++) loop!.wake();
    await settle();
    expect(runs.count).toBe(2);
  });

  it('runs another pass right after the one a wake interrupted, and not before it ends', async () => {
    let finish: (n: number) => void = () => undefined;
    const runs = counting(() => new Promise<number>((resolve) => (finish = resolve)));
    loop!.start();
    await settle();
    loop!.wake();
    loop!.wake();
    await settle();
    expect(runs.count).toBe(1);
    finish(0);
    await settle();
    expect(runs.count).toBe(2);
    finish(0);
    await settle();
    expect(runs.count).toBe(2);
  });

  it('does nothing once stopped', async () => {
    const runs = counting();
    loop!.start();
    await settle();
    await loop!.stop();
    loop!.wake();
    await settle();
    expect(runs.count).toBe(1);
  });
});
