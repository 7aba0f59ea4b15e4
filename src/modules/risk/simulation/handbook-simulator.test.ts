import { describe, expect, it } from 'vitest';
import { simulateHandbook } from './handbook-simulator.js';

describe('the handbook transaction simulator', () => {
  // The handbook's population (5,000 customers, 10,000 terminals, radius 5) over 60 days.
  const txs = simulateHandbook({ days: 60, seed: 4 });
  const frauds = txs.filter((t) => t.fraud === 1);
  const byScenario = [1, 2, 3].map((s) => frauds.filter((t) => t.scenario === s).length);

  it('generates about the published volume: ~9,600 transactions a day, in event-time order', () => {
    const perDay = txs.length / 60;
    expect(perDay).toBeGreaterThan(8500);
    expect(perDay).toBeLessThan(10_500);
    expect(txs.every((t, i) => i === 0 || t.at >= txs[i - 1]!.at)).toBe(true);
  });

  it('has the published fraud rate (under 1 %, ~0.8 % on the full dataset) and scenario mix: terminals > leaked customers > large amounts', () => {
    const rate = frauds.length / txs.length;
    expect(rate).toBeGreaterThan(0.004);
    expect(rate).toBeLessThan(0.012);
    const [large, terminal, leaked] = byScenario as [number, number, number];
    expect(large).toBeGreaterThan(0);
    expect(terminal).toBeGreaterThan(leaked);
    expect(leaked).toBeGreaterThan(large);
  });

  it('follows the scenario rules: amounts over 220 are fraud, a compromised terminal is fraud for 28 days', () => {
    expect(txs.every((t) => t.scenario !== 0 || t.amount <= 220)).toBe(true);
    expect(txs.every((t) => t.scenario !== 1 || t.amount > 220)).toBe(true);
    const terminal = frauds.find((t) => t.scenario === 2 && t.day > 30 && t.day < 40)!;
    const atTerminal = txs.filter((t) => t.terminal === terminal.terminal && Math.abs(t.day - terminal.day) <= 3);
    expect(atTerminal.filter((t) => t.day >= terminal.day).every((t) => t.fraud === 1)).toBe(true);
  });

  it('is deterministic per seed', () => {
    const a = simulateHandbook({ customers: 300, terminals: 600, days: 10, seed: 9 });
    const b = simulateHandbook({ customers: 300, terminals: 600, days: 10, seed: 9 });
    const c = simulateHandbook({ customers: 300, terminals: 600, days: 10, seed: 10 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });
});
