import type { JobOutcome } from './batch-emulator';
import { DEFAULT_EVENT_DELIVERY, type EventDelivery } from './event-bus';
import type { FaultRow, FaultScale } from './fault-scenarios';
import { inPool } from './in-pool';
import { type SimulatedLatencies, STATED_LATENCIES } from './latencies';
import { type LocalRunOptions, type LocalRunReport, runLocalWait } from './local-run';
import { runnableWaiter, type SynthesizedWaiter, synthesizeWaiter } from './local-waiter';
import type { WakeUpFaults } from './local-wake-ups';
import { seededRandom } from './seeded-random';

/**
 * The fault suite's rows for event mode (`wakeUp: 'events'`): the example waiter with every wake-up path
 * it deploys (rule, queue, waker, sweeper, park table, task tokens) run locally, each row one fault of the
 * path. A wake-up is only a hint, so under every fault each wait must end as its job did (SUCCEEDED, or
 * StepWait.JobFailed for a FAILED job), report the job's final status, and notice it within the bound the
 * fault leaves: about a minute when events arrive, about one sweep (5 minutes) plus a minute when they do
 * not, the queue's visibility timeout (3 minutes) plus a minute when a waker's message must come back.
 */
export interface EventFaultScenario {
  id: string;
  fault: string;
  waits: Record<FaultScale, number>;
  delivery?: Partial<EventDelivery>;
  faults?: WakeUpFaults;
  latencies?: SimulatedLatencies;
  /** The detection bound, in seconds after the job ended. */
  boundSeconds: number;
  /** What the row's notes add from the counters. */
  notes: (stats: Record<string, number>) => string;
}

const SWEEP_SECONDS = 300;
const VISIBILITY_SECONDS = 180;

/** Poller invocations that take 30 s: jobs move between a poll and its park's registration. */
const SLOW_POLLER: SimulatedLatencies = { ...STATED_LATENCIES, lambdaSeconds: () => 30 };

export const EVENT_FAULT_SCENARIOS: readonly EventFaultScenario[] = [
  {
    id: 'events-duplicated',
    fault: 'events: every state-change event delivered twice',
    waits: { small: 6, full: 40 },
    delivery: { duplicateProbability: 1 },
    boundSeconds: 60,
    notes: (s) =>
      `${s.eventsDuplicated} events delivered twice; the second copy of each found its park used (or the status it parked on) and woke nothing: ${s.wokenByEvent} wakes for ${s.waits} waits`,
  },
  {
    id: 'events-reordered',
    fault: 'events: delayed 0 to 10 minutes each, so out of order',
    waits: { small: 6, full: 40 },
    delivery: { delaySeconds: (random) => 600 * random() },
    boundSeconds: SWEEP_SECONDS + 60,
    notes: (s) =>
      `late and reordered events (a RUNNING after a SUCCEEDED among them) only woke waits whose job had moved; ${s.wokenByEvent} woken by events, ${s.wokenBySweeper} by the sweeper before their event came`,
  },
  {
    id: 'events-lost',
    fault: 'events: every event lost',
    waits: { small: 6, full: 40 },
    delivery: { lossProbability: 1 },
    boundSeconds: SWEEP_SECONDS + 60,
    notes: (s) =>
      `${s.eventsLost} events lost; the sweeper (every 5 minutes) woke ${s.wokenBySweeper} parks, each wait noticed its job within a sweep (p95 ${s.p95DetectionSeconds} s)`,
  },
  {
    id: 'events-before-park',
    fault: 'events: jobs move between a poll and its park (30 s invocations)',
    waits: { small: 6, full: 40 },
    delivery: { delaySeconds: () => 0.1 },
    latencies: SLOW_POLLER,
    boundSeconds: 120,
    notes: (s) =>
      `${s.wokenByRecheck} parks saw their job had moved when they checked after registering and woke themselves at once (its event had found no park); ${s.wokenByEvent} woken by events`,
  },
  {
    id: 'events-waker-crash',
    fault: 'events: the waker crashes after SendTaskSuccess, before deleting the record',
    waits: { small: 6, full: 40 },
    faults: { wakerCrashAfterWakeProbability: 1 },
    boundSeconds: 60,
    notes: (s) =>
      `${s.wakerCrashes} crashes after waking; their ${s.redeliveredMessages} messages came back after the visibility timeout, found the task gone (TaskTimedOut) or the park renewed, and dropped or skipped it; ${s.deadLetters} went to the dead-letter queue`,
  },
  {
    id: 'events-send-task-throttled',
    fault: 'events: SendTaskSuccess throttled half the time',
    waits: { small: 6, full: 40 },
    faults: { sendTaskThrottleProbability: 0.5 },
    boundSeconds: VISIBILITY_SECONDS * 2 + 60,
    notes: (s) =>
      `${s.sendTaskThrottles} SendTaskSuccess calls throttled; the waker's messages came back through the queue (${s.redeliveredMessages} redelivered) and the sweeper retried its own; none lost`,
  },
  {
    id: 'events-dynamodb-throttled',
    fault: 'events: DynamoDB throttled a third of the time',
    waits: { small: 6, full: 40 },
    faults: { dynamoDbThrottleProbability: 1 / 3 },
    boundSeconds: VISIBILITY_SECONDS * 2 + 60,
    notes: (s) =>
      `${s.dynamoDbThrottles} DynamoDB calls throttled: a park that could not register retried, then fell back to its stage's Wait; the waker's messages came back through the queue (${s.redeliveredMessages}); every wait ended right`,
  },
];

