import { isDeepStrictEqual } from 'node:util';
import { Duration } from 'aws-cdk-lib';
import fc from 'fast-check';
import { REQUEST_FIELDS } from '../../lambdas/wait-request';
import { BATCH_STAGES } from '../../waiters';
import { HAND_OVER_FAILURE_REASONS } from '../hand-over-states';
import type { StepWaitStackProps } from '../stepwait-stack';
import { BatchEmulator, type BatchFaults, type CallRecord } from './batch-emulator';
import { runCallbackFaults } from './callback-faults';
import { EVENT_FAULT_SCENARIOS, runEventFaultScenario } from './event-faults';
import { inPool } from './in-pool';
import type { LocalJobSite } from './local-job-site';
import { startLocalJobSystems } from './local-job-systems';
import type { LocalExecutionResult } from './local-state-machine';
import {
  LocalWaiter,
  type LocalWaitResult,
  runnableWaiter,
  type SynthesizedWaiter,
  synthesizeWaiter,
} from './local-waiter';
import type { NestedExecutionOptions, StartExecutionFault } from './nested-executions';
import { REGISTRY_FAULTS_ID, runRegistryFaults } from './registry-faults';
import { seededRandom } from './seeded-random';
import { registerSubmitTargets } from './submit-targets';
import { VirtualClock } from './virtual-clock';

/**
 * Fault injection through the real ASL (`npm run faults`): each scenario runs local waits on the synthesized
 * state machine, with the shipped poller in process and the local Batch emulator on 127.0.0.1, injects one
 * kind of fault, and checks what the wait made of it:
 * - completed correctly: the expected outcome. For a transient fault (throttling, 5xx, Lambda failures, a
 *   crashed poller) the same outcome and job summaries as a fault-free twin of the wait (same jobs, same
 *   seed); for a job that vanishes or takes an unknown status, the named StepWait error; for random
 *   inputs, a wait or StepWait.InvalidInput naming the field the generator broke.
 * - attempts consumed by faults: attempts the output records (sum of `stages[].attempts`) beyond the polls
 *   that got a real answer from Batch, as the poller logged them (throttled and transient polls, failed
 *   and crashed invocations are not attempts). Exact, unlike a comparison with the twin, whose attempts
 *   differ by the timing the backoff shifts.
 * - data lost: a final output (or failure cause) with less than it should hold: other job summaries or
 *   status than the twin's, missing stages, fewer attempts than real polls, a cause without the job.
 */

/** Which of the two sizes to run: `small` in `npm test`, `full` in `npm run faults`. */
export type FaultScale = 'small' | 'full';

/** Where a poller crash hits: before the handler runs, or after its Batch call answered (the result is lost). */
export type CrashPoint = 'before-handler' | 'after-batch-call';

/** What a scenario's waits must end in. */
export type FaultExpectation =
  /** SUCCEEDED with the fault-free twin's output. */
  | 'same-as-fault-free'
  /** StepWait.JobNotFound naming the removed job. */
  | 'job-not-found'
  /** StepWait.UnknownStatus naming the new status. */
  | 'unknown-status'
  /** StepWait.SegmentFailed naming the segment execution that was stopped, and saying so. */
  | 'segment-failed'
  /** SUCCEEDED, the machine having submitted exactly one job with the business key. */
  | 'submitted-once'
  /** StepWait.SubmitFailed with Batch's message, and no job submitted. */
  | 'submit-failed'
  /** A wait, or StepWait.InvalidInput naming the broken field. */
  | 'wait-or-invalid-input';

/** One row of the table, as data. */
export interface FaultScenario {
  id: string;
  /** The table's "fault" cell. */
  fault: string;
  expect: FaultExpectation;
  /** Waits (random inputs, for that scenario) per scale. */
  waits: Readonly<Record<FaultScale, number>>;
  /** The row fails unless faults consumed no attempts (transient faults must never cost an attempt). */
  attemptsMustBeZero: boolean;
  /** Batch faults for the whole wait (the emulator's). */
  batchFaults?: BatchFaults;
  /** Bursts of consecutive 5xx answers: the first at the first call, the others during the wait. */
  serverErrorBursts?: { bursts: number; minLength: number; maxLength: number };
  /** Poller invocations that fail with a Lambda service error, injected before the handler runs. */
  lambdaFailures?: { probability: number; errors: readonly string[] };
  /** One poller crash per wait, in the middle of `stage` (attempt 2 to 4), at these points in turn. */
  crash?: { error: string; stage: string; points: readonly CrashPoint[] };
  /** Statuses Batch might add; one is forced on a job during the wait (`unknown-status`). */
  unknownStatuses?: readonly string[];
  /** StartExecution calls of hand-overs that fail (each with one of `faults`, drawn) before they succeed. */
  startExecutionFaults?: { probability: number; faults: readonly StartExecutionFault[] };
  /** The first segment execution is stopped (StopExecution) after this many poller invocations, drawn. */
  stopSegment?: { minInvocations: number; maxInvocations: number };
  /**
   * Submit-and-wait (the waiter submits the job by its business key), and what goes wrong with SubmitJob:
   * `throttled-or-5xx` (the first call refused, in turn 429 and 500), `lost-answer` (the first call creates
   * the job but its answer is lost, and ListJobs lists a job 10 s late), `refused` (the job definition is
   * INACTIVE: Batch's ClientException).
   */
  submitFault?: 'throttled-or-5xx' | 'lost-answer' | 'refused';
  /** Props of the StepWaitStack the scenario runs on (default: the app's). */
  waiterProps?: StepWaitStackProps;
  /** HTTP systems (DQOps): the Retry-After each 429 carries, honoured by the machine up to the deadline. */
  retryAfterSeconds?: number;
}

const QUEUE = 'stepwait-faults';
/** The job definition the submit rows' waiter submits. */
const FAULT_JOB_DEFINITION = 'stepwait-faults-job';
/** The app's stack, its waiter submitting the job of each wait's business key. */
const SUBMITTING: StepWaitStackProps = {
  examples: false,
  waiter: { submit: { jobDefinition: FAULT_JOB_DEFINITION, jobQueue: QUEUE } },
};

/** The example app's DQOps waiter: the same rows, a job system reached over HTTPS (a local DQOps here). */
const DQOPS: StepWaitStackProps = { system: 'dqops' };
/** The example app's Airbyte waiter (client credentials exchanged for short-lived tokens). */
const AIRBYTE: StepWaitStackProps = { system: 'airbyte' };

/** The longest deadline the random-input machine allows; a valid wait for a missing job ends by then. */
export const RANDOM_INPUT_MAX_TIMEOUT_SECONDS = 3_600;

