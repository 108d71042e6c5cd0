import { BatchEmulator } from './batch-emulator';
import type { BenchJob } from './benchmark';
import { FleetScheduler } from './fleet-scheduler';
import { LocalMachine } from './local-machine';
import { splitQueueTime } from './local-run';
import { LocalWakeUps } from './local-wake-ups';
import type { RunnableMachine } from './runnable-machine';
import { VirtualClock } from './virtual-clock';
import { VirtualTimers } from './virtual-timers';

/**
 * A fleet: many event-mode waits at once on one virtual clock, with one local Batch, one park table, one
 * waker and one sweeper, as in one account. What it shows is the load a fleet puts on DescribeJobs (the
 * sweeper batches 100 ids a call; polls happen only on wake-ups) and that no wait fails when Batch
 * throttles.
 */
export interface FleetOptions {
  /** The machine synthesized with `wakeUp: 'events'`. */
  machine: RunnableMachine;
  jobs: readonly BenchJob[];
  random: () => number;
  /** Share of DescribeJobs calls the local Batch answers 429 (0 to 1). */
  throttleProbability?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface FleetResult {
  waits: number;
  /** Waits that did not end SUCCEEDED (every job of the fleet succeeds). */
  wrongEndings: number;
  describeJobsCalls: number;
  throttledCalls: number;
  /** From the start to the last wait's end. */
  virtualSeconds: number;
  /** DescribeJobs calls per second over the run, on average, and in its busiest minute. */
  describeJobsPerSecond: number;
  busiestMinutePerSecond: number;
  maxHistoryEvents: number;
  sweeps: number;
  p50DetectionSeconds: number;
  p95DetectionSeconds: number;
  maxDetectionSeconds: number;
  realSeconds: number;
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;

export async function runFleet(options: FleetOptions): Promise<FleetResult> {
  const started = Date.now();
  const { machine } = options;
  if (machine.wakeUps === undefined) throw new Error('a fleet runs the event-mode waiter (wakeUp: events)');
  const clock = new VirtualClock();
  const startedAt = clock.now();
  const timers = new VirtualTimers(clock);
  const fleet = new FleetScheduler(timers);
  const emulator = await BatchEmulator.start({ clock, random: options.random });
  const wakeUps = await LocalWakeUps.start({
    routes: machine.wakeUps,
    timers,
    random: options.random,
    batch: emulator,
  });
  try {
    const jobIds = options.jobs.map((job) =>
      emulator.addJob({
        durations: splitQueueTime(job.queueSeconds, job.durationSeconds),
        outcome: 'SUCCEEDED',
      }),
    );
    if (options.throttleProbability) {
      emulator.setFaults({ throttleProbability: options.throttleProbability, operations: ['DescribeJobs'] });
    }
    const local = new LocalMachine({
      machine,
      batchEndpoint: emulator.endpoint,
      clock,
      random: options.random,
      wakeUps,
      timers,
      fleet,
    });
    let done = 0;
    const results = await Promise.all(
      jobIds.map(async (jobId) => {
        const result = await local.run({ jobId, timeoutSeconds: 3 * 86_400 });
        const endedAt = clock.now();
        options.onProgress?.(++done, jobIds.length);
        const stoppedAt = emulator.job(jobId)?.stoppedAt;
        return { result, detection: stoppedAt === undefined ? Number.NaN : (endedAt - stoppedAt) / 1000 };
      }),
    );
    // The step under way when the last wait ended (a sweep, say) finishes before anything stops.
    await fleet.idle();
    const calls = emulator.calls.filter((call) => call.operation === 'DescribeJobs');
    const virtualSeconds = (clock.now() - startedAt) / 1000;
    const perMinute = new Map<number, number>();
    for (const call of calls) {
      const minute = Math.floor((call.at - startedAt) / 60_000);
      perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
    }
    const detections = results
      .map((entry) => entry.detection)
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    return {
      waits: results.length,
      wrongEndings: results.filter(({ result }) => result.status !== 'SUCCEEDED').length,
      describeJobsCalls: calls.length,
      throttledCalls: calls.filter((call) => call.outcome === 'throttled').length,
      virtualSeconds,
      describeJobsPerSecond: calls.length / Math.max(1, virtualSeconds),
      busiestMinutePerSecond: Math.max(0, ...perMinute.values()) / 60,
      maxHistoryEvents: Math.max(...results.map(({ result }) => result.historyEvents)),
      sweeps: wakeUps.sweeps.length,
      p50DetectionSeconds: percentile(detections, 50),
      p95DetectionSeconds: percentile(detections, 95),
      maxDetectionSeconds: detections.at(-1) ?? Number.NaN,
      realSeconds: (Date.now() - started) / 1000,
    };
  } finally {
    await wakeUps.stop();
    await emulator.stop();
  }
}
