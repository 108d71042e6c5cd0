import {
  BatchClient,
  DescribeJobsCommand,
  type JobDetail,
  type JobStatus,
  type JobSummary,
  ListJobsCommand,
} from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import { batchIo } from '../../lambdas/batch/io';
import { jobSystemIOs } from '../../lambdas/job-system-io';
import { createPollHandler, type PollDependencies, type PollResult } from '../../lambdas/poll';
import type { PollerConfig } from '../../lambdas/poller-config';
import { batchWaiterModel, POLL_EVENT_SCHEMA_VERSION, type WaitState } from '../../waiters';

/** The virtual clock's origin: every test starts here. */
export const T0 = Date.parse('2026-03-01T00:00:00.000Z');
export const iso = (ms: number): string => new Date(ms).toISOString();

export const QUEUE = 'nightly-queue';

/** The config the brief prescribes: Airflow's delays with +/- 2 s jitter, one day, failing on timeout. */
export function pollerConfig(changes: Partial<PollerConfig> = {}): PollerConfig {
  return {
    name: 'test',
    model: batchWaiterModel.toJSON(),
    stages: ['JobExists', 'JobRunning', 'JobComplete'],
    delays: {
      JobExists: { kind: 'fixed', delay: 2, jitter: 2 },
      JobRunning: { kind: 'fixed', delay: 5, jitter: 2 },
      JobComplete: { kind: 'fixed', delay: 300, jitter: 2 },
    },
    maxAttempts: {},
    timeoutSeconds: 86_400,
    maxTimeoutSeconds: 86_400,
    failOnTimeout: true,
    ...changes,
  };
}

/** A DescribeJobs JobDetail as Batch returns it; `extra` adds or replaces fields. */
export function job(jobId: string, status: JobStatus | string, extra: Partial<JobDetail> = {}): JobDetail {
  return {
    jobId,
    jobName: `name-${jobId}`,
    jobArn: `arn:aws:batch:us-east-1:123456789012:job/${jobId}`,
    jobQueue: `arn:aws:batch:us-east-1:123456789012:job-queue/${QUEUE}`,
    jobDefinition: 'arn:aws:batch:us-east-1:123456789012:job-definition/nightly:1',
    status: status as JobStatus,
    startedAt: undefined,
    createdAt: T0 - 60_000,
    ...extra,
  };
}

/** A ListJobs summary. */
export function listed(jobId: string, jobName: string, createdAt = T0 - 60_000): JobSummary {
  return { jobId, jobName, createdAt, status: 'RUNNABLE' };
}

/** What the real SDK returns on success: the output plus `$metadata` (the mock adds none of its own). */
export function describeOutput(...jobs: JobDetail[]) {
  return { $metadata: { httpStatusCode: 200 }, jobs };
}

/** An SDK-shaped service error, for errors @aws-sdk/client-batch does not export as classes. */
export function serviceError(name: string, httpStatusCode: number, message = `${name} from Batch`): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
  });
}

export function isWaitState(result: PollResult): result is WaitState {
  return 'deadline' in result;
}

/**
 * A poller wired to a mocked BatchClient (maxAttempts: 1, static dummy credentials), a mutable virtual clock,
 * a controllable `random` and a log that keeps every line.
 */
/** `extra`: dependencies beyond Batch, the clock, chance and the log (the registry, say). */
export function createHarness(
  changes: Partial<PollerConfig> = {},
  extra: Pick<PollDependencies, 'registry'> = {},
) {
  const batch = new BatchClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  const batchMock = mockClient(batch);
  const logs: Record<string, unknown>[] = [];
  let waits = 0;
  const harness = {
    batch,
    batchMock,
    logs,
    clockMs: T0,
    /** What the injected `random` returns; a function for sequences. */
    random: (() => 0.5) as () => number,
    config: JSON.stringify(pollerConfig(changes)),
    advance(seconds: number): void {
      harness.clockMs += seconds * 1000;
    },
    handler: createPollHandler({
      systems: jobSystemIOs({ batch: batchIo(batch) }),
      now: (): number => harness.clockMs,
      random: (): number => harness.random(),
      log: (line) => {
        logs.push(line);
      },
      newWaitId: () => `wait-${++waits}`,
      ...extra,
    }),
    /** The raw result of a first poll for `request`. */
    start(request: unknown): Promise<PollResult> {
      return harness.handler({
        schemaVersion: POLL_EVENT_SCHEMA_VERSION,
        config: harness.config,
        state: { request },
      });
    },
    /** A first poll that must not be refused. */
    async first(request: unknown): Promise<WaitState> {
      const result = await harness.start(request);
      if (!isWaitState(result)) throw new Error(`request refused: ${result.cause}`);
      return result;
    },
    /** A later poll carrying the previous result, as the state machine does. */
    async next(state: WaitState): Promise<WaitState> {
      const result = await harness.handler({
        schemaVersion: POLL_EVENT_SCHEMA_VERSION,
        config: harness.config,
        state,
      });
      if (!isWaitState(result)) throw new Error(`later poll refused: ${result.cause}`);
      return result;
    },
    /** The ids each DescribeJobs call asked for, in call order. */
    describeCalls(): string[][] {
      return batchMock.commandCalls(DescribeJobsCommand).map((call) => call.args[0].input.jobs ?? []);
    },
    listCalls() {
      return batchMock.commandCalls(ListJobsCommand).map((call) => call.args[0].input);
    },
  };
  return harness;
}

export type Harness = ReturnType<typeof createHarness>;

export function parseCause(cause: string | undefined): {
  reason: string;
  field?: string;
  jobs?: Record<
    string,
    { status?: string; statusReason?: string; exitCode?: number; logStreamName?: string }
  >;
} {
  if (cause === undefined) throw new Error('no cause');
  return JSON.parse(cause);
}