export const FAULT_SCENARIOS: readonly FaultScenario[] = [
  {
    id: 'batch-throttling',
    fault: 'Batch throttling on 50% of calls',
    expect: 'same-as-fault-free',
    waits: { small: 3, full: 50 },
    attemptsMustBeZero: true,
    batchFaults: { throttleProbability: 0.5 },
  },
  {
    id: 'batch-5xx-bursts',
    fault: 'Bursts of Batch 5xx (3 per wait, 2-8 calls each)',
    expect: 'same-as-fault-free',
    waits: { small: 3, full: 50 },
    attemptsMustBeZero: true,
    serverErrorBursts: { bursts: 3, minLength: 2, maxLength: 8 },
  },
  {
    id: 'lambda-task-failures',
    fault: 'Lambda.ServiceException / TooManyRequestsException on 20% of invocations',
    expect: 'same-as-fault-free',
    waits: { small: 3, full: 50 },
    attemptsMustBeZero: true,
    lambdaFailures: {
      probability: 0.2,
      errors: ['Lambda.ServiceException', 'Lambda.TooManyRequestsException'],
    },
  },
  {
    id: 'poller-crash',
    fault: 'Poller crash mid-stage (Lambda.Unknown)',
    expect: 'same-as-fault-free',
    waits: { small: 2, full: 50 },
    attemptsMustBeZero: true,
    crash: { error: 'Lambda.Unknown', stage: 'JobComplete', points: ['before-handler', 'after-batch-call'] },
  },
  {
    id: 'all-at-once',
    fault: 'All of the above at once (30% throttling, 5xx bursts, 10% Lambda failures, a crash)',
    expect: 'same-as-fault-free',
    waits: { small: 2, full: 50 },
    attemptsMustBeZero: true,
    batchFaults: { throttleProbability: 0.3 },
    serverErrorBursts: { bursts: 2, minLength: 2, maxLength: 6 },
    lambdaFailures: {
      probability: 0.1,
      errors: ['Lambda.ServiceException', 'Lambda.TooManyRequestsException'],
    },
    crash: { error: 'Lambda.Unknown', stage: 'JobComplete', points: ['after-batch-call', 'before-handler'] },
  },
  {
    id: 'across-hand-overs',
    fault: 'Throttling, Lambda failures and a crash across execution hand-overs (poll budget 10)',
    expect: 'same-as-fault-free',
    waits: { small: 2, full: 50 },
    attemptsMustBeZero: true,
    batchFaults: { throttleProbability: 0.3 },
    lambdaFailures: {
      probability: 0.1,
      errors: ['Lambda.ServiceException', 'Lambda.TooManyRequestsException'],
    },
    crash: { error: 'Lambda.Unknown', stage: 'JobComplete', points: ['before-handler', 'after-batch-call'] },
    // Every 10 polls the wait goes on in a fresh execution of the segment machine; the twin does the same.
    waiterProps: { waiter: { pollBudget: 10 } },
  },
  {
    id: 'hand-over-refused',
    fault: 'StartExecution refused at hand-overs (limit, throttling, 5xx on 50% of calls; poll budget 10)',
    expect: 'same-as-fault-free',
    waits: { small: 2, full: 50 },
    attemptsMustBeZero: true,
    startExecutionFaults: {
      probability: 0.5,
      faults: ['executionLimitExceeded', 'throttled', 'serviceError'],
    },
    waiterProps: { waiter: { pollBudget: 10 } },
  },
  {
    id: 'hand-over-lost',
    fault: 'StartExecution answers lost at hand-overs (30% of calls; the segment did start)',
    expect: 'same-as-fault-free',
    waits: { small: 2, full: 50 },
    attemptsMustBeZero: true,
    startExecutionFaults: { probability: 0.3, faults: ['lostResponse'] },
    waiterProps: { waiter: { pollBudget: 10 } },
  },
  {
    id: 'segment-stopped',
    fault: 'A segment execution stopped by a person mid-wait',
    expect: 'segment-failed',
    waits: { small: 2, full: 50 },
    attemptsMustBeZero: false,
    stopSegment: { minInvocations: 1, maxInvocations: 4 },
    waiterProps: { waiter: { pollBudget: 10 } },
  },
  {
    id: 'submit-transient',
    fault: 'SubmitJob throttled (429) or failing (500) at first',
    expect: 'submitted-once',
    waits: { small: 2, full: 50 },
    attemptsMustBeZero: true,
    submitFault: 'throttled-or-5xx',
    waiterProps: SUBMITTING,
  },
  {
    id: 'submit-lost',
    fault: 'SubmitJob answer lost after Batch created the job (ListJobs 10 s behind)',
    expect: 'submitted-once',
    waits: { small: 2, full: 50 },
    attemptsMustBeZero: true,
    submitFault: 'lost-answer',
    waiterProps: SUBMITTING,
  },
  {
    id: 'submit-refused',
    fault: 'SubmitJob refused (job definition INACTIVE)',
    expect: 'submit-failed',
    waits: { small: 2, full: 50 },
    attemptsMustBeZero: false,
    submitFault: 'refused',
    waiterProps: SUBMITTING,
  },
  {
    id: 'job-vanishes',
    fault: 'A job vanishes mid-wait',
    expect: 'job-not-found',
    waits: { small: 2, full: 50 },
    attemptsMustBeZero: false,
  },
  {
    id: 'unknown-status',
    fault: 'Batch adds a status (PAUSED, ...)',
    expect: 'unknown-status',
    waits: { small: 2, full: 50 },
    attemptsMustBeZero: false,
    unknownStatuses: ['PAUSED', 'SUSPENDED', 'PREEMPTED'],
  },
  {
    id: 'dqops-throttling',
    fault: 'DQOps: 429 on 50% of calls, Retry-After 20 s',
    expect: 'same-as-fault-free',
    waits: { small: 3, full: 50 },
    attemptsMustBeZero: true,
    batchFaults: { throttleProbability: 0.5 },
    retryAfterSeconds: 20,
    waiterProps: DQOPS,
  },
  {
    id: 'dqops-5xx-bursts',
    fault: 'DQOps: bursts of 503 (3 per wait, 2-8 calls each)',
    expect: 'same-as-fault-free',
    waits: { small: 3, full: 50 },
    attemptsMustBeZero: true,
    serverErrorBursts: { bursts: 3, minLength: 2, maxLength: 8 },
    waiterProps: DQOPS,
  },
  {
    id: 'dqops-all-at-once',
    fault: 'DQOps: 30% 429s, 503 bursts, 10% Lambda failures and a poller crash at once',
    expect: 'same-as-fault-free',
    waits: { small: 2, full: 50 },
    attemptsMustBeZero: true,
    batchFaults: { throttleProbability: 0.3 },
    serverErrorBursts: { bursts: 2, minLength: 2, maxLength: 6 },
    lambdaFailures: {
      probability: 0.1,
      errors: ['Lambda.ServiceException', 'Lambda.TooManyRequestsException'],
    },
    crash: { error: 'Lambda.Unknown', stage: 'JobComplete', points: ['after-batch-call', 'before-handler'] },
    waiterProps: DQOPS,
  },
  {
    id: 'airbyte-throttling',
    fault: 'Airbyte: 429 on 50% of calls (token calls too), Retry-After 20 s',
    expect: 'same-as-fault-free',
    waits: { small: 3, full: 50 },
    attemptsMustBeZero: true,
    batchFaults: { throttleProbability: 0.5 },
    retryAfterSeconds: 20,
    waiterProps: AIRBYTE,
  },
  {
    id: 'airbyte-all-at-once',
    fault: 'Airbyte: 30% 429s, 503 bursts, 10% Lambda failures and a poller crash at once',
    expect: 'same-as-fault-free',
    waits: { small: 2, full: 50 },
    attemptsMustBeZero: true,
    batchFaults: { throttleProbability: 0.3 },
    serverErrorBursts: { bursts: 2, minLength: 2, maxLength: 6 },
    lambdaFailures: {
      probability: 0.1,
      errors: ['Lambda.ServiceException', 'Lambda.TooManyRequestsException'],
    },
    crash: { error: 'Lambda.Unknown', stage: 'JobComplete', points: ['after-batch-call', 'before-handler'] },
    waiterProps: AIRBYTE,
  },
  {
    id: 'random-inputs',
    fault: 'Randomized inputs (fast-check) through the real ASL',
    expect: 'wait-or-invalid-input',
    waits: { small: 50, full: 1_000 },
    attemptsMustBeZero: false,
    // The app's stack with a 10-minute default deadline (at most 1 hour), so that a valid request for a
    // job that does not exist ends in JobNotFound within minutes of virtual time.
    waiterProps: {
      examples: false,
      waiter: {
        timeout: Duration.minutes(10),
        maxTimeout: Duration.seconds(RANDOM_INPUT_MAX_TIMEOUT_SECONDS),
      },
    },
  },
];

/** One row of the table. */
export interface FaultRow {
  scenario: string;
  fault: string;
  waitsRun: number;
  waitsCorrect: number;
  /** null where it does not apply (the fault ends the wait, or inputs are refused). */
  attemptsConsumedByFaults: number | null;
  attemptsMustBeZero: boolean;
  dataLost: number;
  /** All waits correct, no data lost, and no attempt consumed where none may be. */
  passed: boolean;
  notes: string;
  /** Counters behind the notes, for --json and the tests. */
  stats: Record<string, number>;
  /** The first few incorrect waits, described. */
  failures: string[];
  /** Every incorrect wait: its index, what went wrong and, for random inputs, the input. */
  incorrect: { index: number; problem: string; input?: unknown }[];
  realSeconds: number;
}

