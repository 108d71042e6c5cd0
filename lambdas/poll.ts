import { BatchClient } from '@aws-sdk/client-batch';
import {
  advanceProgress,
  describeJobsOutcome,
  type PollObservation,
  StepWaitError,
  startProgress,
  type WaitProgress,
} from '../waiters';
import { describeJobs, findJobsNamed } from './batch-status';
import { InvalidInputError } from './invalid-input';
import { type ParsedPollerConfig, type PollerConfig, parsePollerConfig, planFor } from './poller-config';
import { parseWaitRequest, type WaitRequest } from './wait-request';

/**
 * The poller: one invocation is one attempt. It never sleeps; the state machine's Wait state does.
 *
 * Event (what the `<Stage> Poll` task sends; `schemaVersion` is fixed in the state machine definition, so a
 * wait started before a deploy keeps sending the version it started with):
 *
 *   {
 *     "schemaVersion": 1,
 *     "config": "<JSON of PollerConfig>",            // fixed at synth time: model, stages, delays, timeouts
 *     "state": { "request": <WaitRequest> }          // first poll: the execution's input
 *            | <WaitState>                           // later polls: what the previous poll returned
 *   }
 *
 * Result: the next WaitState, which the machine stores as its whole state: `state` (success | failure |
 * retry | timeout), `stageIndex`, `attempt`, `delaySeconds`, `deadline`, `jobs` (summaries), `error` and
 * `cause` when the wait ended badly, plus what the next poll needs (`jobIds`, `seenJobIds`, `target`,
 * `failOnTimeout`, `overrides`, counters) and the output fields (`status`, `timedOut`, `stages`,
 * `waitedSeconds`).
 */
export const POLL_EVENT_SCHEMA_VERSION = 2;
/**
 * Version 2 carries `segmentPolls` and `segments` (waits that continue in fresh executions). Version 1
 * events still come from executions started before the deploy that brought version 2: they run the old
 * definition but invoke the new poller, so it accepts them and fills in the new fields.
 */
const SUPPORTED_SCHEMA_VERSIONS: readonly number[] = [1, 2];

/** The state a wait carries between polls. */
export interface WaitState extends WaitProgress {
  target: WaitRequest['target'];
  failOnTimeout: boolean;
  overrides: WaitRequest['overrides'];
  /** Submit-and-wait: what the machine's `Submit Job` task sends (JobName and Parameters). */
  submitRequest?: { jobName: string; parameters: Record<string, string> };
  /** Written by the `Submit Job` task (its ResultPath): the id travels in the state before any poll. */
  submitted?: { jobId: string };
}

export interface PollEvent {
  schemaVersion: number;
  config: string;
  state: { request: unknown } | WaitState;
}

/** What the poller needs from outside; injected so tests and local runs control AWS, time and chance. */
export interface PollDependencies {
  batch: BatchClient;
  /** Epoch milliseconds. */
  now: () => number;
  random: () => number;
  /** One structured log line; ids, statuses and reasons only, never job parameters. */
  log: (line: Record<string, unknown>) => void;
}

export type PollHandler = (event: unknown) => Promise<WaitState | InvalidInputResult>;

