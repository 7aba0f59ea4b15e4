import { setPriority } from 'node:os';
import type { MessagePort } from 'node:worker_threads';
import {
  isFraud,
  quality,
  rescore,
  trainModel,
  type QualityReport,
  type VersionedModel,
} from '../model/model-training.js';
import type { StoredAssessment } from '../risk.repository.js';
import type { RuleSet } from '../rules/rules.js';
import { splitByEventTime } from './labeled-history.js';

export interface TrainingRequest {
  ruleSet: RuleSet;
  /** The model scoring uses now (null: rules alone); the new version must beat it on the held-out window. */
  active: VersionedModel | null;
  holdoutFraction: number;
}

export type TrainedModel = ReturnType<typeof trainModel>;

export type TrainingOutcome =
  | {
      ok: true;
      model: TrainedModel;
      trainingSize: number;
      training: QualityReport;
      holdout: { from: string; to: string; candidate: QualityReport; active: QualityReport };
    }
  | { ok: false; problem: string };

/** Messages to the training thread: labelled transactions (each once, in any order), then the order to train. */
export type ToTrainer = { kind: 'rows'; rows: StoredAssessment[] } | { kind: 'train'; request: TrainingRequest };
export type FromTrainer = { kind: 'done'; outcome: TrainingOutcome } | { kind: 'failed'; message: string };

/**
 * Fits a model on all but the most recent slice of the labelled history and scores that slice with
 * the candidate and with the active configuration, both blended with the rules as scoring would.
 */
export function runTraining(labeled: readonly StoredAssessment[], request: TrainingRequest): TrainingOutcome {
  const split = splitByEventTime(labeled, request.holdoutFraction);
  if ('problem' in split) return { ok: false, problem: split.problem };
  const model = trainModel(split.train.map((a) => ({ features: a.features, label: isFraud(a.label!) })));
  const candidate: VersionedModel = { version: 0, model };
  const { high, critical } = request.ruleSet.thresholds;
  const judged = (items: StoredAssessment[], m: VersionedModel | null) =>
    quality(
      items.map((a) => ({ score: rescore(a, request.ruleSet, m), label: isFraud(a.label!) })),
      high,
      critical,
    );
  return {
    ok: true,
    model,
    trainingSize: split.train.length,
    training: judged(split.train, candidate),
    holdout: {
      from: split.holdoutFrom.toISOString(),
      to: split.holdoutTo.toISOString(),
      candidate: judged(split.holdout, candidate),
      active: judged(split.holdout, request.active),
    },
  };
}

/** The training thread's program (started by TrainingThread): it collects rows, trains once, answers. */
export function serveTraining(port: MessagePort): void {
  // On Linux a thread has its own nice value: the fit yields the cores to the threads answering requests.
  setPriority(19);
  const labeled: StoredAssessment[] = [];
  port.on('message', (message: ToTrainer) => {
    if (message.kind === 'rows') {
      labeled.push(...message.rows);
      return;
    }
    let reply: FromTrainer;
    try {
      reply = { kind: 'done', outcome: runTraining(labeled, message.request) };
    } catch (error) {
      reply = { kind: 'failed', message: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(reply);
  });
}