export interface FaultRunOptions {
  waits: number;
  seed: number;
  /** Default: the StepWaitStack synthesized with the scenario's `waiterProps`. */
  synthesized?: SynthesizedWaiter;
  /** Waits run at the same time (each has its own clock and emulator). Default 4. */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

const FAILURES_KEPT = 5;
/**
 * Polls that backed off in a Wait without an attempt: the status call was throttled or failed
 * transiently, or the poll judged a failed SubmitJob (it makes no Batch call).
 */
const BACKED_OFF_OBSERVATIONS = new Set(['throttled', 'transient', 'submitFailed']);
/** A poll that leaves the stage undecided: `retry`, or `continue` (the same, in the next segment execution). */
const MID_STAGE_STATES = new Set(['retry', 'continue']);

// ---------------------------------------------------------------------------------------------------------
// Seeds and the wait mix
// ---------------------------------------------------------------------------------------------------------

/** A 32-bit seed from a seed and labels (FNV-1a), so every stream of randomness is independent and repeatable. */
export function deriveSeed(seed: number, ...labels: (string | number)[]): number {
  let hash = 0x811c9dc5;
  for (const char of [seed, ...labels].join('/')) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

function fakeUuid(random: () => number): string {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(random() * 4)]}${hex(3)}-${hex(12)}`;
}

export type FaultTarget = 'jobId' | 'jobIds' | 'jobName';

export interface FaultJob {
  jobId: string;
  jobName: string;
  queueSeconds: number;
  runSeconds: number;
}

/** One wait of a transient-fault row: its jobs, how it names them, and the seed of its jitter. */
export interface FaultWaitSpec {
  key: string;
  index: number;
  target: FaultTarget;
  jobs: FaultJob[];
  jitterSeed: number;
}

/**
 * The waits of a row: the same for every row with the same seed, so the rows differ only in the fault.
 * Targets rotate through jobId, jobIds (two jobs) and jobName + jobQueue; queue times are 20 s to 5 min and
 * run times 10 to 40 min (log-uniform), so JobComplete always has several attempts to crash in.
 */
export function faultWaitSpecs(count: number, seed: number): FaultWaitSpec[] {
  const targets: FaultTarget[] = ['jobId', 'jobIds', 'jobName'];
  return Array.from({ length: count }, (_, index) => {
    const random = seededRandom(deriveSeed(seed, 'wait', index));
    const logUniform = (min: number, max: number) => Math.round(min * (max / min) ** random());
    const target = targets[index % targets.length] as FaultTarget;
    const jobs = Array.from({ length: target === 'jobIds' ? 2 : 1 }, (_, j) => ({
      jobId: fakeUuid(random),
      jobName: `nightly-etl-${index}-${j}`,
      queueSeconds: logUniform(20, 300),
      runSeconds: logUniform(600, 2_400),
    }));
    return { key: `${seed}/${index}`, index, target, jobs, jitterSeed: deriveSeed(seed, 'jitter', index) };
  });
}

function inputFor(spec: FaultWaitSpec): Record<string, unknown> {
  const [first] = spec.jobs as [FaultJob];
  if (spec.target === 'jobId') return { jobId: first.jobId };
  if (spec.target === 'jobIds') return { jobIds: spec.jobs.map((job) => job.jobId) };
  return { jobName: first.jobName, jobQueue: QUEUE };
}

// ---------------------------------------------------------------------------------------------------------
// One wait, with faults
// ---------------------------------------------------------------------------------------------------------

/** A poll as the poller logged it. */
export interface PollLine {
  stage: string;
  attempt: number;
  state: string;
  observation: string;
  delaySeconds: number;
  jobs: { jobId: string; status?: string }[];
  /** Virtual epoch ms. */
  at: number;
}

/** A poller invocation and what the fault injection made of it. */
interface Invocation {
  stateName: string;
  at: number;
  /** The error the invocation failed with (a Lambda service error, or a crash before or after the handler). */
  failedWith?: string;
}

interface CrashRecord {
  point: CrashPoint;
  /** Completed polls before the crash. */
  linesBefore: number;
  /** The crashed poll's line (after-batch-call only): its result was computed and lost. */
  lost?: PollLine;
}

/** What one wait did. */
interface WaitRun {
  result: LocalWaitResult;
  /** The main execution and every segment it continued in. */
  executions: LocalExecutionResult[];
  lines: PollLine[];
  invocations: Invocation[];
  /** The status calls the job system answered (Batch's API calls, or DQOps' GETs as `GetJob`). */
  calls: { operation: string; at: number; outcome: CallRecord['outcome'] }[];
  startedAt: number;
  crash?: CrashRecord;
  /** Lengths of the 5xx bursts injected. */
  bursts: number[];
  /** vanish / unknown status: the job, the status forced, and the last status a poll reported for it. */
  altered?: { jobId: string; status?: string; lastSeenStatus?: string; at: number };
  /** StartExecution faults injected at hand-overs (each makes the Hand Over task retry once). */
  startFaults: StartExecutionFault[];
  /** The segment execution stopped, if one was. */
  stoppedSegment?: string;
  /** Submit-and-wait: the jobs Batch holds with the business key at the end (ids), and the SubmitJob calls. */
  submitted?: { jobIds: string[]; calls: number };
}

interface WaitFaults {
  batchFaults?: BatchFaults;
  retryAfterSeconds?: number;
  serverErrorBursts?: FaultScenario['serverErrorBursts'];
  lambdaFailures?: FaultScenario['lambdaFailures'];
  crash?: { error: string; stage: string; point: CrashPoint; attempt: number };
  /** Remove (no status) or force the status of one job `afterMs` into the wait, once a poll has seen it. */
  alter?: { jobId: string; status?: string; afterMs: number };
  startExecutionFaults?: FaultScenario['startExecutionFaults'];
  /** Stop the first segment execution after this many of its poller invocations. */
  stopSegmentAfter?: number;
  /** Submit-and-wait: the machine submits the spec's job; what goes wrong with SubmitJob. */
  submit?: { fault?: FaultScenario['submitFault'] };
}

function isPollLine(line: Record<string, unknown>): boolean {
  return typeof line.stage === 'string' && typeof line.attempt === 'number';
}

/** The emulator faults of a submit row: the first SubmitJob refused (429 or 500, in turn) or its answer lost. */
function submitFaultsFor(fault: FaultScenario['submitFault'], index: number): BatchFaults | undefined {
  if (fault === 'throttled-or-5xx') {
    return index % 2 === 0
      ? { throttleProbability: 1, operations: ['SubmitJob'] }
      : { serverErrorBurst: 1, operations: ['SubmitJob'] };
  }
  if (fault === 'lost-answer') return { dropResponses: { SubmitJob: 1 }, listJobsLagSeconds: 10 };
  return undefined;
}

function namedError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

async function runWait(
  synthesized: SynthesizedWaiter,
  spec: FaultWaitSpec,
  faults: WaitFaults,
  faultRandom: () => number,
): Promise<WaitRun> {
  const clock = new VirtualClock();
  // A submitted job (submit rows) runs as the spec's job of that name would.
  const jobSpecFor = ({ jobName }: { jobName: string }) => {
    const job = spec.jobs.find((candidate) => candidate.jobName === jobName);
    return (
      job && {
        durations: {
          submitted: 1,
          pending: 1,
          runnable: job.queueSeconds - 12,
          starting: 10,
          running: job.runSeconds,
        },
      }
    );
  };
  const emulator = await BatchEmulator.start({ clock, random: faultRandom, jobSpecFor });
  // Another system's jobs live in its local stand-in (with a Secrets Manager for its key); the same faults
  // are injected there, the same way.
  const machine = runnableWaiter(synthesized);
  const system = machine.allWaits[0]?.config.system;
  const others =
    system === undefined ? undefined : await startLocalJobSystems(machine, clock, { random: faultRandom });
  const site = system === undefined ? undefined : others?.site(system);
  try {
    const durationsOf = (job: FaultJob) => ({
      submitted: 1,
      pending: 1,
      runnable: job.queueSeconds - 12,
      starting: 10,
      running: job.runSeconds,
    });
    if (faults.submit?.fault === 'refused') {
      emulator.registerJobDefinition({ name: FAULT_JOB_DEFINITION, status: 'INACTIVE' });
    }
    registerSubmitTargets(emulator, synthesized);
    // Another system numbers its jobs itself: the spec's ids stand for them, in order (the same in a twin's run).
    const siteIds = new Map<string, string>();
    if (site !== undefined) {
      for (const job of spec.jobs) {
        siteIds.set(
          job.jobId,
          site.startJob(
            { queuedSeconds: job.queueSeconds, runSeconds: job.runSeconds },
            site.businessKeyFor(job.jobName),
          ),
        );
      }
    } else if (faults.submit === undefined) {
      for (const job of spec.jobs) {
        emulator.addJob({
          jobId: job.jobId,
          jobName: job.jobName,
          jobQueue: QUEUE,
          durations: durationsOf(job),
          outcome: 'SUCCEEDED',
        });
      }
    }
    const startedAt = clock.now();
    const setFaults = (batchFaults: BatchFaults) => {
      if (site === undefined) {
        emulator.setFaults(batchFaults);
        return;
      }
      site.setFaults({
        ...(batchFaults.throttleProbability ? { throttleProbability: batchFaults.throttleProbability } : {}),
        ...(faults.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: faults.retryAfterSeconds }),
        ...(batchFaults.serverErrorBurst ? { serverErrors: batchFaults.serverErrorBurst } : {}),
      });
    };
    if (faults.batchFaults) setFaults(faults.batchFaults);
    const submitFaults = submitFaultsFor(faults.submit?.fault, spec.index);
    if (submitFaults) emulator.setFaults(submitFaults);

    const span = Math.max(...spec.jobs.map((job) => job.queueSeconds + job.runSeconds)) * 1_000;
    const bursts: { at: number; length: number }[] = [];
    if (faults.serverErrorBursts) {
      const { bursts: count, minLength, maxLength } = faults.serverErrorBursts;
      for (let n = 0; n < count; n++) {
        bursts.push({
          at: startedAt + (n === 0 ? 0 : Math.round((0.1 + 0.8 * faultRandom()) * span)),
          length: minLength + Math.floor(faultRandom() * (maxLength - minLength + 1)),
        });
      }
      bursts.sort((a, b) => a.at - b.at);
    }
    const injectedBursts: number[] = [];

    const lines: PollLine[] = [];
    const invocations: Invocation[] = [];
    let crash: CrashRecord | undefined;
    let altered: WaitRun['altered'];

    const lastSeenStatus = (jobId: string): string | undefined => {
      for (let i = lines.length - 1; i >= 0; i--) {
        const seen = lines[i]?.jobs.find((job) => job.jobId === jobId);
        if (seen) return seen.status;
      }
      return undefined;
    };

    const beforeInvoke = (stateName: string) => {
      const now = clock.now();
      const invocation: Invocation = { stateName, at: now };
      invocations.push(invocation);
      while (bursts.length > 0 && (bursts[0] as { at: number }).at <= now) {
        const burst = bursts.shift() as { at: number; length: number };
        setFaults({ ...faults.batchFaults, serverErrorBurst: burst.length });
        injectedBursts.push(burst.length);
      }
      const alter = faults.alter;
      if (
        alter &&
        altered === undefined &&
        now >= startedAt + alter.afterMs &&
        lastSeenStatus(alter.jobId) !== undefined
      ) {
        altered = { jobId: alter.jobId, lastSeenStatus: lastSeenStatus(alter.jobId), at: now };
        if (alter.status === undefined) emulator.removeJob(alter.jobId);
        else {
          emulator.setJobStatus(alter.jobId, alter.status);
          altered.status = alter.status;
        }
      }
      const planned = faults.crash;
      const last = lines[lines.length - 1];
      if (
        planned?.point === 'before-handler' &&
        crash === undefined &&
        last?.stage === planned.stage &&
        last.attempt === planned.attempt - 1 &&
        MID_STAGE_STATES.has(last.state)
      ) {
        crash = { point: 'before-handler', linesBefore: lines.length };
        invocation.failedWith = planned.error;
        throw namedError(planned.error, 'the poller runtime crashed before the handler ran');
      }
      const failures = faults.lambdaFailures;
      if (failures && faultRandom() < failures.probability) {
        const name = failures.errors[Math.floor(faultRandom() * failures.errors.length)] as string;
        invocation.failedWith = name;
        throw namedError(name, 'injected Lambda service error');
      }
    };

    const log = (raw: Record<string, unknown>) => {
      // The refused SubmitJob has been judged: Batch answers again.
      if (raw.observation === 'submitFailed' && faults.submit?.fault === 'throttled-or-5xx')
        emulator.setFaults({});
      if (!isPollLine(raw)) return;
      const line: PollLine = {
        stage: raw.stage as string,
        attempt: raw.attempt as number,
        state: String(raw.state),
        observation: String(raw.observation),
        delaySeconds: Number(raw.delaySeconds),
        jobs: Array.isArray(raw.jobs) ? (raw.jobs as PollLine['jobs']) : [],
        at: clock.now(),
      };
      const planned = faults.crash;
      if (
        planned?.point === 'after-batch-call' &&
        crash === undefined &&
        line.stage === planned.stage &&
        line.attempt === planned.attempt &&
        MID_STAGE_STATES.has(line.state) &&
        !BACKED_OFF_OBSERVATIONS.has(line.observation)
      ) {
        // The handler made its Batch call and worked out the next state; the runtime dies before returning it.
        crash = { point: 'after-batch-call', linesBefore: lines.length, lost: line };
        const invocation = invocations[invocations.length - 1];
        if (invocation) invocation.failedWith = planned.error;
        throw namedError(planned.error, 'the poller runtime crashed after its Batch call');
      }
      lines.push(line);
    };

    const startFaults: StartExecutionFault[] = [];
    let stoppedSegment: string | undefined;
    const handOver: NestedExecutionOptions = {
      nextFault: () => {
        const planned = faults.startExecutionFaults;
        if (planned === undefined || faultRandom() >= planned.probability) return undefined;
        const fault = planned.faults[
          Math.floor(faultRandom() * planned.faults.length)
        ] as StartExecutionFault;
        startFaults.push(fault);
        return fault;
      },
      // The first segment is stopped after that many invocations, unless it ends first.
      stopAfterInvocations: (name) =>
        faults.stopSegmentAfter !== undefined && name.endsWith('-2') ? faults.stopSegmentAfter : undefined,
      onStop: (name) => {
        stoppedSegment = name;
      },
    };
    const waiter = new LocalWaiter({
      synthesized,
      batchEndpoint: emulator.endpoint,
      clock,
      random: seededRandom(spec.jitterSeed),
      log,
      beforeInvoke,
      handOver,
      ...(others === undefined ? {} : { jobSystems: others.systemsFor }),
    });
    const result = await waiter.run(
      faults.submit
        ? { jobName: spec.jobs[0]?.jobName }
        : site !== undefined
          ? siteInputFor(spec, siteIds, site)
          : inputFor(spec),
    );
    const name = spec.jobs[0]?.jobName;
    return {
      ...(faults.submit
        ? {
            submitted: {
              jobIds: emulator
                .jobs()
                .filter((job) => job.jobName === name)
                .map((job) => job.jobId),
              calls: emulator.callCount('SubmitJob'),
            },
          }
        : {}),
      startFaults,
      ...(stoppedSegment ? { stoppedSegment } : {}),
      result,
      executions: [result, ...(result.segments ?? []).map((segment) => segment.result)],
      lines,
      invocations,
      calls:
        site === undefined
          ? [...emulator.calls]
          : site.statusCalls().map((call) => ({ ...call, operation: 'status call' })),
      startedAt,
      ...(crash ? { crash } : {}),
      bursts: injectedBursts,
      ...(altered ? { altered } : {}),
    };
  } finally {
    await emulator.stop();
    await others?.stop();
  }
}

/** A wait's input on another system: its jobs by that system's ids, or by business key (looked up without a queue). */
function siteInputFor(
  spec: FaultWaitSpec,
  ids: ReadonlyMap<string, string>,
  site: LocalJobSite,
): Record<string, unknown> {
  const [first] = spec.jobs as [FaultJob];
  if (spec.target === 'jobId') return { jobId: ids.get(first.jobId) };
  if (spec.target === 'jobIds') return { jobIds: spec.jobs.map((job) => ids.get(job.jobId)) };
  return { jobName: site.businessKeyFor(first.jobName) };
}

// ---------------------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------------------

interface WaitOutput {
  status?: string;
  timedOut?: boolean;
  jobs?: { jobId: string; status?: string }[];
  stages?: { waiter: string; attempts: number; startedAt?: string; finishedAt?: string }[];
  waitedSeconds?: number;
}

const stageIndex = (stage: string) => (BATCH_STAGES as readonly string[]).indexOf(stage);
const isReal = (line: PollLine) => !BACKED_OFF_OBSERVATIONS.has(line.observation);

/**
 * Whether `line` may follow `previous` (undefined: the wait's start). A throttled or transient poll keeps the
 * stage and attempt; a real one is the next attempt of the same stage, or settles it and moves on (to a
 * later stage, at attempt 0, when the same response decided that one too).
 */
function validSuccessor(previous: PollLine | undefined, line: PollLine): boolean {
  const stage: string = previous?.stage ?? BATCH_STAGES[0] ?? '';
  const attempt = previous?.attempt ?? 0;
  if (!isReal(line)) return line.stage === stage && line.attempt === attempt;
  if (line.stage === stage) return line.attempt === attempt + 1;
  return stageIndex(line.stage) > stageIndex(stage) && line.attempt === 0;
}

/** The first poll whose stage or attempt does not follow from the one before, described; undefined if none. */
export function attemptSequenceProblem(lines: readonly PollLine[]): string | undefined {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as PollLine;
    if (!validSuccessor(lines[i - 1], line)) {
      const previous = lines[i - 1];
      return `poll ${i + 1} (${line.observation}) is ${line.stage} attempt ${line.attempt} after ${
        previous ? `${previous.stage} attempt ${previous.attempt}` : 'the start'
      }`;
    }
  }
  return undefined;
}

const realPolls = (lines: readonly PollLine[]) => lines.filter(isReal).length;
const attemptsIn = (output: WaitOutput | undefined) =>
  (output?.stages ?? []).reduce((sum, stage) => sum + (Number(stage.attempts) || 0), 0);

function parseCause(cause: string | undefined): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(cause ?? '');
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** What the output lost against the fault-free twin's; undefined if nothing. */
function lostAgainstTwin(run: WaitRun, twin: WaitRun): string | undefined {
  const output = run.result.output as WaitOutput | undefined;
  const expected = twin.result.output as WaitOutput | undefined;
  if (run.result.status !== twin.result.status)
    return `status ${run.result.status}, twin ${twin.result.status}`;
  if (output?.status !== expected?.status || output?.timedOut !== expected?.timedOut)
    return `output status ${output?.status}, twin ${expected?.status}`;
  if (!isDeepStrictEqual(output?.jobs, expected?.jobs))
    return `job summaries differ from the twin's: ${JSON.stringify(output?.jobs)}`;
  const stages = (output?.stages ?? []).map((stage) => stage.waiter);
  const twinStages = (expected?.stages ?? []).map((stage) => stage.waiter);
  if (!isDeepStrictEqual(stages, twinStages))
    return `stages ${stages.join(',')}, twin ${twinStages.join(',')}`;
  if ((output?.stages ?? []).some((stage) => !stage.startedAt || !stage.finishedAt))
    return 'a stage lost its startedAt or finishedAt';
  const attempts = attemptsIn(output);
  const polls = realPolls(run.lines);
  if (attempts < polls) return `the output counts ${attempts} attempts for ${polls} real polls`;
  return undefined;
}