/** A request refused before the wait began: the machine fails with StepWait.InvalidInput. */
export interface InvalidInputResult {
  state: 'failure';
  status: 'FAILED';
  error: typeof StepWaitError.InvalidInput;
  cause: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseEvent(event: unknown): PollEvent {
  if (!isRecord(event)) throw InvalidInputError.expected('(event)', 'a poll event object', event);
  if (!SUPPORTED_SCHEMA_VERSIONS.includes(event.schemaVersion as number)) {
    throw InvalidInputError.expected(
      'schemaVersion',
      `one of ${SUPPORTED_SCHEMA_VERSIONS.join(', ')}`,
      event.schemaVersion,
    );
  }
  if (!isRecord(event.state)) throw InvalidInputError.expected('state', 'an object', event.state);
  return event as unknown as PollEvent;
}

function isFirstPoll(state: PollEvent['state']): state is { request: unknown } {
  return !('deadline' in state);
}

/** A later poll's state must be one a poll produced; check what the next poll relies on. */
function checkCarriedState(state: WaitState, parsed: ParsedPollerConfig): WaitState {
  const { stageIndex, deadline, jobIds, seenJobIds, target } = state;
  if (!Number.isInteger(stageIndex) || stageIndex < 0 || stageIndex >= parsed.config.stages.length) {
    throw InvalidInputError.expected(
      'state.stageIndex',
      `a stage index below ${parsed.config.stages.length}`,
      stageIndex,
    );
  }
  if (typeof deadline !== 'string' || Number.isNaN(Date.parse(deadline))) {
    throw InvalidInputError.expected('state.deadline', 'an ISO 8601 time', deadline);
  }
  if (
    !Array.isArray(jobIds) ||
    !Array.isArray(seenJobIds) ||
    !isRecord(target) ||
    !isRecord(state.overrides) ||
    !Array.isArray(state.stages) ||
    !Array.isArray(state.jobs)
  ) {
    throw InvalidInputError.expected('state', 'the state a previous poll returned', Object.keys(state));
  }
  // Fields a version-1 state does not have yet.
  return { ...state, segmentPolls: state.segmentPolls ?? 0, segments: state.segments ?? 1 };
}

/**
 * A segment's first poll: its input is `{ handOver: <the state the previous execution ended with> }`.
 * The wait goes on where it stopped; only the per-execution poll count starts again.
 */
function continuedState(handOver: unknown, parsed: ParsedPollerConfig): WaitState {
  if (!isRecord(handOver))
    throw InvalidInputError.expected('handOver', 'the state a previous execution ended with', handOver);
  const { continued: _continued, ...carried } = handOver;
  const state = checkCarriedState(carried as unknown as WaitState, parsed);
  return { ...state, segmentPolls: 0, segments: state.segments + 1 };
}

function invalidInput(error: InvalidInputError): InvalidInputResult {
  return {
    state: 'failure',
    status: 'FAILED',
    error: StepWaitError.InvalidInput,
    cause: JSON.stringify({ reason: error.message, field: error.field }),
  };
}

/** Resolves a business key (once: the id then travels in the state), then makes the one DescribeJobs call. */
async function observe(
  batch: BatchClient,
  state: WaitState,
  config: PollerConfig,
): Promise<{ observation: PollObservation; jobIds: string[] }> {
  let jobIds = state.jobIds;
  if (jobIds.length === 0 && state.submitted?.jobId) {
    // The job this execution submitted: waited for by id, never looked up (ListJobs may not show it yet).
    jobIds = [state.submitted.jobId];
  } else if (jobIds.length === 0 && 'jobName' in state.target) {
    const { jobQueue, jobName, newest } = state.target;
    const found = await findJobsNamed(batch, jobQueue, jobName);
    if (!Array.isArray(found)) {
      if ('kind' in found) return { observation: found, jobIds };
      return {
        observation: { kind: 'described', interpretation: describeJobsOutcome([], [], found) },
        jobIds,
      };
    }
    if (config.submit !== undefined) {
      // Submit-and-wait attaches to the newest job with the name, so a re-run never submits a second one;
      // only none (or, if allowed, a failed one) leads to a submit.
      const newestJob = found.reduce<(typeof found)[number] | undefined>(
        (a, b) => (a === undefined || b.createdAt > a.createdAt ? b : a),
        undefined,
      );
      if (newestJob === undefined || (newestJob.status === 'FAILED' && config.submit.resubmitFailed)) {
        return { observation: { kind: 'submit' }, jobIds };
      }
      return describe(batch, [newestJob.jobId], state.seenJobIds);
    }
    if (found.length === 0) return { observation: { kind: 'notVisible' }, jobIds };
    if (found.length > 1 && !newest) {
      return { observation: { kind: 'ambiguous', jobName, jobIds: found.map((job) => job.jobId) }, jobIds };
    }
    const chosen = found.reduce((a, b) => (b.createdAt > a.createdAt ? b : a));
    jobIds = [chosen.jobId];
  }
  return describe(batch, jobIds, state.seenJobIds);
}

/** The one DescribeJobs call of a poll. */
async function describe(
  batch: BatchClient,
  jobIds: string[],
  seenJobIds: readonly string[],
): Promise<{ observation: PollObservation; jobIds: string[] }> {
  const result = await describeJobs(batch, jobIds);
  if ('kind' in result) return { observation: result, jobIds };
  return {
    observation: { kind: 'described', interpretation: describeJobsOutcome(jobIds, seenJobIds, result) },
    jobIds,
  };
}

/** With cancelJobOnTimeout the machine terminates the jobs next; the cause says so. */
function withTermination(result: WaitState): WaitState {
  const cause = JSON.parse(result.cause ?? '{}') as { reason?: string };
  const reason = `${cause.reason}; stepwait terminates job ${result.jobIds.join(', ')} (cancelJobOnTimeout)`;
  return { ...result, cause: JSON.stringify({ ...cause, reason, terminatedJobIds: result.jobIds }) };
}

/** Embedded Metric Format: CloudWatch turns this log line into a metric, with no API call from the Lambda. */
function timeoutMetric(waiterName: string, nowMs: number): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: nowMs,
      CloudWatchMetrics: [
        {
          Namespace: 'StepWait',
          Dimensions: [['Waiter']],
          Metrics: [{ Name: 'WaitsTimedOut', Unit: 'Count' }],
        },
      ],
    },
    Waiter: waiterName,
    WaitsTimedOut: 1,
  };
}

