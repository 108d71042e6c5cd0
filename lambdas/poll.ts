import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import {
  advanceProgress,
  isRecord,
  type PollEvent,
  type PollObservation,
  phaseOf,
  StepWaitError,
  SUPPORTED_SCHEMA_VERSIONS,
  shrinkCause,
  startProgress,
  type WaitState,
} from '../waiters';
import {
  continuedState,
  handOverVersionOf,
  RELAY_CAUSE_BUDGET,
  type RelayedFailure,
  relayedFailureOf,
  segmentExecutionName,
} from './hand-over';
import { InvalidInputError } from './invalid-input';
import { FIRST_POLL_LAG_MS, type JobSystemIO, type JobSystemIOs, type KeyedJob } from './job-system-io';
import { registeredJobSystem } from './job-systems';
import { type ParsedPollerConfig, parsePollerConfig, planFor } from './poller-config';
import { type RegistryRecording, withRegistryRecord } from './registry/poll-record';
import { REGISTRY_TABLE_ENV, RegistryStore } from './registry/registry-store';
import { cachedSecret } from './secrets';
import { pollMetricsLine } from './wait-metrics';
import { parseWaitRequest, type WaitRequest } from './wait-request';
import { checkCarriedState } from './wait-state';
import { CALLBACK_SECRET_ENV, CALLBACK_URL_ENV } from './wake-up/callback-url';
import { type CallbackSigning, withCallbackUrl, withParking } from './wake-up/event-mode-poll';
import { type ParkResult, park, type WakeUpDependencies } from './wake-up/park';
import { PARK_TABLE_ENV, ParkStore } from './wake-up/park-store';

/**
 * The poller: one invocation is one attempt. It never sleeps; the state machine's Wait state does.
 *
 * Event (what the `<Stage> Poll` task sends; `schemaVersion` is fixed in the state machine definition, so a
 * wait started before a deploy keeps sending the version it started with):
 *
 *   {
 *     "schemaVersion": 3,
 *     "config": "<JSON of PollerConfig>",            // fixed at synth time: model, stages, delays, timeouts
 *     "state": { "request": <WaitRequest> }          // first poll: the execution's input
 *            | { "request": { "handOver": <WaitState>, "handOverVersion": 2 } }  // a segment's first poll
 *            | <WaitState>                           // later polls: what the previous poll returned
 *   }
 *
 * Result: the next WaitState, which the machine stores as its whole state: `state` (success | failure |
 * retry | timeout | submit | continue), `stageIndex`, `attempt`, `delaySeconds`, `deadline`, `jobs` (summaries), `error` and
 * `cause` when the wait ended badly, plus what the next poll needs (`jobIds`, `seenJobIds`, `target`,
 * `failOnTimeout`, `overrides`, counters) and the output fields (`status`, `timedOut`, `stages`,
 * `waitedSeconds`).
 */
/** What the poller needs from outside; injected so tests and local runs control AWS, time and chance. */
export interface PollDependencies {
  /** Each job system's I/O, by the id a config names (lambdas/job-systems.ts). */
  systems: JobSystemIOs;
  /** Epoch milliseconds. */
  now: () => number;
  random: () => number;
  /** One structured log line; ids, statuses and reasons only, never job parameters. */
  log: (line: Record<string, unknown>) => void;
  /** A new wait's id (default: a random UUID); inject one for repeatable names. */
  newWaitId?: () => string;
  /**
   * Event mode's park records and task tokens (`wakeUp: 'events'`). Without them a waiter in event mode
   * polls, as in `poll` mode: parking needs the table.
   */
  wakeUps?: WakeUpDependencies;
  /** Event mode's callback URLs: where the callback function is, and the keys URLs are signed with. */
  callbacks?: CallbackSigning;
  /** The registry of waits: each poll that changes what it shows writes it. */
  registry?: RegistryRecording;
}

/** What one poll returns: the next state, or a wait that cannot begin (refused) or only relays a failure. */
export type { CallbackSigning } from './wake-up/event-mode-poll';