interface WaitVerdict {
  correct: boolean;
  /** The input, for random inputs. */
  input?: unknown;
  /** Why not, when not correct or when data was lost. */
  problem?: string;
  dataLost: boolean;
  attemptsConsumed: number | null;
}

function crashVerdict(run: WaitRun): string | undefined {
  const { crash } = run;
  if (crash === undefined) return 'the planned crash was never injected';
  const before = run.lines[crash.linesBefore - 1];
  const resumed = run.lines[crash.linesBefore];
  if (before === undefined || resumed === undefined) return 'no poll before or after the crash';
  if (resumed.stage !== before.stage || !validSuccessor(before, resumed)) {
    return `after the crash at ${before.stage} attempt ${before.attempt} (${crash.point}) the retry polled ${resumed.stage} attempt ${resumed.attempt}`;
  }
  if (crash.lost && isReal(resumed) && resumed.attempt !== crash.lost.attempt) {
    return `the lost attempt ${crash.lost.attempt} was not redone (the retry made attempt ${resumed.attempt})`;
  }
  return undefined;
}

function judgeTransient(scenario: FaultScenario, run: WaitRun, twin: WaitRun): WaitVerdict {
  const output = run.result.output as WaitOutput | undefined;
  const attempts = attemptsIn(output);
  const polls = realPolls(run.lines);
  const lost = lostAgainstTwin(run, twin);
  const problems: string[] = [];
  if (run.result.status !== 'SUCCEEDED' || output?.status !== 'SUCCEEDED') {
    problems.push(`ended ${run.result.status} ${run.result.error ?? ''} ${run.result.cause ?? ''}`.trim());
  }
  if (twin.result.status !== 'SUCCEEDED') problems.push(`the fault-free twin ended ${twin.result.status}`);
  if (lost) problems.push(lost);
  const sequence = attemptSequenceProblem(run.lines);
  if (sequence) problems.push(sequence);
  if (scenario.crash) {
    const crash = crashVerdict(run);
    if (crash) problems.push(crash);
  }
  const failed = run.invocations.filter((invocation) => invocation.failedWith !== undefined).length;
  const retries = run.executions.reduce((sum, execution) => sum + execution.retries, 0);
  // Every failed invocation and every failed StartExecution is retried once, and nothing else is.
  if (retries !== failed + run.startFaults.length) {
    problems.push(
      `${failed} failed invocations and ${run.startFaults.length} failed starts, but ${retries} task retries`,
    );
  }
  const segments = segmentNameProblem(run);
  if (segments) problems.push(segments);
  return {
    correct: problems.length === 0,
    ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
    dataLost: lost !== undefined,
    attemptsConsumed: Math.max(0, attempts - polls),
  };
}

/**
 * Segment executions are named `<waitId>-2`, `-3`, ... in order: a retried start that started a second
 * execution, or skipped one, shows here.
 */
function segmentNameProblem(run: WaitRun): string | undefined {
  const names = (run.result.segments ?? []).map((segment) => segment.name);
  const waitId = names[0]?.replace(/-2$/, '');
  const expected = names.map((_, index) => `${waitId}-${index + 2}`);
  return isDeepStrictEqual(names, expected) ? undefined : `segment executions ${names.join(', ')}`;
}

/**
 * Submit-and-wait under SubmitJob faults: exactly one job with the business key, the one the output
 * reports, with the fault-free twin's statuses and stages; no attempt spent on the failed call.
 */
function judgeSubmittedOnce(run: WaitRun, twin: WaitRun): WaitVerdict {
  const output = run.result.output as WaitOutput | undefined;
  const expected = twin.result.output as WaitOutput | undefined;
  const problems: string[] = [];
  if (run.result.status !== 'SUCCEEDED' || output?.status !== 'SUCCEEDED') {
    problems.push(`ended ${run.result.status} ${run.result.error ?? ''} ${run.result.cause ?? ''}`.trim());
  }
  const jobIds = run.submitted?.jobIds ?? [];
  if (jobIds.length !== 1) problems.push(`${jobIds.length} jobs submitted with the business key`);
  const lost =
    output?.jobs?.[0]?.jobId !== jobIds[0] || output?.jobs?.[0]?.status !== expected?.jobs?.[0]?.status;
  if (lost)
    problems.push(`the output reports ${JSON.stringify(output?.jobs)}, Batch holds ${jobIds.join(', ')}`);
  const stages = (output?.stages ?? []).map((stage) => stage.waiter).join(',');
  const twinStages = (expected?.stages ?? []).map((stage) => stage.waiter).join(',');
  if (stages !== twinStages) problems.push(`stages ${stages}, twin ${twinStages}`);
  const sequence = attemptSequenceProblem(run.lines);
  if (sequence) problems.push(sequence);
  // ListJobs is eventually consistent: the lookup after a failed submit waits 30 s or more.
  const judged = run.lines.filter((line) => line.observation === 'submitFailed');
  if (judged.length === 0) problems.push('no failed SubmitJob was judged');
  if (judged.some((line) => line.delaySeconds < 30))
    problems.push('a lookup followed a failed submit within 30 s');
  return {
    correct: problems.length === 0,
    ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
    dataLost: lost,
    attemptsConsumed: Math.max(0, attemptsIn(output) - realPolls(run.lines)),
  };
}

/** A refused SubmitJob: StepWait.SubmitFailed naming Batch's error and keeping its message; no job. */
function judgeSubmitFailed(run: WaitRun): WaitVerdict {
  const { result } = run;
  const problems: string[] = [];
  if (result.status !== 'FAILED' || result.error !== 'StepWait.SubmitFailed') {
    problems.push(`ended ${result.status} ${result.error ?? ''}, expected StepWait.SubmitFailed`);
  }
  const reason = String(parseCause(result.cause)?.reason ?? '');
  const named = reason.includes('Batch.ClientException') && reason.includes(FAULT_JOB_DEFINITION);
  if (!named) problems.push(`the cause does not keep Batch's error and message: ${reason}`);
  if ((run.submitted?.jobIds.length ?? 0) !== 0) problems.push('a job was submitted');
  if (run.submitted?.calls !== 1) problems.push(`${run.submitted?.calls} SubmitJob calls instead of 1`);
  return {
    correct: problems.length === 0,
    ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
    dataLost: !named,
    attemptsConsumed: null,
  };
}

/**
 * StepWait.SegmentFailed naming the stopped segment, saying it was stopped; nothing ran after it. A wait
 * whose first segment ended before it was due to be stopped must end as its fault-free twin did.
 */
function judgeStoppedSegment(scenario: FaultScenario, run: WaitRun, twin: WaitRun): WaitVerdict {
  const { result, stoppedSegment } = run;
  if (stoppedSegment === undefined) return judgeTransient(scenario, run, twin);
  const problems: string[] = [];
  if (result.status !== 'FAILED' || result.error !== 'StepWait.SegmentFailed') {
    problems.push(`ended ${result.status} ${result.error ?? ''}, expected StepWait.SegmentFailed`);
  }
  const cause = parseCause(result.cause);
  if (cause?.segmentExecution !== stoppedSegment) {
    problems.push(`the cause names segment ${String(cause?.segmentExecution)}, not ${stoppedSegment}`);
  }
  if (cause?.reason !== HAND_OVER_FAILURE_REASONS.stopped) {
    problems.push(`the cause does not say the segment was stopped: ${String(cause?.reason)}`);
  }
  const segments = result.segments ?? [];
  if (segments.at(-1)?.name !== stoppedSegment || segments.at(-1)?.result.status !== 'ABORTED') {
    problems.push('the stopped segment was not the last, or did not end ABORTED');
  }
  return {
    correct: problems.length === 0,
    ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
    dataLost: cause?.segmentExecution !== stoppedSegment,
    attemptsConsumed: null,
  };
}

