/** Detection quality of scores against labels (1 = fraud). Pure, so the CLI, the bench and tests share it. */
export interface Scored {
  score: number;
  label: 0 | 1;
}

/** ROC AUC by the rank statistic (Mann–Whitney U), ties counted half. Null when one class is missing. */
export function rocAuc(items: Scored[]): number | null {
  const pos = items.filter((i) => i.label === 1).length;
  const neg = items.length - pos;
  if (pos === 0 || neg === 0) return null;
  const sorted = [...items].sort((a, b) => a.score - b.score);
  let rankSumPos = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j < sorted.length && sorted[j]!.score === sorted[i]!.score) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (sorted[k]!.label === 1) rankSumPos += avgRank;
    i = j;
  }
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** PR AUC as average precision: the mean of the precision at each fraud's rank (ties share one step). */
export function prAuc(items: Scored[]): number | null {
  const pos = items.filter((i) => i.label === 1).length;
  if (pos === 0) return null;
  const sorted = [...items].sort((a, b) => b.score - a.score);
  let tp = 0;
  let fp = 0;
  let ap = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i;
    let tpGroup = 0;
    while (j < sorted.length && sorted[j]!.score === sorted[i]!.score) {
      if (sorted[j]!.label === 1) tpGroup++;
      j++;
    }
    tp += tpGroup;
    fp += j - i - tpGroup;
    ap += (tpGroup / pos) * (tp / (tp + fp));
    i = j;
  }
  return ap;
}

export interface AtThreshold {
  threshold: number;
  flagged: number;
  precision: number | null;
  recall: number | null;
}

export function atThreshold(items: Scored[], threshold: number): AtThreshold {
  const c = confusion(items, (i) => i.score >= threshold);
  return { threshold, flagged: c.tp + c.fp, ...ratios(c) };
}

/** Precision and recall of a flagging rule over labeled items; null where the denominator is 0. */
export function precisionRecall<T extends { label: 0 | 1 }>(
  items: T[],
  isFlagged: (item: T) => boolean,
): { precision: number | null; recall: number | null } {
  return ratios(confusion(items, isFlagged));
}

function confusion<T extends { label: 0 | 1 }>(
  items: T[],
  isFlagged: (item: T) => boolean,
): { tp: number; fp: number; fn: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const item of items) {
    const flagged = isFlagged(item);
    if (flagged && item.label === 1) tp++;
    else if (flagged) fp++;
    else if (item.label === 1) fn++;
  }
  return { tp, fp, fn };
}

function ratios({ tp, fp, fn }: { tp: number; fp: number; fn: number }): {
  precision: number | null;
  recall: number | null;
} {
  return { precision: tp + fp > 0 ? tp / (tp + fp) : null, recall: tp + fn > 0 ? tp / (tp + fn) : null };
}

/** A scored transaction with the day it belongs to and the card (or customer) it charged. */
export interface DailyScored extends Scored {
  day: number;
  card: string;
}

/**
 * Card precision top-k, as the ULB handbook defines it (chapter 4, "Precision top-k metrics"):
 * each day, cards are ranked by their highest score that day and the k first are what analysts
 * can check; the day's figure is the share of them that had a fraud that day, and the result is the
 * mean over days. A card found compromised (a fraud among a day's k) is left out of later days.
 */
export function cardPrecisionAtK(items: DailyScored[], k: number): number | null {
  const days = new Map<number, Map<string, { score: number; label: 0 | 1 }>>();
  for (const i of items) {
    let cards = days.get(i.day);
    if (!cards) days.set(i.day, (cards = new Map()));
    const card = cards.get(i.card);
    if (!card) cards.set(i.card, { score: i.score, label: i.label });
    else {
      card.score = Math.max(card.score, i.score);
      if (i.label === 1) card.label = 1;
    }
  }
  const detected = new Set<string>();
  const perDay: number[] = [];
  for (const day of [...days.keys()].sort((a, b) => a - b)) {
    const ranked = [...days.get(day)!.entries()]
      .filter(([card]) => !detected.has(card))
      .sort((a, b) => b[1].score - a[1].score || (a[0] < b[0] ? -1 : 1));
    const top = ranked.slice(0, k);
    let frauds = 0;
    for (const [card, c] of top) {
      if (c.label === 1) {
        frauds++;
        detected.add(card);
      }
    }
    perDay.push(frauds / k);
  }
  return perDay.length > 0 ? perDay.reduce((a, b) => a + b, 0) / perDay.length : null;
}
