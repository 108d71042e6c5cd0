import { SubmitJobCommand } from '@aws-sdk/client-batch';
import type { DelayStrategy } from '../../waiters';
import { outcomeOf, type WaitOutcome } from '../wait-outcome';
import { BatchEmulator, type BatchFaults, type JobOutcome } from './batch-emulator';
import { estimatedCostUsd } from './history';
import type { ExecutionStatus } from './local-state-machine';
import { LocalWaiter, localBatchClient, type SynthesizedWaiter } from './local-waiter';
import { VirtualClock } from './virtual-clock';

/** One simulated job and how stepwait waits for it. */
export interface LocalRunOptions {
  synthesized: SynthesizedWaiter;
  /** Seconds the job runs (RUNNING). */
  jobDurationSeconds: number;
  /** Seconds the job queues before it starts (mostly RUNNABLE). */
  queueSeconds: number;
  outcome: JobOutcome;
  timeoutSeconds?: number;
  failOnTimeout?: boolean;
  /** Per-stage delay strategies for this execution (the input's `overrides`). */
  delays?: Record<string, DelayStrategy>;
  /** Faults of the local Batch, e.g. `{ throttleProbability: 0.5 }`. */
  faults?: BatchFaults;
  random: () => number;
  /** Each poll as the poller logs it, for a live view. */
  onPoll?: (poll: PollView) => void;
}

/** What a live view shows after each poll. */
export interface PollView {
  stage: string;
  attempt: number;
  state: string;
  jobStatus?: string;
  virtualSeconds: number;
  polls: number;
  delaySeconds: number;
}

/** A local wait's figures; the JSON shape of `stepwait local --json`. */
export interface LocalRunReport {
  /** stepwait's outcome (SUCCEEDED | FAILED | TIMED_OUT | ABORTED), as the account CLI reports it. */
  status: WaitOutcome;
  /** What Step Functions would report: a Fail (StepWait.Timeout too) is FAILED, a timedOut end SUCCEEDED. */
  executionStatus: ExecutionStatus;
  error: string | null;
  cause: string | null;
  output: unknown;
  /** Poll task invocations per stage. */
  polls: Record<string, number>;
  stateTransitions: number;
  lambdaInvocations: number;
  /** The largest history of any one execution. */
  historyEvents: number;
  executions: number;
  simulatedSeconds: number;
  /** From the job's terminal status to the waiter noticing; null if it never noticed one. */
  detectionLatencySeconds: number | null;
  throttledCalls: number;
  estimatedCostUsd: number;
  /** Virtual seconds since the wait began of every DescribeJobs call, for load figures. */
  describeJobsCallSeconds: number[];
}

const JOB_QUEUE = 'stepwait-local-queue';
const JOB_DEFINITION = 'stepwait-local-job:1';

/**
 * Submits one job to a fresh local Batch on 127.0.0.1 (through the real SDK) and waits for it with the
 * synthesized state machine. Each run has its own clock and emulator, so runs can go in parallel.
 */