function judgeAltered(scenario: FaultScenario, run: WaitRun): WaitVerdict {
  const { result, altered } = run;
  const problems: string[] = [];
  let dataLost = false;
  const expectedError =
    scenario.expect === 'job-not-found' ? 'StepWait.JobNotFound' : 'StepWait.UnknownStatus';
  if (altered === undefined) problems.push('the job was never removed or altered');
  if (result.status !== 'FAILED' || result.error !== expectedError) {
    problems.push(`ended ${result.status} ${result.error ?? ''}, expected ${expectedError}`);
  }
  const cause = parseCause(result.cause);
  const reason = typeof cause?.reason === 'string' ? cause.reason : '';
  if (altered) {
    if (!reason.includes(altered.jobId)) problems.push(`the cause does not name job ${altered.jobId}`);
    if (altered.status !== undefined && !reason.includes(altered.status)) {
      problems.push(`the cause does not name status ${altered.status}`);
      dataLost = true;
    }
    // The cause keeps what the wait knew of every job: the status Batch reported last (the new, unknown one),
    // or for a vanished job the status it was last seen with.
    const jobs = (cause?.jobs ?? {}) as Record<string, { status?: string }>;
    const known = jobs[altered.jobId];
    const expectedStatus = altered.status ?? altered.lastSeenStatus;
    if (known === undefined || known.status !== expectedStatus) {
      problems.push(
        `the cause lost job ${altered.jobId} (expected status ${expectedStatus}, cause ${JSON.stringify(known)})`,
      );
      dataLost = true;
    }
  }
  const sequence = attemptSequenceProblem(run.lines);
  if (sequence) problems.push(sequence);
  // Fails closed at once: the poll right after the change ends the wait.
  const pollsAfter = run.lines.filter((line) => line.at >= (altered?.at ?? Number.POSITIVE_INFINITY)).length;
  if (altered && pollsAfter !== 1) problems.push(`${pollsAfter} polls after the change instead of 1`);
  return {
    correct: problems.length === 0,
    ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
    dataLost,
    attemptsConsumed: null,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------------------

const twinCache = new WeakMap<SynthesizedWaiter, Map<string, Promise<WaitRun>>>();

/** The same wait without any fault; shared by every row that runs the same spec on the same machine. */
function faultFreeTwin(
  synthesized: SynthesizedWaiter,
  spec: FaultWaitSpec,
  submit: boolean,
): Promise<WaitRun> {
  let cache = twinCache.get(synthesized);
  if (cache === undefined) {
    cache = new Map();
    twinCache.set(synthesized, cache);
  }
  let twin = cache.get(spec.key);
  if (twin === undefined) {
    twin = runWait(synthesized, spec, submit ? { submit: {} } : {}, seededRandom(0));
    cache.set(spec.key, twin);
  }
  return twin;
}

function faultsFor(scenario: FaultScenario, spec: FaultWaitSpec, random: () => number): WaitFaults {
  const faults: WaitFaults = {};
  if (scenario.batchFaults) faults.batchFaults = scenario.batchFaults;
  if (scenario.retryAfterSeconds !== undefined) faults.retryAfterSeconds = scenario.retryAfterSeconds;
  if (scenario.serverErrorBursts) faults.serverErrorBursts = scenario.serverErrorBursts;
  if (scenario.lambdaFailures) faults.lambdaFailures = scenario.lambdaFailures;
  if (scenario.startExecutionFaults) faults.startExecutionFaults = scenario.startExecutionFaults;
  if (scenario.submitFault) faults.submit = { fault: scenario.submitFault };
  if (scenario.stopSegment) {
    const { minInvocations, maxInvocations } = scenario.stopSegment;
    faults.stopSegmentAfter = minInvocations + Math.floor(random() * (maxInvocations - minInvocations + 1));
  }
  if (scenario.crash) {
    const { error, stage, points } = scenario.crash;
    const point = points[spec.index % points.length] as CrashPoint;
    faults.crash = { error, stage, point, attempt: 2 + Math.floor(random() * 3) };
  }
  if (scenario.expect === 'job-not-found' || scenario.expect === 'unknown-status') {
    const job = spec.jobs[Math.floor(random() * spec.jobs.length)] as FaultJob;
    const afterMs = Math.round((0.2 + 0.65 * random()) * (job.queueSeconds + job.runSeconds) * 1_000);
    const statuses = scenario.unknownStatuses ?? ['PAUSED'];
    faults.alter = {
      jobId: job.jobId,
      afterMs,
      ...(scenario.expect === 'unknown-status'
        ? { status: statuses[spec.index % statuses.length] as string }
        : {}),
    };
  }
  return faults;
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const round1 = (value: number) => Math.round(value * 10) / 10;

/** The backoff before each retried invocation: from the failed invocation to the next one of the same state. */
function retryDelaysSeconds(run: WaitRun): number[] {
  const delays: number[] = [];
  run.invocations.forEach((invocation, i) => {
    const next = run.invocations[i + 1];
    if (invocation.failedWith !== undefined && next?.stateName === invocation.stateName) {
      delays.push((next.at - invocation.at) / 1_000);
    }
  });
  return delays;
}

function transientStats(runs: readonly WaitRun[], twins: readonly WaitRun[]): Record<string, number> {
  const calls = runs.flatMap((run) => run.calls);
  const invocations = runs.flatMap((run) => run.invocations);
  const failed = invocations.filter((invocation) => invocation.failedWith !== undefined);
  const retryDelays = runs.flatMap(retryDelaysSeconds);
  const transientDelays = runs.flatMap((run) =>
    run.lines.filter((line) => line.observation === 'transient').map((line) => line.delaySeconds),
  );
  const crashes = runs.filter((run) => run.crash !== undefined);
  return {
    batchCalls: calls.length,
    throttledCalls: calls.filter((call) => call.outcome === 'throttled').length,
    throttledListJobs: calls.filter((call) => call.outcome === 'throttled' && call.operation === 'ListJobs')
      .length,
    serverErrors: calls.filter((call) => call.outcome === 'error').length,
    bursts: sum(runs.map((run) => run.bursts.length)),
    longestBurst: Math.max(0, ...runs.flatMap((run) => run.bursts)),
    throttledPolls: sum(
      runs.map((run) => run.lines.filter((line) => line.observation === 'throttled').length),
    ),
    // The shortest Wait after a throttled poll: at least the Retry-After an HTTP system sent.
    minThrottledBackoffSeconds: Math.min(
      ...runs.flatMap((run) =>
        run.lines
          .filter((line) => line.observation === 'throttled' && line.state === 'retry')
          .map((line) => line.delaySeconds),
      ),
    ),
    transientPolls: transientDelays.length,
    longestTransientBackoffSeconds: Math.max(0, ...transientDelays),
    lambdaFailures: failed.filter((invocation) => invocation.failedWith !== 'Lambda.Unknown').length,
    serviceExceptions: failed.filter((invocation) => invocation.failedWith === 'Lambda.ServiceException')
      .length,
    tooManyRequests: failed.filter(
      (invocation) => invocation.failedWith === 'Lambda.TooManyRequestsException',
    ).length,
    taskRetries: sum(runs.flatMap((run) => run.executions.map((execution) => execution.retries))),
    minRetryDelaySeconds: retryDelays.length > 0 ? round1(Math.min(...retryDelays)) : 0,
    maxRetryDelaySeconds: retryDelays.length > 0 ? round1(Math.max(...retryDelays)) : 0,
    distinctRetryDelays: new Set(retryDelays.map((delay) => delay.toFixed(3))).size,
    crashes: crashes.length,
    crashesBeforeHandler: crashes.filter((run) => run.crash?.point === 'before-handler').length,
    crashesAfterBatchCall: crashes.filter((run) => run.crash?.point === 'after-batch-call').length,
    resumedAtSameStageAndAttempt: crashes.filter((run) => crashVerdict(run) === undefined).length,
    attempts: sum(runs.map((run) => attemptsIn(run.result.output as WaitOutput | undefined))),
    realPolls: sum(runs.map((run) => realPolls(run.lines))),
    twinAttempts: sum(twins.map((twin) => attemptsIn(twin.result.output as WaitOutput | undefined))),
    lambdaInvocations: sum(
      runs.flatMap((run) => run.executions.map((execution) => execution.lambdaInvocations)),
    ),
    segmentExecutions: sum(runs.map((run) => run.executions.length - 1)),
    startFaults: sum(runs.map((run) => run.startFaults.length)),
    lostStarts: sum(runs.map((run) => run.startFaults.filter((fault) => fault === 'lostResponse').length)),
  };
}

function transientNotes(scenario: FaultScenario, stats: Record<string, number>): string {
  const parts: string[] = [];
  if (stats.throttledCalls) {
    parts.push(
      `${stats.throttledCalls} of ${stats.batchCalls} status calls throttled (${stats.throttledListJobs} ListJobs), each backed off in a Wait`,
    );
  }
  if (scenario.serverErrorBursts) {
    parts.push(
      `${stats.serverErrors} 5xx answers in ${stats.bursts} bursts (longest ${stats.longestBurst}), backed off 2-${stats.longestTransientBackoffSeconds} s with jitter`,
    );
  }
  if (scenario.lambdaFailures) {
    parts.push(
      `${stats.lambdaFailures} invocations failed (${stats.serviceExceptions} ServiceException, ${stats.tooManyRequests} TooManyRequests)`,
    );
  }
  if (scenario.crash) {
    parts.push(
      `${stats.crashes} crashes (${stats.crashesBeforeHandler} before the handler, ${stats.crashesAfterBatchCall} after the Batch call): ${stats.resumedAtSameStageAndAttempt} resumed at the same stage and attempt`,
    );
  }
  if (scenario.lambdaFailures || scenario.crash) {
    parts.push(
      `${stats.taskRetries} Task retries, backoff ${stats.minRetryDelaySeconds}-${stats.maxRetryDelaySeconds} s (full jitter, ${stats.distinctRetryDelays} distinct)`,
    );
  }
  if (stats.segmentExecutions) parts.push(`${stats.segmentExecutions} hand-overs to segment executions`);
  if (scenario.startExecutionFaults) {
    parts.push(
      stats.lostStarts
        ? `${stats.lostStarts} StartExecution answers lost, each retry attached to the segment it had started (none started twice)`
        : `${stats.startFaults} StartExecution calls refused and retried with jitter`,
    );
  }
  parts.push(
    `${stats.attempts} attempts for ${stats.realPolls} real polls (fault-free twins: ${stats.twinAttempts})`,
  );
  return parts.join('; ');
}

function row(
  scenario: FaultScenario,
  verdicts: readonly WaitVerdict[],
  notes: string,
  stats: Record<string, number>,
  startedMs: number,
): FaultRow {
  const consumed = verdicts.map((verdict) => verdict.attemptsConsumed);
  const attemptsConsumedByFaults = consumed.every((value) => value === null)
    ? null
    : sum(consumed.map((value) => value ?? 0));
  const waitsCorrect = verdicts.filter((verdict) => verdict.correct).length;
  const dataLost = verdicts.filter((verdict) => verdict.dataLost).length;
  return {
    scenario: scenario.id,
    fault: scenario.fault,
    waitsRun: verdicts.length,
    waitsCorrect,
    attemptsConsumedByFaults,
    attemptsMustBeZero: scenario.attemptsMustBeZero,
    dataLost,
    passed:
      verdicts.length > 0 &&
      waitsCorrect === verdicts.length &&
      dataLost === 0 &&
      (!scenario.attemptsMustBeZero || attemptsConsumedByFaults === 0),
    notes,
    stats,
    failures: verdicts
      .map((verdict, index) => (verdict.correct ? undefined : `wait ${index}: ${verdict.problem}`))
      .filter((text): text is string => text !== undefined)
      .slice(0, FAILURES_KEPT),
    incorrect: verdicts.flatMap((verdict, index) =>
      verdict.correct
        ? []
        : [
            {
              index,
              problem: verdict.problem ?? 'incorrect',
              ...('input' in verdict ? { input: verdict.input } : {}),
            },
          ],
    ),
    realSeconds: round1((Date.now() - startedMs) / 1_000),
  };
}

/** Runs one scenario's waits (or random inputs) and sums them up as a row of the table. */
export async function runFaultScenario(scenario: FaultScenario, options: FaultRunOptions): Promise<FaultRow> {
  const startedMs = Date.now();
  const synthesized = options.synthesized ?? synthesizeWaiter(scenario.waiterProps);
  if (scenario.expect === 'wait-or-invalid-input') {
    return runRandomInputs(scenario, synthesized, options, startedMs);
  }
  const specs = faultWaitSpecs(options.waits, options.seed);
  let done = 0;
  const outcomes = await inPool(specs, options.concurrency ?? 4, async (spec) => {
    const random = seededRandom(deriveSeed(options.seed, scenario.id, spec.index));
    const run = await runWait(synthesized, spec, faultsFor(scenario, spec, random), random);
    const twin =
      scenario.expect === 'same-as-fault-free' ||
      scenario.expect === 'submitted-once' ||
      scenario.expect === 'segment-failed'
        ? await faultFreeTwin(synthesized, spec, scenario.submitFault !== undefined)
        : undefined;
    options.onProgress?.(++done, specs.length);
    return { run, twin };
  });
  if (scenario.expect === 'same-as-fault-free') {
    const runs = outcomes.map((outcome) => outcome.run);
    const twins = outcomes.map((outcome) => outcome.twin as WaitRun);
    const verdicts = outcomes.map(({ run, twin }) => judgeTransient(scenario, run, twin as WaitRun));
    const stats = transientStats(runs, twins);
    return row(scenario, verdicts, transientNotes(scenario, stats), stats, startedMs);
  }
  const runs = outcomes.map((outcome) => outcome.run);
  if (scenario.expect === 'submitted-once') {
    const verdicts = outcomes.map(({ run, twin }) => judgeSubmittedOnce(run, twin as WaitRun));
    const stats = {
      submitCalls: sum(runs.map((run) => run.submitted?.calls ?? 0)),
      jobs: sum(runs.map((run) => run.submitted?.jobIds.length ?? 0)),
      lookupsAfterFailure: sum(
        runs.map((run) => run.lines.filter((line) => line.observation === 'submitFailed').length),
      ),
    };
    const notes = `${stats.submitCalls} SubmitJob calls for ${runs.length} waits; each failed call was followed by a lookup at least 30 s later (${stats.lookupsAfterFailure}); ${stats.jobs} jobs submitted, one per business key`;
    return row(scenario, verdicts, notes, stats, startedMs);
  }
  if (scenario.expect === 'submit-failed') {
    const verdicts = runs.map(judgeSubmitFailed);
    const stats = { submitFailed: runs.filter((run) => run.result.error === 'StepWait.SubmitFailed').length };
    const notes = `${stats.submitFailed} StepWait.SubmitFailed at the first refusal, keeping Batch's ClientException and message; no job submitted`;
    return row(scenario, verdicts, notes, stats, startedMs);
  }
  if (scenario.expect === 'segment-failed') {
    const verdicts = outcomes.map(({ run, twin }) => judgeStoppedSegment(scenario, run, twin as WaitRun));
    const stats = {
      stopped: runs.filter((run) => run.stoppedSegment !== undefined).length,
      segmentFailed: runs.filter((run) => run.result.error === 'StepWait.SegmentFailed').length,
    };
    const notes = `${stats.stopped} segments stopped: ${stats.segmentFailed} StepWait.SegmentFailed, each naming the stopped segment execution and saying it was stopped; the other ${runs.length - stats.stopped} waits ended before their first segment was due to be stopped, as their fault-free twins did`;
    return row(scenario, verdicts, notes, stats, startedMs);
  }
  const verdicts = outcomes.map(({ run }) => judgeAltered(scenario, run));
  const seenBefore = runs.filter((run) => run.altered?.lastSeenStatus !== undefined);
  const staleCauseStatus = runs.filter((run) => {
    const jobs = (parseCause(run.result.cause)?.jobs ?? {}) as Record<string, { status?: string }>;
    return run.altered?.status !== undefined && jobs[run.altered.jobId]?.status !== run.altered.status;
  }).length;
  const errors = new Map<string, number>();
  for (const run of runs) {
    const error = run.result.error ?? run.result.status;
    errors.set(error, (errors.get(error) ?? 0) + 1);
  }
  const stats: Record<string, number> = {
    altered: runs.filter((run) => run.altered !== undefined).length,
    seenBefore: seenBefore.length,
    staleCauseStatus,
    meanPollsAfterChange: round1(
      sum(runs.map((run) => run.lines.filter((line) => line.at >= (run.altered?.at ?? Infinity)).length)) /
        Math.max(1, runs.length),
    ),
  };
  const ended = [...errors].map(([error, count]) => `${count} ${error}`).join(', ');
  const notes =
    scenario.expect === 'job-not-found'
      ? `${ended}, each at the first poll after the job was removed, naming it and keeping its last seen status in the cause`
      : `${ended}, each at the first poll after the status changed, naming the status (${(scenario.unknownStatuses ?? []).join(', ')}); the cause's jobs map shows that status (${runs.length - staleCauseStatus} of ${runs.length})`;
  return row(scenario, verdicts, notes, stats, startedMs);
}

// ---------------------------------------------------------------------------------------------------------
// Random inputs
// ---------------------------------------------------------------------------------------------------------

/** What a generated input should end in: a wait (if allowed) or InvalidInput naming one of `fields`. */
export interface InputExpectation {
  wait: boolean;
  /** Field names (a nested field like `jobIds[3]` or `overrides.JobExists.delay` matches its root); `*`: any. */
  fields: string[];
}

export interface RandomInput {
  kind: 'valid' | 'invalid' | 'fuzz' | 'non-object';
  input: unknown;
  expect: InputExpectation;
}

/** The jobs every random input's emulator holds, all finished or far from it when the wait starts. */
export const RANDOM_INPUT_JOBS = {
  succeeded: ['6f1c2a0e-5d4b-4c1a-9e1f-000000000001', '6f1c2a0e-5d4b-4c1a-9e1f-000000000002'],
  failed: ['6f1c2a0e-5d4b-4c1a-9e1f-00000000000f'],
  running: ['6f1c2a0e-5d4b-4c1a-9e1f-0000000000aa'],
  queue: 'etl-queue',
  uniqueName: 'nightly-etl',
  duplicateName: 'dup-report',
  prefix: 'nightly-',
  scheduledTime: '2026-11-25T02:00:00Z',
} as const;

const TARGET_FIELDS = ['jobId', 'jobIds', 'jobName', 'jobNamePrefix'];

interface Piece {
  fields: Record<string, unknown>;
  /** Fields the validator may name; any of them makes the request invalid. */
  bad: string[];
  /** Fields a valid request may carry or be refused for (known fields the target does not use). */
  ignorable?: string[];
}

const valid = (fields: Record<string, unknown>): Piece => ({ fields, bad: [] });
const invalid = (fields: Record<string, unknown>, field: string): Piece => ({ fields, bad: [field] });

const existingId = fc.constantFrom(
  ...RANDOM_INPUT_JOBS.succeeded,
  ...RANDOM_INPUT_JOBS.failed,
  ...RANDOM_INPUT_JOBS.running,
);
const validId = fc.oneof({ weight: 3, arbitrary: existingId }, { weight: 1, arbitrary: fc.uuid() });
const oddValue = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const badId = fc.oneof(
  fc.constantFrom('', '-starts-with-hyphen', 'has space', 'semi;colon', 'ünïcode', 'x/y', 'a'.repeat(129)),
  oddValue,
);
const validName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,30}$/);
const badName = fc.oneof(fc.constantFrom('', '-nightly', 'has space', 'a:b', 'n'.repeat(129)), oddValue);
const validQueue = fc.constantFrom(
  RANDOM_INPUT_JOBS.queue,
  `arn:aws:batch:us-east-1:123456789012:job-queue/${RANDOM_INPUT_JOBS.queue}`,
  'other-queue',
);
const badQueue = fc.oneof(fc.constantFrom('bad queue', '', 'arn:aws:batch:::job-queue/x'), oddValue);

/** A Piece for an optional field: absent, valid or invalid. */
function optionalField(field: string, good: fc.Arbitrary<unknown>, bad: fc.Arbitrary<unknown>) {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(valid({})) },
    { weight: 3, arbitrary: good.map((value) => valid({ [field]: value })) },
    { weight: 1, arbitrary: bad.map((value) => invalid({ [field]: value }, field)) },
  );
}