export function createPollHandler(deps: PollDependencies): PollHandler {
  return async (rawEvent) => {
    const event = parseEvent(rawEvent);
    const parsed = parsePollerConfig(event.config);
    const { config } = parsed;

    let state: WaitState;
    const request = isFirstPoll(event.state) ? event.state.request : undefined;
    if (config.acceptsHandOver && isRecord(request) && request.handOver !== undefined) {
      // Only a segment machine takes a handed-over state; anywhere else `handOver` is an unknown field.
      try {
        state = continuedState(request.handOver, parsed);
      } catch (error) {
        if (error instanceof InvalidInputError) return invalidInput(error);
        throw error;
      }
    } else if (isFirstPoll(event.state)) {
      let request: WaitRequest;
      try {
        request = parseWaitRequest(
          event.state.request,
          config.stages,
          config.maxTimeoutSeconds,
          config.submit,
        );
      } catch (error) {
        if (error instanceof InvalidInputError) {
          deps.log({ waiter: config.name, event: 'invalidInput', field: error.field, reason: error.message });
          return invalidInput(error);
        }
        throw error;
      }
      const jobIds = 'jobIds' in request.target ? request.target.jobIds : [];
      const plan = planFor(parsed, request.overrides);
      state = {
        ...startProgress(plan, jobIds, request.timeoutSeconds ?? config.timeoutSeconds, deps.now()),
        target: request.target,
        failOnTimeout: request.failOnTimeout ?? config.failOnTimeout,
        overrides: request.overrides,
      };
      if (config.submit !== undefined && 'jobName' in request.target) {
        state.submitRequest = {
          jobName: request.target.jobName,
          parameters: { ...config.submit.parameters, ...request.parameters },
        };
      }
    } else {
      state = checkCarriedState(event.state, parsed);
    }

    const { observation, jobIds } = await observe(deps.batch, state, config);
    const nowMs = deps.now();
    const next = advanceProgress(
      planFor(parsed, state.overrides),
      { ...state, jobIds },
      observation,
      nowMs,
      deps.random,
    );
    let result: WaitState = { ...state, ...next };
    if (result.state === 'timeout' && config.cancelJobOnTimeout) result = withTermination(result);

    deps.log({
      waiter: config.name,
      stage: config.stages[result.stageIndex],
      attempt: result.attempt,
      state: result.state,
      delaySeconds: result.delaySeconds,
      observation: observation.kind,
      jobs: result.jobs.map(({ jobId, status, statusReason }) => ({ jobId, status, statusReason })),
      ...(result.error ? { error: result.error } : {}),
    });
    if (result.state === 'timeout') deps.log(timeoutMetric(config.name, nowMs));
    return result;
  };
}

let defaultHandler: PollHandler | undefined;

/**
 * The deployed entry point. The client is built once per container with `maxAttempts: 1`: the SDK must not
 * retry and sleep inside the Lambda; throttles come back as `retry` and the state machine waits instead.
 * STEPWAIT_BATCH_ENDPOINT points it elsewhere (the local Batch emulator).
 */
export const handler: PollHandler = (event) => {
  defaultHandler ??= createPollHandler({
    batch: new BatchClient({
      maxAttempts: 1,
      endpoint: process.env.STEPWAIT_BATCH_ENDPOINT || undefined,
      // A hung call comes back as a transient error (a retry in the machine), well inside the 30 s Lambda timeout.
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
    }),
    now: Date.now,
    random: Math.random,
    log: (line) => console.log(JSON.stringify(line)),
  });
  return defaultHandler(event);
};