export async function runLocalWait(options: LocalRunOptions): Promise<LocalRunReport> {
  const clock = new VirtualClock();
  const startedAt = clock.now();
  const emulator = await BatchEmulator.start({
    clock,
    random: options.random,
    jobQueues: [JOB_QUEUE],
    jobDefinitions: [JOB_DEFINITION],
    defaultJobSpec: {
      // The queue time is split the way Batch jobs spend it: a moment each in SUBMITTED, PENDING and
      // STARTING, the rest in RUNNABLE waiting for capacity.
      durations: splitQueueTime(options.queueSeconds, options.jobDurationSeconds),
      outcome: options.outcome,
      ...(options.outcome === 'FAILED' ? { exitCode: 1 } : {}),
    },
  });
  try {
    const batch = localBatchClient(emulator.endpoint);
    const { jobId } = await batch.send(
      new SubmitJobCommand({
        jobName: 'stepwait-local-job',
        jobQueue: JOB_QUEUE,
        jobDefinition: JOB_DEFINITION,
      }),
    );
    batch.destroy();
    if (options.faults) emulator.setFaults(options.faults);

    let polls = 0;
    const waiter = new LocalWaiter({
      synthesized: options.synthesized,
      batchEndpoint: emulator.endpoint,
      clock,
      random: options.random,
      log: (line) => {
        if (line.stage === undefined || options.onPoll === undefined) return;
        polls++;
        const jobs = line.jobs as { status?: string }[] | undefined;
        options.onPoll({
          stage: String(line.stage),
          attempt: Number(line.attempt),
          state: String(line.state),
          jobStatus: jobs?.[0]?.status,
          virtualSeconds: (clock.now() - startedAt) / 1000,
          polls,
          delaySeconds: Number(line.delaySeconds),
        });
      },
    });
    const overrides = Object.fromEntries(
      Object.entries(options.delays ?? {}).map(([stage, delay]) => [stage, { delay }]),
    );
    const result = await waiter.run({
      jobId,
      ...(options.timeoutSeconds === undefined ? {} : { timeoutSeconds: options.timeoutSeconds }),
      ...(options.failOnTimeout === undefined ? {} : { failOnTimeout: options.failOnTimeout }),
      ...(Object.keys(overrides).length > 0 ? { overrides } : {}),
    });

    // The local engine already calls a Fail with StepWait.Timeout TIMED_OUT; Step Functions says FAILED
    // (only the machine's own TimeoutSeconds, States.Timeout, is TIMED_OUT there). The outcome is then the
    // account CLI's, from the one mapping.
    const executionStatus: ExecutionStatus =
      result.status === 'TIMED_OUT' && result.error !== 'States.Timeout' ? 'FAILED' : result.status;
    const status = outcomeOf({
      status: executionStatus,
      ...(result.output === undefined ? {} : { output: JSON.stringify(result.output) }),
      ...(result.error === undefined ? {} : { error: result.error }),
    });
    const stoppedAt = emulator.job(jobId as string)?.stoppedAt;
    const noticedAt = startedAt + result.simulatedSeconds * 1000;
    const noticed = status === 'SUCCEEDED' || result.error === 'StepWait.JobFailed';
    // A long wait runs in several executions: the main one and the segments it handed over to.
    const executions = [result, ...result.segments.map((segment) => segment.result)];
    const polled: Record<string, number> = {};
    for (const execution of executions) {
      for (const [state, count] of Object.entries(execution.entered)) {
        if (!state.endsWith(' Poll')) continue;
        const stage = state.slice(0, -' Poll'.length);
        polled[stage] = (polled[stage] ?? 0) + count;
      }
    }
    const stateTransitions = executions.reduce((sum, execution) => sum + execution.stateTransitions, 0);
    const lambdaInvocations = executions.reduce((sum, execution) => sum + execution.lambdaInvocations, 0);
    return {
      status,
      executionStatus,
      error: result.error ?? null,
      cause: result.cause ?? null,
      output: result.output ?? null,
      polls: polled,
      stateTransitions,
      lambdaInvocations,
      historyEvents: Math.max(...executions.map((execution) => execution.historyEvents)),
      executions: executions.length,
      simulatedSeconds: result.simulatedSeconds,
      detectionLatencySeconds:
        noticed && stoppedAt !== undefined ? Math.max(0, (noticedAt - stoppedAt) / 1000) : null,
      throttledCalls: emulator.throttledCalls,
      estimatedCostUsd: estimatedCostUsd({ stateTransitions, lambdaInvocations }),
      describeJobsCallSeconds: emulator.calls
        .filter((call) => call.operation === 'DescribeJobs')
        .map((call) => (call.at - startedAt) / 1000),
    };
  } finally {
    await emulator.stop();
  }
}

function splitQueueTime(queueSeconds: number, runningSeconds: number) {
  const moment = Math.min(1, queueSeconds / 4);
  const starting = Math.min(10, queueSeconds / 4);
  return {
    submitted: moment,
    pending: moment,
    starting,
    runnable: Math.max(0, queueSeconds - 2 * moment - starting),
    running: runningSeconds,
  };
}