const strayKnownField = fc.oneof(
  { weight: 4, arbitrary: fc.constant(valid({})) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom('jobQueue', 'newest', 'scheduledTime'),
        fc.oneof(fc.string({ maxLength: 8 }), oddValue),
      )
      .map(([field, value]): Piece => ({ fields: { [field]: value }, bad: [], ignorable: [field] })),
  },
);

const idTarget = fc.oneof(
  { weight: 4, arbitrary: validId.map((jobId) => valid({ jobId })) },
  { weight: 2, arbitrary: badId.map((jobId) => invalid({ jobId }, 'jobId')) },
  {
    weight: 3,
    arbitrary: fc.array(validId, { minLength: 1, maxLength: 5 }).map((jobIds) => valid({ jobIds })),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.constant([]),
        fc.array(validId, { minLength: 101, maxLength: 103 }),
        fc
          .tuple(fc.array(validId, { maxLength: 3 }), badId, fc.array(validId, { maxLength: 2 }))
          .map(([before, bad, after]) => [...before, bad, ...after]),
        fc.oneof(fc.string({ maxLength: 10 }), fc.constant(null), fc.constant({}), fc.integer()),
      )
      .map((jobIds) => invalid({ jobIds }, 'jobIds')),
  },
);

const nameTarget = fc
  .tuple(
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom(RANDOM_INPUT_JOBS.uniqueName, RANDOM_INPUT_JOBS.duplicateName),
      },
      { weight: 2, arbitrary: validName },
      { weight: 1, arbitrary: badName.map((name) => ({ bad: name })) },
    ),
    fc.oneof(
      { weight: 5, arbitrary: validQueue },
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: badQueue.map((queue) => ({ bad: queue })) },
    ),
    fc.oneof(
      { weight: 4, arbitrary: fc.constant(undefined) },
      { weight: 2, arbitrary: fc.boolean() },
      { weight: 1, arbitrary: fc.constantFrom('yes', 1, null).map((newest) => ({ bad: newest })) },
    ),
  )
  .map(([name, queue, newest]): Piece => {
    const fields: Record<string, unknown> = {};
    const bad: string[] = [];
    const take = (field: string, value: unknown) => {
      if (value === undefined) return;
      if (typeof value === 'object' && value !== null && 'bad' in value) {
        fields[field] = (value as { bad: unknown }).bad;
        bad.push(field);
      } else fields[field] = value;
    };
    take('jobName', name);
    if (queue === undefined) bad.push('jobQueue');
    take('jobQueue', queue);
    take('newest', newest);
    return { fields, bad };
  });

