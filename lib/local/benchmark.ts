import { BATCH_STAGES, type DelayStrategy } from '../../waiters';
import { eventModeFixedCostPerMonthUsd } from './cost-model';
import { DEFAULT_EVENT_DELIVERY } from './event-bus';
import { HISTORY_EVENT_LIMIT } from './history';
import { inPool } from './in-pool';
import { STATED_LATENCIES } from './latencies';
import { type LocalRunReport, runLocalWait } from './local-run';
import { runnableWaiter, type SynthesizedWaiter } from './local-waiter';
import { seededRandom } from './seeded-random';

/** A named way of spacing polls: a delay strategy per stage, passed to the same machine per execution. */
export interface BenchStrategy {
  name: string;
  description: string;
  delays: Record<string, DelayStrategy>;
  /**
   * Event mode: the machine synthesized with `wakeUp: 'events'` runs the wait instead (with these delays
   * before a park and on throttles), its events lost with this probability.
   */
  events?: { lossProbability: number };
}

export interface BenchJob {
  durationSeconds: number;
  queueSeconds: number;
}

export interface StrategyResult {
  name: string;
  description: string;
  jobs: number;
  pollsPerJob: number;
  transitionsPerJob: number;
  costPerJobHourUsd: number;
  p50DetectionSeconds: number;
  p95DetectionSeconds: number;
  /**
   * DescribeJobs calls in the busiest virtual second, all jobs starting together (a nightly batch). Each
   * wait's first call is left out: those coincide whatever the strategy, jitter spreads the ones after.
   */
  peakDescribeJobsPerSecond: number;
  maxHistoryEvents: number;
  /** Runs that would fail in AWS: over 25,000 history events in one execution. */
  failedRuns: number;
  /** Runs that did not end SUCCEEDED (every job of the mix succeeds, so each is a wrong ending). */
  wrongEndings: number;
  /** The variable cost of one wait, on average (for spreading fixed costs over a month's waits). */
  costPerWaitUsd: number;
  /** Waited hours per wait, on average. */
  hoursPerWait: number;
  /** Event mode only: its fixed cost a month (the queue's idle polling, the sweeper). */
  fixedCostPerMonthUsd?: number;
  /** A waiter with a registry: the registry writes a wait made, on average (one per change it shows). */
  registryWritesPerJob?: number;
}

export interface BenchResult {
  jobs: number;
  seed: number;
  baseline: StrategyResult;
  strategies: StrategyResult[];
}

const everyStage = (strategy: DelayStrategy) =>
  Object.fromEntries(BATCH_STAGES.map((stage) => [stage, strategy]));

/**
 * The strategies compared. The baseline is the AWS "job poller" sample: one fixed 30 s Wait, no jitter.
 * `stepwait-default` is what JobWaiter uses unless told otherwise (see DEFAULT_DELAYS and the README).
 */
export function benchStrategies(stepwaitDefault: Record<string, DelayStrategy>): BenchStrategy[] {
  return [
    {
      name: 'aws-sample-30s',
      description: 'AWS job poller sample: fixed 30 s, no jitter',
      delays: everyStage({ kind: 'fixed', delay: 30 }),
    },
    {
      name: 'airflow-defaults',
      description: "Airflow's Batch waiters: 2 / 5 / 300 s, +/- 2 s",
      delays: {
        JobExists: { kind: 'fixed', delay: 2, jitter: 2 },
        JobRunning: { kind: 'fixed', delay: 5, jitter: 2 },
        JobComplete: { kind: 'fixed', delay: 300, jitter: 2 },
      },
    },
    {
      name: 'fixed-60s-jitter',
      description: 'fixed 60 s +/- 10 s',
      delays: everyStage({ kind: 'fixed', delay: 60, jitter: 10 }),
    },
    {
      name: 'exponential-5-120',
      description: 'exponential, full jitter, 5 s to 120 s',
      delays: everyStage({ kind: 'exponential', minDelay: 5, maxDelay: 120 }),
    },
    {
      name: 'exponential-10-600',
      description: 'exponential, full jitter, 10 s to 600 s',
      delays: everyStage({ kind: 'exponential', minDelay: 10, maxDelay: 600 }),
    },
    { name: 'stepwait-default', description: "stepwait's default", delays: stepwaitDefault },
    ...eventStrategies(stepwaitDefault),
  ];
}

/** Event mode, with every event delivered, a tenth lost, and all lost (the sweeper alone). */
export function eventStrategies(stepwaitDefault: Record<string, DelayStrategy>): BenchStrategy[] {
  return [0, 0.1, 1].map((lossProbability) => ({
    name: lossProbability === 0 ? 'events' : `events-${lossProbability * 100}%-lost`,
    description:
      lossProbability === 0
        ? "wakeUp: 'events', every event delivered"
        : `wakeUp: 'events', ${lossProbability * 100}% of events lost`,
    delays: stepwaitDefault,
    events: { lossProbability },
  }));
}