export type PollResult = WaitState | InvalidInputResult | RelayedFailure;

export type PollHandler = (event: unknown) => Promise<PollResult>;

/** A request refused before the wait began: the machine fails with StepWait.InvalidInput. */
export interface InvalidInputResult {
  state: 'failure';
  status: 'FAILED';
  error: typeof StepWaitError.InvalidInput;
  cause: string;
  /** In a segment: the starting machine's hand-over contract, so the refusal is reported the way it expects. */
  handOverVersion?: number;
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

/**
 * The id a request names its wait by (`waitId`, the registry API's), honoured only when the execution polling
 * is named after it: the registry API names the execution so. Anywhere else (a fragment in a Map or a
 * Parallel, where one execution runs several waits; an input copied into a new execution) two waits could
 * share an id, and with it their segment executions and park records, so the poller mints one.
 */
function requestedWaitId(waitId: string | undefined, executionArn: unknown): string | undefined {
  if (waitId === undefined || typeof executionArn !== 'string') return undefined;
  return executionArn.split(':').at(-1) === waitId ? waitId : undefined;
}

function isFirstPoll(state: PollEvent['state']): state is { request: unknown } {
  return !('deadline' in state);
}

function invalidInput(error: InvalidInputError, handOverVersion?: number): InvalidInputResult {
  return {
    state: 'failure',
    status: 'FAILED',
    error: StepWaitError.InvalidInput,
    cause: JSON.stringify({ reason: error.message, field: error.field }),
    ...(handOverVersion === undefined ? {} : { handOverVersion }),
  };
}

/**
 * Resolves a business key (once: the id then travels in the state), then makes the one status call, with
 * the operation the current stage's waiter names.
 */
async function observe(
  io: JobSystemIO,
  state: WaitState,
  parsed: ParsedPollerConfig,
): Promise<{ observation: PollObservation; jobIds: string[] }> {
  const { config, system } = parsed;
  let jobIds = state.jobIds;
  // The machine's submit failed: no status call now. A refusal ends the wait; otherwise the job may exist
  // after all, and the next poll (after the lookup has had time to list it) looks the name up first.
  if (state.submitError !== undefined) {
    if (io.judgeSubmitError === undefined) {
      throw new RangeError(`${system.model.title}: a submit failed, but stepwait cannot submit to it`);
    }
    return { observation: io.judgeSubmitError(state.submitError), jobIds };
  }
  if (jobIds.length === 0 && state.submitted?.jobId) {
    // The job this execution submitted: waited for by id, never looked up (a lookup may not show it yet).
    jobIds = [state.submitted.jobId];
  } else if (jobIds.length === 0 && 'jobName' in state.target) {
    const { jobName, newest } = state.target;
    if (io.findByKey === undefined) {
      throw new RangeError(
        `${system.model.title} has no business-key lookup; the request check lets none through`,
      );
    }
    const firstPoll = Date.parse(state.startedAt);
    const found = await io.findByKey({
      ...state.target,
      since: firstPoll - FIRST_POLL_LAG_MS,
      notEndedBefore: firstPoll,
    });
    if (!Array.isArray(found)) {
      if ('kind' in found) return { observation: found, jobIds };
      return {
        observation: { kind: 'described', interpretation: system.model.interpret([], [], found) },
        jobIds,
      };
    }
    if (config.submit !== undefined) {
      // Submit-and-wait attaches to the newest job with the name, so a re-run never submits a second one;
      // only none (or, if allowed, a failed one) leads to a submit.
      const newestJob = found.reduce<KeyedJob | undefined>(
        (a, b) => (a === undefined || b.createdAt > a.createdAt ? b : a),
        undefined,
      );
      if (
        newestJob === undefined ||
        (phaseOf(system.model, newestJob.status) === 'failed' && config.submit.resubmitFailed)
      ) {
        return { observation: { kind: 'submit' }, jobIds };
      }
      return describe(io, parsed, state, [newestJob.jobId]);
    }
    if (found.length === 0 && config.trigger) {
      // Trigger-and-wait: nothing started since the wait began, so start it. A retry after a lost answer
      // finds the job it started (or attaches to the running one) instead of starting a second.
      if (io.trigger === undefined) throw new RangeError(`${system.model.title} cannot trigger jobs`);
      const started = await io.trigger(state.target);
      if ('kind' in started) return { observation: started, jobIds };
      if ('error' in started || 'output' in started) {
        return {
          observation: { kind: 'described', interpretation: system.model.interpret([], [], started) },
          jobIds,
        };
      }
      // Its status comes at the next poll: this one has spent its time on the lookup and the trigger.
      return { observation: { kind: 'notVisible' }, jobIds: [started.jobId] };
    }
    if (found.length === 0) return { observation: { kind: 'notVisible' }, jobIds };
    if (found.length > 1 && !newest) {
      return { observation: { kind: 'ambiguous', jobName, jobIds: found.map((job) => job.jobId) }, jobIds };
    }
    const chosen = found.reduce((a, b) => (b.createdAt > a.createdAt ? b : a));
    jobIds = [chosen.jobId];
  }
  return describe(io, parsed, state, jobIds);
}

/** The one status call of a poll, with the operation the current stage's waiter names. */
async function describe(
  io: JobSystemIO,
  { model, system, config }: ParsedPollerConfig,
  state: WaitState,
  jobIds: string[],
): Promise<{ observation: PollObservation; jobIds: string[] }> {
  const named = model.getWaiter(config.stages[state.stageIndex] as string).operation;
  // Only a config from before systems were pluggable may name another (its Batch poller called DescribeJobs).
  const operation = system.model.operations.includes(named) ? named : (system.model.operations[0] as string);
  const result = await io.status(operation, jobIds);
  if ('kind' in result) return { observation: result, jobIds };
  return {
    observation: {
      kind: 'described',
      interpretation: system.model.interpret(jobIds, state.seenJobIds, result, state.jobs),
    },
    jobIds,
  };
}

/**
 * With cancelJobOnTimeout the jobs are stopped: by the machine next (Batch's TerminateJob step), or here,
 * through the system's cancel call, for a system the machine cannot call itself. The cause says which.
 */
async function withTermination(result: WaitState, io: JobSystemIO): Promise<WaitState> {
  const cause = JSON.parse(result.cause ?? '{}') as { reason?: string };
  const jobs = result.jobIds.join(', ');
  if (io.cancel === undefined) {
    const reason = `${cause.reason}; stepwait terminates job ${jobs} (cancelJobOnTimeout)`;
    return { ...result, cause: JSON.stringify({ ...cause, reason, terminatedJobIds: result.jobIds }) };
  }
  const { cancelled, failures } = await io.cancel(result.jobIds);
  const reason =
    failures.length === 0
      ? `${cause.reason}; stepwait cancelled job ${jobs} (cancelJobOnTimeout)`
      : `${cause.reason}; stepwait tried to cancel job ${jobs} (cancelJobOnTimeout): ${failures.join('; ')}`;
  return {
    ...result,
    cause: JSON.stringify({
      ...cause,
      reason,
      cancelledJobIds: cancelled,
      ...(failures.length > 0 ? { cancelFailures: failures } : {}),
    }),
  };
}

/** The wait's first state, from a validated request. */
function firstState(
  request: WaitRequest,
  parsed: ReturnType<typeof parsePollerConfig>,
  nowMs: number,
  waitId: string,
): WaitState {
  const { config } = parsed;
  const jobIds = 'jobIds' in request.target ? request.target.jobIds : [];
  const state: WaitState = {
    ...startProgress(
      planFor(parsed, request.overrides),
      jobIds,
      request.timeoutSeconds ?? config.timeoutSeconds,
      nowMs,
    ),
    target: request.target,
    failOnTimeout: request.failOnTimeout ?? config.failOnTimeout,
    overrides: request.overrides,
    waitId,
  };
  if (config.submit !== undefined && 'jobName' in request.target) {
    state.submitRequest = {
      jobName: request.target.jobName,
      parameters: { ...config.submit.parameters, ...request.parameters },
    };
  }
  return state;
}

export function createPollHandler(deps: PollDependencies): PollHandler {
  const newWaitId = deps.newWaitId ?? randomUUID;
  return async (rawEvent) => {
    const event = parseEvent(rawEvent);
    const parsed = parsePollerConfig(event.config);
    const { config } = parsed;
    if (event.park !== undefined) {
      throw InvalidInputError.expected(
        'park',
        'none in a poll event (a park goes to the poller function)',
        event.park,
      );
    }

    let state: WaitState;
    let startsExecution = false;
    const request = isFirstPoll(event.state) ? event.state.request : undefined;
    if (config.acceptsHandOver && isRecord(request) && request.handOver !== undefined) {
      // Only a segment machine takes a handed-over state; anywhere else `handOver` is an unknown field.
      try {
        const relayed = relayedFailureOf(request);
        if (relayed !== undefined) return relayed;
        state = continuedState(request, parsed);
        startsExecution = true;
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error;
        deps.log({
          waiter: config.name,
          event: 'invalidHandOver',
          field: error.field,
          reason: error.message,
        });
        let version: number | undefined;
        try {
          version = handOverVersionOf(request);
        } catch {
          version = undefined;
        }
        return invalidInput(error, version);
      }
    } else if (isFirstPoll(event.state)) {
      let parsedRequest: WaitRequest;
      try {
        parsedRequest = parseWaitRequest(
          event.state.request,
          config.stages,
          config.maxTimeoutSeconds,
          config.submit,
          'current',
          parsed.system.model.naming,
        );
      } catch (error) {
        if (error instanceof InvalidInputError) {
          deps.log({ waiter: config.name, event: 'invalidInput', field: error.field, reason: error.message });
          return invalidInput(error);
        }
        throw error;
      }
      state = firstState(
        parsedRequest,
        parsed,
        deps.now(),
        requestedWaitId(parsedRequest.waitId, event.execution) ?? newWaitId(),
      );
      startsExecution = true;
    } else {
      state = checkCarriedState(event.state, parsed);
    }
    // What the registry showed before this poll; nothing at an execution's first poll (a wait's, a segment's), so
    // that poll writes and the registry learns of the execution.
    const before = startsExecution ? undefined : { ...state };
    // A wait started by a poller before wait ids existed gets one now; it keeps it from here on.
    state.waitId ??= newWaitId();
    // Every state names its system (but Batch's, as before), so tools reading any poll know it.
    if (config.system !== undefined) state.system ??= config.system;

    if (config.wakeUp === 'events') await withCallbackUrl(state, deps.callbacks, deps.log, config.name);
    const io = deps.systems(parsed.system.model.id, config.endpoint);
    const { observation, jobIds } = await observe(io, state, parsed);
    const nowMs = deps.now();
    const { submitError: _handled, ...carried } = state;
    const next = advanceProgress(
      planFor(parsed, state.overrides),
      { ...carried, jobIds },
      observation,
      nowMs,
      deps.random,
    );
    let result: WaitState = { ...carried, ...next };
    if (result.state === 'timeout' && config.cancelJobOnTimeout) result = await withTermination(result, io);
    if (config.wakeUp === 'events') {
      result = await withParking(result, observation, parsed, deps.wakeUps, deps.log, nowMs);
    }
    if (result.state === 'continue') {
      result.segmentExecutionName = segmentExecutionName(result.waitId as string, result.segments + 1);
    }
    if (deps.registry !== undefined && config.recordedInRegistry === true) {
      result = await withRegistryRecord(before, result, config.stages, deps.registry, {
        waiter: config.name,
        ...(typeof event.execution === 'string' ? { execution: event.execution } : {}),
        nowMs,
        log: deps.log,
      });
    }
    // A contract-1 segment relays its failure through a small segment's input (see the fragment's Relay Failure).
    if (config.acceptsHandOver && result.handOverVersion === undefined && result.cause !== undefined) {
      result.cause = shrinkCause(result.cause, RELAY_CAUSE_BUDGET);
    }

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
    // Embedded Metric Format: what only the poller sees (timeouts, detection latency, throttles, polls).
    const metrics = pollMetricsLine(config.name, observation, result, nowMs);
    if (metrics !== undefined) deps.log(metrics);
    return result;
  };
}

/** A `<Stage> Park` task's invocation: register the state's task token, then check the jobs once more. */
async function parkEvent(
  event: PollEvent,
  parsed: ParsedPollerConfig,
  deps: PollDependencies,
): Promise<ParkResult> {
  if (deps.wakeUps === undefined) {
    // The park task fails, and its Catch falls back to the stage's Wait: the wait goes on, polling.
    throw new Error(
      `${parsed.config.name}: a park needs the park table (${PARK_TABLE_ENV}), which this poller was not given`,
    );
  }
  if (isFirstPoll(event.state))
    throw InvalidInputError.expected('state', 'a state a poll parked', Object.keys(event.state));
  const state = checkCarriedState(event.state, parsed);
  const io = deps.systems(parsed.system.model.id, parsed.config.endpoint);
  return park(state, parsed, event.park?.taskToken as string, io, {
    ...deps.wakeUps,
    now: deps.now,
    log: deps.log,
  });
}

/** What the poller function answers: a `<Stage> Poll` task's event, or a `<Stage> Park` task's. */
export type PollerFunction = (event: unknown) => Promise<PollResult | ParkResult>;

/** The poller function's two jobs: one poll (`createPollHandler`), or one park (its event has `park`). */
export function createPollerFunction(deps: PollDependencies): PollerFunction {
  const poll = createPollHandler(deps);
  return async (rawEvent) => {
    const event = parseEvent(rawEvent);
    if (event.park === undefined) return poll(event);
    return parkEvent(event, parsePollerConfig(event.config), deps);
  };
}

let defaultHandler: PollerFunction | undefined;

/**
 * The deployed entry point. Each system's I/O is connected on first use, from the environment the
 * construct set (lambdas/job-systems.ts), and kept for the container's life.
 */
const connected = new Map<string, JobSystemIO>();

function connectedSystem(id: string, endpoint: string | undefined): JobSystemIO {
  const key = `${id} ${endpoint ?? ''}`;
  let io = connected.get(key);
  if (io === undefined) {
    io = registeredJobSystem(id).connect(process.env, endpoint);
    connected.set(key, io);
  }
  return io;
}

export const handler: PollerFunction = (event) => {
  defaultHandler ??= createPollerFunction({
    systems: connectedSystem,
    now: Date.now,
    random: Math.random,
    log: (line) => console.log(JSON.stringify(line)),
    ...(process.env[CALLBACK_URL_ENV] && process.env[CALLBACK_SECRET_ENV]
      ? {
          callbacks: {
            baseUrl: process.env[CALLBACK_URL_ENV],
            keys: cachedSecret(
              new SecretsManagerClient({ maxAttempts: 1 }),
              process.env[CALLBACK_SECRET_ENV],
            ),
          },
        }
      : {}),
    ...(process.env[REGISTRY_TABLE_ENV]
      ? {
          registry: {
            store: new RegistryStore(new DynamoDBClient({ maxAttempts: 3 }), process.env[REGISTRY_TABLE_ENV]),
          },
        }
      : {}),
    ...(process.env[PARK_TABLE_ENV]
      ? {
          wakeUps: {
            store: new ParkStore(new DynamoDBClient({ maxAttempts: 1 }), process.env[PARK_TABLE_ENV]),
            sfn: new SFNClient({ maxAttempts: 1 }),
          },
        }
      : {}),
  });
  return defaultHandler(event);
};