/** Each wait's job: durations from 2 minutes to 6 hours, queued 10 s to 10 minutes, a fifth of them FAILED. */
function jobFor(
  index: number,
  random: () => number,
): { durationSeconds: number; queueSeconds: number; outcome: JobOutcome } {
  const logUniform = (min: number, max: number) => Math.round(min * (max / min) ** random());
  return {
    durationSeconds: logUniform(120, 6 * 3600),
    queueSeconds: logUniform(10, 600),
    outcome: index % 5 === 4 ? 'FAILED' : 'SUCCEEDED',
  };
}

/** What is wrong with one wait under the fault, or undefined. */
function problemOf(report: LocalRunReport, outcome: JobOutcome, boundSeconds: number): string | undefined {
  if (outcome === 'SUCCEEDED' && report.status !== 'SUCCEEDED') {
    return `ended ${report.status} (${report.error}) for a SUCCEEDED job`;
  }
  if (outcome === 'FAILED' && report.error !== 'StepWait.JobFailed') {
    return `ended ${report.status} (${report.error}) for a FAILED job`;
  }
  if (report.detectionLatencySeconds === null) return 'never noticed the job end';
  if (report.detectionLatencySeconds > boundSeconds) {
    return `noticed the job ${report.detectionLatencySeconds.toFixed(1)} s after it ended (bound ${boundSeconds} s)`;
  }
  return undefined;
}

/** The job's final status as the wait reported it: lost data if it is not the job's. */
function reportedStatus(report: LocalRunReport): string | undefined {
  if (report.status === 'SUCCEEDED') {
    return (report.output as { jobs?: { status?: string }[] } | null)?.jobs?.[0]?.status;
  }
  const cause = JSON.parse(report.cause ?? '{}') as { jobs?: Record<string, { status?: string }> };
  return Object.values(cause.jobs ?? {})[0]?.status;
}

const percentile95 = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)] ?? 0;
};

export interface EventFaultRunOptions {
  waits: number;
  seed: number;
  concurrency?: number;
  synthesized?: SynthesizedWaiter;
  onProgress?: (done: number, total: number) => void;
}

export async function runEventFaultScenario(
  scenario: EventFaultScenario,
  options: EventFaultRunOptions,
): Promise<FaultRow> {
  const started = Date.now();
  const synthesized =
    options.synthesized ?? synthesizeWaiter({ examples: false, waiter: { wakeUp: 'events' } });
  let done = 0;
  const indexes = Array.from({ length: options.waits }, (_, index) => index);
  const results = await inPool(indexes, options.concurrency ?? 4, async (index) => {
    const random = seededRandom(options.seed * 7_919 + index * 104_729 + scenario.id.length);
    const job = jobFor(index, random);
    const run: LocalRunOptions = {
      machine: runnableWaiter(synthesized),
      jobDurationSeconds: job.durationSeconds,
      queueSeconds: job.queueSeconds,
      outcome: job.outcome,
      timeoutSeconds: 86_400,
      random,
      latencies: scenario.latencies ?? STATED_LATENCIES,
      eventDelivery: { ...DEFAULT_EVENT_DELIVERY, ...scenario.delivery },
      ...(scenario.faults === undefined ? {} : { wakeUpFaults: scenario.faults }),
    };
    const report = await runLocalWait(run);
    options.onProgress?.(++done, indexes.length);
    return { index, job, report };
  });
  const incorrect = results.flatMap(({ index, job, report }) => {
    const problem = problemOf(report, job.outcome, scenario.boundSeconds);
    return problem === undefined ? [] : [{ index, problem }];
  });
  const dataLost = results.filter(({ job, report }) => reportedStatus(report) !== job.outcome).length;
  const sum = (pick: (report: LocalRunReport) => number) =>
    results.reduce((total, { report }) => total + pick(report), 0);
  const stats: Record<string, number> = {
    waits: results.length,
    wokenByEvent: sum((r) => r.wakeUps?.wokenByEvent ?? 0),
    wokenBySweeper: sum((r) => r.wakeUps?.wokenBySweeper ?? 0),
    wokenByRecheck: sum((r) => r.wakeUps?.wokenByRecheck ?? 0),
    parkTimeouts: sum((r) => r.wakeUps?.timedOut ?? 0),
    eventsLost: sum((r) => r.wakeUps?.eventsLost ?? 0),
    eventsDuplicated: sum((r) => r.wakeUps?.eventsDuplicated ?? 0),
    redeliveredMessages: sum((r) => r.wakeUps?.redeliveredMessages ?? 0),
    deadLetters: sum((r) => r.wakeUps?.deadLetters ?? 0),
    wakerCrashes: sum((r) => r.wakeUps?.injected.wakerCrashes ?? 0),
    sendTaskThrottles: sum((r) => r.wakeUps?.injected.sendTaskThrottles ?? 0),
    dynamoDbThrottles: sum((r) => r.wakeUps?.injected.dynamoDbThrottles ?? 0),
    p95DetectionSeconds: Math.round(
      percentile95(results.map(({ report }) => report.detectionLatencySeconds ?? Infinity)),
    ),
  };
  return {
    scenario: scenario.id,
    fault: scenario.fault,
    waitsRun: results.length,
    waitsCorrect: results.length - incorrect.length,
    attemptsConsumedByFaults: null,
    attemptsMustBeZero: false,
    dataLost,
    passed: incorrect.length === 0 && dataLost === 0,
    notes: scenario.notes(stats),
    stats,
    failures: incorrect.slice(0, 5).map(({ index, problem }) => `wait ${index}: ${problem}`),
    incorrect,
    realSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
}