/** A fixed job mix: durations log-uniform from 1 minute to 24 hours, queue times from 10 s to 10 minutes. */
export function jobMix(count: number, seed: number): BenchJob[] {
  const random = seededRandom(seed);
  const logUniform = (min: number, max: number) => Math.round(min * (max / min) ** random());
  return Array.from({ length: count }, () => ({
    durationSeconds: logUniform(60, 86_400),
    queueSeconds: logUniform(10, 600),
  }));
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

export function summarize(strategy: BenchStrategy, reports: readonly LocalRunReport[]): StrategyResult {
  const latencies = reports
    .map((report) => report.detectionLatencySeconds)
    .filter((latency): latency is number => latency !== null)
    .sort((a, b) => a - b);
  const perSecond = new Map<number, number>();
  for (const report of reports) {
    for (const at of report.describeJobsCallSeconds.slice(1)) {
      const second = Math.floor(at);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    }
  }
  const waitedHours = reports.reduce((sum, report) => sum + report.simulatedSeconds / 3_600, 0);
  const cost = reports.reduce((sum, report) => sum + report.estimatedCostUsd, 0);
  const sweepInterval = reports.find((report) => report.wakeUps !== undefined)?.wakeUps?.sweepIntervalSeconds;
  const registryWrites = reports.flatMap((report) =>
    report.registry === undefined ? [] : [report.registry.writes],
  );
  return {
    name: strategy.name,
    description: strategy.description,
    jobs: reports.length,
    pollsPerJob: mean(reports.map((report) => report.lambdaInvocations)),
    transitionsPerJob: mean(reports.map((report) => report.stateTransitions)),
    costPerJobHourUsd: cost / waitedHours,
    p50DetectionSeconds: percentile(latencies, 50),
    p95DetectionSeconds: percentile(latencies, 95),
    peakDescribeJobsPerSecond: Math.max(0, ...perSecond.values()),
    maxHistoryEvents: Math.max(...reports.map((report) => report.historyEvents)),
    wrongEndings: reports.filter((report) => report.status !== 'SUCCEEDED').length,
    costPerWaitUsd: cost / Math.max(1, reports.length),
    hoursPerWait: waitedHours / Math.max(1, reports.length),
    ...(sweepInterval === undefined
      ? {}
      : { fixedCostPerMonthUsd: eventModeFixedCostPerMonthUsd(sweepInterval) }),
    ...(registryWrites.length === 0 ? {} : { registryWritesPerJob: mean(registryWrites) }),
    failedRuns: reports.filter(
      (report) => report.historyEvents > HISTORY_EVENT_LIMIT || report.status === 'FAILED',
    ).length,
  };
}

export interface BenchOptions {
  synthesized: SynthesizedWaiter;
  /** The same waiter with `wakeUp: 'events'`, for the strategies with `events`. */
  eventsSynthesized?: SynthesizedWaiter;
  strategies: BenchStrategy[];
  jobs: BenchJob[];
  seed: number;
  concurrency?: number;
  onProgress?: (strategy: string, done: number, total: number) => void;
}

/** Waits for every job of the mix with every strategy on the same synthesized state machine. */
export async function runBenchmark(options: BenchOptions): Promise<BenchResult> {
  const results: StrategyResult[] = [];
  for (const strategy of options.strategies) {
    let done = 0;
    const reports = await inPool(options.jobs, options.concurrency ?? 8, async (job, index) => {
      const synthesized = strategy.events === undefined ? options.synthesized : options.eventsSynthesized;
      if (synthesized === undefined) throw new Error(`${strategy.name}: no event-mode waiter was given`);
      const random = seededRandom(options.seed * 1_000_003 + index);
      const report = await runLocalWait({
        machine: runnableWaiter(synthesized),
        jobDurationSeconds: job.durationSeconds,
        queueSeconds: job.queueSeconds,
        outcome: 'SUCCEEDED',
        delays: strategy.delays,
        // Long enough for the longest job in the mix: the deadline must not cut any wait short.
        timeoutSeconds: 2 * 86_400,
        random,
        latencies: STATED_LATENCIES,
        ...(strategy.events === undefined
          ? {}
          : {
              eventDelivery: { ...DEFAULT_EVENT_DELIVERY, lossProbability: strategy.events.lossProbability },
            }),
      });
      options.onProgress?.(strategy.name, ++done, options.jobs.length);
      return report;
    });
    results.push(summarize(strategy, reports));
  }
  const [baseline] = results;
  if (baseline === undefined) throw new Error('no strategies to compare');
  return { jobs: options.jobs.length, seed: options.seed, baseline, strategies: results };
}
