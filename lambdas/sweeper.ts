import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { type JobSystemModel, phaseOf } from '../waiters';
import type { JobSystemIO } from './job-system-io';
import { JOB_SYSTEMS } from './job-systems';
import { movedFor, PARK_TABLE_ENV, type ParkRecord, ParkStore } from './wake-up/park-store';
import { wake } from './wake-up/task-tokens';

/**
 * The sweeper: the fallback for lost events. On a schedule (every few minutes) it reads every park, asks
 * each job's status once, batched (DescribeJobs takes 100 ids a call), and wakes only the waits whose job
 * moved from the status they parked on. With every event lost, each wait is still noticed within about
 * one sweep interval. A throttled or failed status call ends the sweep early: the next one goes on, and the
 * parks' own timeouts stand behind both.
 */
export interface SweeperDependencies {
  store: ParkStore;
  sfn: SFNClient;
  /** Each system's I/O, for the systems whose waits park. */
  systems: readonly { model: JobSystemModel; io: JobSystemIO }[];
  now: () => number;
  log: (line: Record<string, unknown>) => void;
  /** Stop starting new status calls this long before the Lambda's timeout. */
  budgetMs?: number;
  /** Chance, for the order parks are checked in (default Math.random). */
  random?: () => number;
}

/**
 * Each sweep checks the parked jobs in a random order: one cut short (throttled, out of time) leaves other
 * parks for the next, not the same ones every time.
 */

/** What one sweep did. */
export interface SweepReport {
  parks: number;
  statusCalls: number;
  woken: number;
  dropped: number;
  /** Set when the sweep stopped early (throttled, failed, or out of time). */
  stoppedEarly?: string;
}

/** Ids per status call: DescribeJobs takes "a list of up to 100 job IDs" (Batch API Reference). */
export const SWEEP_BATCH = 100;

const DEFAULT_BUDGET_MS = 60_000;

export function createSweeper(deps: SweeperDependencies): () => Promise<SweepReport> {
  return async () => {
    const started = deps.now();
    const report: SweepReport = { parks: 0, statusCalls: 0, woken: 0, dropped: 0 };
    const random = deps.random ?? Math.random;
    for (const { model, io } of deps.systems) {
      const operation = model.operations[0] as string;
      // Every park first (a Scan reads them all anyway), then the jobs in a random order, 100 a call.
      const byJob = new Map<string, ParkRecord[]>();
      for await (const page of deps.store.allParks(model.id)) {
        report.parks += page.length;
        for (const park of page) byJob.set(park.jobId, [...(byJob.get(park.jobId) ?? []), park]);
      }
      const jobIds = shuffled([...byJob.keys()], random);
      for (let start = 0; start < jobIds.length; start += SWEEP_BATCH) {
        if (deps.now() - started > (deps.budgetMs ?? DEFAULT_BUDGET_MS)) {
          report.stoppedEarly = 'out of time';
          return finish(report);
        }
        const batch = jobIds.slice(start, start + SWEEP_BATCH);
        report.statusCalls++;
        const result = await io.status(operation, batch);
        if ('kind' in result) {
          report.stoppedEarly = `${result.kind}: ${result.errorName}`;
          return finish(report);
        }
        const interpretation = model.interpret(batch, [], result);
        // Only an answer that shows the jobs wakes anything: an error says nothing of them. A status the
        // system does not document moved its job (its wait's poll then fails closed); the rest are read.
        const answered =
          interpretation.kind === 'outcome' || interpretation.kind === 'unknownStatus'
            ? interpretation.jobs
            : undefined;
        if (answered === undefined) {
          deps.log({ event: 'sweepUnusableAnswer', kind: interpretation.kind, jobs: batch.length });
          continue;
        }
        const statuses = new Map(answered.map((job) => [job.jobId, job.status]));
        for (const jobId of batch) {
          for (const park of byJob.get(jobId) ?? []) {
            // Moved to a status its stage waits for, out of sight, or to a status nobody documented: its
            // wait's own poll says what that means.
            const status = statuses.get(jobId);
            const documented = status === undefined || phaseOf(model, status) !== undefined;
            if (documented && !movedFor(park, status)) continue;
            const woke = await wake(deps.sfn, park.taskToken, {
              wokenBy: 'sweeper',
              jobId,
              ...(statuses.get(jobId) === undefined ? {} : { status: statuses.get(jobId) }),
            });
            await deps.store.deleteUsed(park);
            report[woke === 'woken' ? 'woken' : 'dropped']++;
          }
        }
      }
    }
    return finish(report);
  };

  function finish(report: SweepReport): SweepReport {
    deps.log({ event: 'sweep', ...report });
    return report;
  }
}

/** A copy of `items` in random order (Fisher-Yates). */
function shuffled<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

let defaultSweeper: (() => Promise<SweepReport>) | undefined;

/** The deployed entry point (an EventBridge schedule invokes it); the systems connect from the environment. */
export const handler = (): Promise<SweepReport> => {
  defaultSweeper ??= createSweeper({
    store: new ParkStore(new DynamoDBClient({ maxAttempts: 2 }), process.env[PARK_TABLE_ENV] as string),
    sfn: new SFNClient({ maxAttempts: 2 }),
    systems: Object.values(JOB_SYSTEMS)
      .filter((system) => system.model.stateChangeEvents !== undefined && system.endpoint === 'none')
      .map((system) => ({ model: system.model, io: system.connect(process.env, undefined) })),
    now: Date.now,
    log: (line) => console.log(JSON.stringify(line)),
  });
  return defaultSweeper();
};
