import { Worker } from 'node:worker_threads';
import type { StoredAssessment } from '../risk.repository.js';
import type { FromTrainer, ToTrainer, TrainingOutcome, TrainingRequest } from './training.worker.js';

/**
 * The thread's bootstrap, evaluated from a string: a worker cannot load a .ts file, so when the
 * server runs from TypeScript sources (npm run dev, the tests) it registers tsx's loader first;
 * the compiled build loads the .js module directly.
 */
const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsLoader) (await import(workerData.tsLoader)).register();
  (await import(workerData.entry)).serveTraining(parentPort);
})().catch((error) => parentPort.postMessage({ kind: 'failed', message: String((error && error.stack) || error) }));
`;

function workerData(): { entry: string; tsLoader: string | null } {
  const fromSources = import.meta.url.endsWith('.ts');
  return {
    entry: new URL(`./training.worker.${fromSources ? 'ts' : 'js'}`, import.meta.url).href,
    tsLoader: fromSources ? import.meta.resolve('tsx/esm/api') : null,
  };
}

/**
 * Model fitting in its own thread: it is CPU-bound for seconds to minutes, and on the server's
 * thread it would stall every request for that long. Rows are sent a page at a time as they are
 * read, so neither side ever copies the whole history in one message.
 */
export class TrainingThread {
  private readonly outcome: Promise<TrainingOutcome>;

  private constructor(private readonly worker: Worker) {
    this.outcome = new Promise<TrainingOutcome>((resolve, reject) => {
      worker.on('message', (reply: FromTrainer) => {
        if (reply.kind === 'done') resolve(reply.outcome);
        else reject(new Error(`model training failed: ${reply.message}`));
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`the training thread stopped (exit code ${code})`)));
    });
    // Nobody may be waiting yet when the thread fails early; train() reports it.
    this.outcome.catch(() => undefined);
  }

  static start(): TrainingThread {
    return new TrainingThread(new Worker(BOOTSTRAP, { eval: true, workerData: workerData() }));
  }

  send(rows: StoredAssessment[]): void {
    this.worker.postMessage({ kind: 'rows', rows } satisfies ToTrainer);
  }

  train(request: TrainingRequest): Promise<TrainingOutcome> {
    this.worker.postMessage({ kind: 'train', request } satisfies ToTrainer);
    return this.outcome;
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
