import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { effectiveWindow, granularityMs, planRanges } from './time-ranges.js';

const t = (iso: string) => Date.parse(iso);

describe('planRanges', () => {
  it('uses days, then hours, then minutes at the edges', () => {
    const plan = planRanges(t('2026-01-01T22:30:00Z'), t('2026-01-04T01:15:00Z'));
    expect(plan.map((r) => [r.granularity, new Date(r.start).toISOString(), new Date(r.end).toISOString()])).toEqual([
      ['minute', '2026-01-01T22:30:00.000Z', '2026-01-01T23:00:00.000Z'],
      ['hour', '2026-01-01T23:00:00.000Z', '2026-01-02T00:00:00.000Z'],
      ['day', '2026-01-02T00:00:00.000Z', '2026-01-04T00:00:00.000Z'],
      ['hour', '2026-01-04T00:00:00.000Z', '2026-01-04T01:00:00.000Z'],
      ['minute', '2026-01-04T01:00:00.000Z', '2026-01-04T01:15:00.000Z'],
    ]);
  });

  it('stays within one hour at minute granularity', () => {
    expect(planRanges(t('2026-01-01T10:05:00Z'), t('2026-01-01T10:20:00Z'))).toEqual([
      { granularity: 'minute', start: t('2026-01-01T10:05:00Z'), end: t('2026-01-01T10:20:00Z') },
    ]);
    expect(planRanges(t('2026-01-01T10:05:00Z'), t('2026-01-01T10:05:00Z'))).toEqual([]);
  });

  it('tiles any minute-aligned window exactly, with aligned buckets', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5_000_000 }),
        fc.integer({ min: 0, max: 200_000 }),
        (startMinute, length) => {
          const from = startMinute * 60_000;
          const to = from + length * 60_000;
          const plan = planRanges(from, to);
          let cursor = from;
          for (const range of plan) {
            expect(range.start).toBe(cursor);
            expect(range.start % granularityMs(range.granularity)).toBe(0);
            expect(range.end % granularityMs(range.granularity)).toBe(0);
            expect(range.end).toBeGreaterThan(range.start);
            cursor = range.end;
          }
          expect(cursor).toBe(length === 0 ? from : to);
          expect(plan.length).toBeLessThanOrEqual(5);
        },
      ),
    );
  });
});

describe('effectiveWindow', () => {
  it('floors the start and includes the minute holding the end', () => {
    expect(effectiveWindow(new Date('2026-01-01T10:05:30Z'), new Date('2026-01-01T11:00:01Z'))).toEqual({
      from: t('2026-01-01T10:05:00Z'),
      to: t('2026-01-01T11:01:00Z'),
    });
    expect(effectiveWindow(new Date('2026-01-01T10:05:00Z'), new Date('2026-01-01T11:00:00Z'))).toEqual({
      from: t('2026-01-01T10:05:00Z'),
      to: t('2026-01-01T11:00:00Z'),
    });
  });
});

describe('effectiveWindow with a minute horizon', () => {
  it('covers the asked window and never plans a minute bucket before the horizon', () => {
    const HOUR = 3_600_000;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000_000 }),
        fc.integer({ min: 1, max: 400_000 }),
        fc.integer({ min: 0, max: 600 }),
        (fromSeconds, lengthSeconds, horizonHours) => {
          const from = fromSeconds * 1000 * 37;
          const to = from + lengthSeconds * 1000;
          const horizon = horizonHours * HOUR;
          const w = effectiveWindow(new Date(from), new Date(to), horizon);
          expect(w.from).toBeLessThanOrEqual(from);
          expect(w.to).toBeGreaterThanOrEqual(to);
          for (const range of planRanges(w.from, w.to)) {
            if (range.granularity === 'minute') expect(range.start).toBeGreaterThanOrEqual(horizon);
          }
        },
      ),
    );
  });
});