const prefixTarget = fc
  .tuple(
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(RANDOM_INPUT_JOBS.prefix) },
      { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,20}$/) },
      {
        weight: 1,
        arbitrary: fc
          .oneof(fc.constantFrom('', '-x', 'p'.repeat(118)), oddValue)
          .map((prefix) => ({ bad: prefix })),
      },
    ),
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(RANDOM_INPUT_JOBS.scheduledTime) },
      {
        weight: 2,
        arbitrary: fc
          .date({
            min: new Date('2000-01-01T00:00:00Z'),
            max: new Date('2100-01-01T00:00:00Z'),
            noInvalidDate: true,
          })
          .map((date) => date.toISOString()),
      },
      { weight: 1, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc
          .oneof(fc.constantFrom('not a time', '', '2026-13-45T00:00:00Z'), oddValue)
          .map((time) => ({
            bad: time,
          })),
      },
    ),
    fc.oneof(
      { weight: 5, arbitrary: validQueue },
      { weight: 1, arbitrary: badQueue.map((queue) => ({ bad: queue })) },
    ),
  )
  .map(([prefix, time, queue]): Piece => {
    const fields: Record<string, unknown> = {};
    const bad: string[] = [];
    const take = (field: string, value: unknown) => {
      if (typeof value === 'object' && value !== null && 'bad' in value) {
        fields[field] = (value as { bad: unknown }).bad;
        bad.push(field);
      } else if (value !== undefined) fields[field] = value;
    };
    take('jobNamePrefix', prefix);
    if (time === undefined) bad.push('scheduledTime');
    take('scheduledTime', time);
    take('jobQueue', queue);
    return { fields, bad };
  });

const targetPiece: fc.Arbitrary<Piece> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.tuple(idTarget, strayKnownField).map(([target, stray]) => ({
      fields: { ...target.fields, ...stray.fields },
      bad: target.bad,
      ...(stray.ignorable ? { ignorable: stray.ignorable } : {}),
    })),
  },
  { weight: 3, arbitrary: nameTarget },
  { weight: 2, arbitrary: prefixTarget },
  { weight: 1, arbitrary: fc.constant(valid({})) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(idTarget, fc.oneof(nameTarget, prefixTarget))
      .map(([a, b]) => ({ fields: { ...a.fields, ...b.fields }, bad: [...a.bad, ...b.bad] })),
  },
);

const validDelay = fc.oneof(
  fc.record({
    kind: fc.constant('fixed'),
    delay: fc.integer({ min: 5, max: 60 }),
    jitter: fc.integer({ min: 0, max: 5 }),
  }),
  fc
    .tuple(fc.integer({ min: 5, max: 30 }), fc.integer({ min: 0, max: 90 }))
    .map(([minDelay, extra]) => ({ kind: 'exponential', minDelay, maxDelay: minDelay + extra })),
);
const badDelay = fc.oneof(
  fc.constantFrom(
    { kind: 'linear', delay: 5 },
    { kind: 'fixed', delay: -1 },
    { kind: 'fixed', delay: 1.5 },
    { kind: 'fixed', delay: 40_000_000 },
    { kind: 'fixed', delay: 5, jitter: '2' },
    { kind: 'exponential', minDelay: 0, maxDelay: 5 },
    { kind: 'exponential', minDelay: 10, maxDelay: 5 },
    { kind: 'exponential', minDelay: 10 },
  ),
  oddValue,
);
const stage = fc.constantFrom(...BATCH_STAGES);
const overridesPiece = fc.oneof(
  { weight: 8, arbitrary: fc.constant(valid({})) },
  {
    weight: 3,
    arbitrary: fc
      .dictionary(
        stage,
        fc.oneof(
          validDelay.map((delay) => ({ delay })),
          fc.integer({ min: 1, max: 20 }).map((maxAttempts) => ({ maxAttempts })),
          fc
            .tuple(validDelay, fc.integer({ min: 1, max: 20 }))
            .map(([delay, maxAttempts]) => ({ delay, maxAttempts })),
          fc.constant({}),
        ),
        { minKeys: 1, maxKeys: 3 },
      )
      .map((overrides) => valid({ overrides })),
  },
  {
    weight: 3,
    arbitrary: fc
      .oneof(
        fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.constant(null), fc.constant([])),
        fc.constantFrom({ JobDone: {} }, { jobexists: { delay: { kind: 'fixed', delay: 5 } } }),
        stage.chain((name) =>
          fc.oneof(
            fc
              .oneof(
                fc.integer(),
                fc.boolean(),
                fc.constant(null),
                fc.constant([]),
                fc.string({ maxLength: 4 }),
              )
              .map((override) => ({ [name]: override })),
            badDelay.map((delay) => ({ [name]: { delay } })),
            fc.constantFrom(0, 1.5, '3', null, 1_000_001).map((maxAttempts) => ({ [name]: { maxAttempts } })),
            fc.constant({ [name]: { delayy: 5 } }),
          ),
        ),
      )
      .map((overrides) => invalid({ overrides }, 'overrides')),
  },
);

const unknownFieldName = fc.oneof(
  fc.constantFrom(
    'jobID',
    'JobId',
    'job_id',
    'timeout',
    'delay',
    'handOver',
    'state',
    'request',
    '__proto__',
  ),
  fc.string({ minLength: 1, maxLength: 10 }).filter((key) => !REQUEST_FIELDS.includes(key)),
);
const extrasPiece = fc.oneof(
  { weight: 14, arbitrary: fc.constant(valid({})) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(unknownFieldName, fc.jsonValue({ maxDepth: 2 }))
      .map(([key, value]) => invalid({ [key]: value }, key)),
  },
  {
    // What a segment receives; from a caller it is an unknown field like any other.
    weight: 1,
    arbitrary: fc
      .record({
        stageIndex: fc.integer({ min: -1, max: 3 }),
        deadline: fc.constantFrom('2099-01-01T00:00:00Z', 'soon'),
        jobIds: fc.array(validId, { maxLength: 2 }),
        seenJobIds: fc.constant([]),
        target: fc.constant({}),
      })
      .map((handOver) => invalid({ handOver }, 'handOver')),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })),
        fc.string(),
        fc.constant(null),
      )
      .map((parameters) => invalid({ parameters }, 'parameters')),
  },
  {
    weight: 1,
    arbitrary: fc
      .string({ minLength: 1, maxLength: 20 })
      .map((id) =>
        valid({ AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: `arn:aws:states:::execution:p:${id}` }),
      ),
  },
);

const structuredInput: fc.Arbitrary<RandomInput> = fc
  .tuple(
    targetPiece,
    optionalField(
      'timeoutSeconds',
      fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 1, max: 900 }) },
        { weight: 1, arbitrary: fc.integer({ min: 901, max: RANDOM_INPUT_MAX_TIMEOUT_SECONDS }) },
      ),
      fc.oneof(
        fc.constantFrom(0, -1, 1.5, '60', null, true, 1e21),
        fc.integer({ min: RANDOM_INPUT_MAX_TIMEOUT_SECONDS + 1, max: 10_000_000 }),
      ),
    ),
    optionalField('failOnTimeout', fc.boolean(), fc.constantFrom('true', 0, 1, null, 'false')),
    overridesPiece,
    extrasPiece,
  )
  .map((pieces): RandomInput => {
    // fromEntries, not Object.assign: a `__proto__` field must stay an own property, as JSON.parse makes it.
    const fields: Record<string, unknown> = Object.fromEntries(
      pieces.flatMap((piece) => Object.entries(piece.fields)),
    );
    const bad = pieces.flatMap((piece) => piece.bad);
    const ignorable = pieces.flatMap((piece) => piece.ignorable ?? []);
    const given = TARGET_FIELDS.filter((field) => fields[field] !== undefined);
    if (given.length !== 1) bad.push(given.length === 0 ? 'jobId' : given.join('+'));
    const expect: InputExpectation =
      bad.length > 0 ? { wait: false, fields: bad } : { wait: true, fields: ignorable };
    return { kind: bad.length > 0 ? 'invalid' : 'valid', input: fields, expect };
  });

const fuzzKey = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...REQUEST_FIELDS) },
  { weight: 1, arbitrary: unknownFieldName },
);
const fuzzValue = fc.oneof(
  validId,
  badId,
  validName,
  fc.jsonValue({ maxDepth: 2 }),
  fc.integer({ min: -5, max: 5_000 }),
);
const fuzzInput: fc.Arbitrary<RandomInput> = fc
  .dictionary(fuzzKey, fuzzValue, { maxKeys: 4 })
  .map((input) => ({ kind: 'fuzz', input, expect: { wait: true, fields: ['*'] } }));

/**
 * Non-objects, falsy ones included: the machine reads its request from `$$.Execution.Input`, so even `null`,
 * `0`, `""` and `false` reach the poller, which must refuse them naming `(input)`.
 */
const nonObjectInput: fc.Arbitrary<RandomInput> = fc
  .oneof(
    fc.string({ maxLength: 20 }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  )
  .map((input) => ({ kind: 'non-object', input, expect: { wait: false, fields: ['(input)'] } }));

/** Valid and invalid requests (with what each should end in), free-form objects and non-objects. */
export const randomInputArbitrary: fc.Arbitrary<RandomInput> = fc.oneof(
  { weight: 16, arbitrary: structuredInput },
  { weight: 3, arbitrary: fuzzInput },
  { weight: 1, arbitrary: nonObjectInput },
);

/** `count` inputs, the same for the same seed; each as Step Functions would pass it (a JSON round trip). */
export function randomInputs(count: number, seed: number): RandomInput[] {
  return fc
    .sample(randomInputArbitrary, { seed, numRuns: count })
    .map((sample) => ({ ...sample, input: JSON.parse(JSON.stringify(sample.input)) as unknown }));
}

/** Outcomes that are the end of a wait (the request was taken): the job's fate or the deadline's. */
const WAIT_ERRORS = new Set([
  'StepWait.Timeout',
  'StepWait.JobNotFound',
  'StepWait.JobFailed',
  'StepWait.AmbiguousBusinessKey',
  'StepWait.MaxAttemptsExceeded',
]);

export type InputOutcome =
  | { kind: 'wait'; label: string }
  | { kind: 'invalid-input'; field: string }
  | { kind: 'unnamed'; label: string };

/** A wait, a refusal naming its field, or anything else (an error that names no field, or no StepWait one). */
export function classifyOutcome(result: LocalExecutionResult): InputOutcome {
  if (result.status === 'SUCCEEDED') {
    const status = (result.output as WaitOutput | undefined)?.status;
    return { kind: 'wait', label: status === 'SUCCEEDED' ? 'SUCCEEDED' : `SUCCEEDED (${status})` };
  }
  const error = result.error ?? result.status;
  if (WAIT_ERRORS.has(error)) return { kind: 'wait', label: error };
  if (error === 'StepWait.InvalidInput') {
    const field = parseCause(result.cause)?.field;
    if (typeof field === 'string' && field !== '') return { kind: 'invalid-input', field };
  }
  return { kind: 'unnamed', label: `${error}: ${String(result.cause).slice(0, 160)}` };
}

function fieldMatches(expected: readonly string[], field: string): boolean {
  const root = (name: string) => name.split(/[.[]/)[0] as string;
  return expected.some((candidate) => candidate === '*' || candidate === field || candidate === root(field));
}

/**
 * Runs one input through the machine, on a fresh emulator holding RANDOM_INPUT_JOBS (finished an hour ago,
 * or running for days), and checks a finished wait for ids against Batch: `lost` says what it left out.
 */
export async function runRandomInput(
  synthesized: SynthesizedWaiter,
  input: unknown,
  random: () => number,
): Promise<{ result: LocalExecutionResult; outcome: InputOutcome; lost?: string }> {
  const clock = new VirtualClock();
  const emulator = await BatchEmulator.start({ clock });
  try {
    registerSubmitTargets(emulator, synthesized);
    const ready = { durations: { submitted: 0, pending: 0, runnable: 5, starting: 5, running: 60 } };
    const [okA, okB] = RANDOM_INPUT_JOBS.succeeded;
    const queue = RANDOM_INPUT_JOBS.queue;
    emulator.addJob({ ...ready, jobId: okA, jobName: RANDOM_INPUT_JOBS.uniqueName, jobQueue: queue });
    emulator.addJob({
      ...ready,
      jobId: okB,
      jobName: `${RANDOM_INPUT_JOBS.prefix}2026-11-25`,
      jobQueue: queue,
    });
    for (const jobId of RANDOM_INPUT_JOBS.failed) emulator.addJob({ ...ready, jobId, outcome: 'FAILED' });
    for (const jobId of RANDOM_INPUT_JOBS.running) {
      emulator.addJob({ jobId, durations: { runnable: 5, running: 1_000_000 } });
    }
    emulator.addJob({ ...ready, jobName: RANDOM_INPUT_JOBS.duplicateName, jobQueue: queue });
    emulator.addJob({ ...ready, jobName: RANDOM_INPUT_JOBS.duplicateName, jobQueue: queue });
    clock.advanceSeconds(3_600);
    const result = await new LocalWaiter({
      synthesized,
      batchEndpoint: emulator.endpoint,
      clock,
      random,
    }).run(input);
    const outcome = classifyOutcome(result);
    // A finished wait for ids reports every id asked for, with the status Batch has for it.
    const output = result.output as WaitOutput | undefined;
    const request = (input ?? {}) as { jobId?: unknown; jobIds?: unknown };
    if (
      output?.status === 'SUCCEEDED' &&
      (typeof request.jobId === 'string' || Array.isArray(request.jobIds))
    ) {
      const asked = [
        ...new Set(typeof request.jobId === 'string' ? [request.jobId] : (request.jobIds as string[])),
      ];
      const reported = (output.jobs ?? []).map((job) => job.jobId);
      if (!isDeepStrictEqual([...reported].sort(), [...asked].sort())) {
        return { result, outcome, lost: `reported jobs ${reported.join(',')} for ${asked.join(',')}` };
      }
      if ((output.jobs ?? []).some((job) => job.status !== emulator.job(job.jobId)?.status)) {
        return { result, outcome, lost: 'a job summary has another status than Batch' };
      }
    }
    return { result, outcome };
  } finally {
    await emulator.stop();
  }
}

async function runRandomInputs(
  scenario: FaultScenario,
  synthesized: SynthesizedWaiter,
  options: FaultRunOptions,
  startedMs: number,
): Promise<FaultRow> {
  const inputs = randomInputs(options.waits, deriveSeed(options.seed, scenario.id));
  let done = 0;
  const outcomes = await inPool(inputs, options.concurrency ?? 4, async (sample, index) => {
    const ran = await runRandomInput(
      synthesized,
      sample.input,
      seededRandom(deriveSeed(options.seed, 'input', index)),
    );
    options.onProgress?.(++done, inputs.length);
    return { sample, ...ran };
  });

  const verdicts: WaitVerdict[] = outcomes.map(({ sample, outcome, lost }) => {
    const { expect } = sample;
    const correct =
      (outcome.kind === 'wait' && expect.wait) ||
      (outcome.kind === 'invalid-input' && fieldMatches(expect.fields, outcome.field));
    const described =
      outcome.kind === 'invalid-input' ? `StepWait.InvalidInput (${outcome.field})` : outcome.label;
    const problem = !correct
      ? `${JSON.stringify(sample.input).slice(0, 200)} ended ${described}; expected ${
          expect.wait ? 'a wait' : ''
        }${expect.wait && expect.fields.length > 0 ? ' or ' : ''}${
          expect.fields.length > 0 ? `InvalidInput naming ${expect.fields.join(' | ')}` : ''
        }`
      : lost;
    return {
      correct: correct && lost === undefined,
      input: sample.input,
      ...(problem ? { problem } : {}),
      dataLost: lost !== undefined,
      attemptsConsumed: null,
    };
  });

  const count = (predicate: (o: (typeof outcomes)[number]) => boolean) => outcomes.filter(predicate).length;
  const waitLabels = new Map<string, number>();
  for (const { outcome } of outcomes) {
    if (outcome.kind === 'wait') waitLabels.set(outcome.label, (waitLabels.get(outcome.label) ?? 0) + 1);
  }
  const stats: Record<string, number> = {
    valid: count((o) => o.sample.kind === 'valid'),
    invalid: count((o) => o.sample.kind === 'invalid'),
    fuzz: count((o) => o.sample.kind === 'fuzz'),
    nonObject: count((o) => o.sample.kind === 'non-object'),
    waits: count((o) => o.outcome.kind === 'wait'),
    invalidInput: count((o) => o.outcome.kind === 'invalid-input'),
    unnamedErrors: count((o) => o.outcome.kind === 'unnamed'),
    oracleMismatches: verdicts.filter(
      (verdict, i) => !verdict.correct && outcomes[i]?.outcome.kind !== 'unnamed',
    ).length,
  };
  for (const [label, n] of waitLabels) stats[label] = n;
  for (const { outcome } of outcomes) {
    if (outcome.kind !== 'unnamed') continue;
    const key = `unnamed ${outcome.label.split(':')[0]}`;
    stats[key] = (stats[key] ?? 0) + 1;
  }
  const waits = [...waitLabels]
    .sort((a, b) => b[1] - a[1])
    .map(([label, n]) => `${n} ${label.replace('StepWait.', '')}`)
    .join(', ');
  const notes =
    `${stats.valid} valid, ${stats.invalid} invalid, ${stats.fuzz} free-form, ${stats.nonObject} non-object inputs: ` +
    `${stats.invalidInput} StepWait.InvalidInput naming a field, ${stats.waits} waits (${waits}), ` +
    `${stats.unnamedErrors} errors naming no field; ${stats.oracleMismatches} outcomes other than the generator expected`;
  return row(scenario, verdicts, notes, stats, startedMs);
}

// ---------------------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------------------

export interface FaultSuiteOptions {
  scale: FaultScale;
  seed: number;
  /** Only these scenario ids (default all). */
  only?: readonly string[];
  concurrency?: number;
  onProgress?: (scenario: { id: string }, done: number, total: number) => void;
}

/** Every scenario at one scale, in table order. */
export async function runFaultSuite(options: FaultSuiteOptions): Promise<FaultRow[]> {
  const rows: FaultRow[] = [];
  for (const scenario of FAULT_SCENARIOS) {
    if (options.only && !options.only.includes(scenario.id)) continue;
    rows.push(
      await runFaultScenario(scenario, {
        waits: scenario.waits[options.scale],
        seed: options.seed,
        ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
        onProgress: (done, total) => options.onProgress?.(scenario, done, total),
      }),
    );
  }
  // Event mode's wake-up path (lib/local/event-faults.ts), after the rows every waiter shares.
  for (const scenario of EVENT_FAULT_SCENARIOS) {
    if (options.only && !options.only.includes(scenario.id)) continue;
    rows.push(
      await runEventFaultScenario(scenario, {
        waits: scenario.waits[options.scale],
        seed: options.seed,
        ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
        onProgress: (done, total) => options.onProgress?.(scenario, done, total),
      }),
    );
  }
  // Callback URLs: random requests at the callback function.
  if (!options.only || options.only.includes(CALLBACK_FAULTS_ID)) {
    rows.push(await runCallbackFaults(options.scale === 'full' ? 1_000 : 100, options.seed));
  }
  // The registry of waits: its writes throttled.
  if (!options.only || options.only.includes(REGISTRY_FAULTS_ID)) {
    rows.push(await runRegistryFaults(options.scale === 'full' ? 40 : 10, options.seed));
  }
  return rows;
}

const CALLBACK_FAULTS_ID = 'callback-requests';

/** Every scenario id `--only` may name. */
export const FAULT_SCENARIO_IDS: readonly string[] = [
  ...FAULT_SCENARIOS.map((scenario) => scenario.id),
  ...EVENT_FAULT_SCENARIOS.map((scenario) => scenario.id),
  CALLBACK_FAULTS_ID,
  REGISTRY_FAULTS_ID,
];
