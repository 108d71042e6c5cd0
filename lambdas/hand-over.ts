import {
  HAND_OVER_CONTRACT,
  isRecord,
  type JobNaming,
  StepWaitError,
  type StepWaitErrorName,
  shrinkCause,
  type WaitState,
} from '../waiters';
import { InvalidInputError } from './invalid-input';
import { DEFAULT_JOB_SYSTEM } from './job-systems';
import type { ParsedPollerConfig } from './poller-config';
import { MAX_JOB_IDS, parseWaitRequest } from './wait-request';
import { checkCarriedState } from './wait-state';

/**
 * Waits longer than one execution's history go on in segment executions. The machine that hands over
 * starts a segment with `{ handOver: <state>, handOverVersion: HAND_OVER_CONTRACT }` and the segment's
 * first poll continues from that state. Anyone allowed to start the segment machine can send that input,
 * so the state is checked as strictly as a fresh request: it can carry no option the segment machine's
 * own definition does not allow.
 */

/*
 * The hand-over contract (HAND_OVER_CONTRACT, in the wait-state contract). 1 (stepwait 0.1.0, no
 * `handOverVersion` in the input): a segment whose wait fails ends in a Fail state, and the starting
 * machine parses the child's DescribeExecution JSON from the task's Cause. 2: the segment always ends
 * normally, a failure as `{ error, cause }` in its output, which the starting machine raises again; a
 * Cause is never parsed.
 */

/**
 * How long a failure relayed to a contract-1 machine may be. That machine parses the relaying segment's
 * DescribeExecution JSON from its task's Cause (cut at 32,768 characters), where the cause appears twice:
 * as `Cause` (escaped once) and inside `Input` (escaped twice). 6,144 characters leave room for both.
 */
export const RELAY_CAUSE_BUDGET = 6_144;

/** The failure a relaying segment ends with: the relayed error and cause, failing as contract 1 expects. */
export interface RelayedFailure {
  state: 'failure';
  status: 'FAILED';
  error: StepWaitErrorName;
  cause: string;
  /** This segment only relays: its failure goes to the Fail state, not to another relay. */
  relayed: true;
}

const STEPWAIT_ERRORS: readonly string[] = Object.values(StepWaitError);

/**
 * The failure a contract-1 segment handed on (`handOver: { continued, delaySeconds, relay: { error, cause } }`),
 * or undefined for an ordinary hand-over. Only a StepWait error can be relayed.
 * @throws InvalidInputError for a relay that is not one
 */
export function relayedFailureOf(request: Record<string, unknown>): RelayedFailure | undefined {
  const { handOver } = request;
  if (!isRecord(handOver) || handOver.relay === undefined) return undefined;
  const { relay } = handOver;
  if (!isRecord(relay) || typeof relay.error !== 'string' || !STEPWAIT_ERRORS.includes(relay.error)) {
    throw InvalidInputError.expected(
      'handOver.relay.error',
      `one of ${STEPWAIT_ERRORS.join(', ')}`,
      isRecord(relay) ? relay.error : relay,
    );
  }
  if (typeof relay.cause !== 'string') {
    throw InvalidInputError.expected('handOver.relay.cause', 'a string', relay.cause);
  }
  return {
    state: 'failure',
    status: 'FAILED',
    error: relay.error as StepWaitErrorName,
    cause: shrinkCause(relay.cause, RELAY_CAUSE_BUDGET),
    relayed: true,
  };
}

/** A segment's input: the state, the contract, and what Step Functions adds for `associateWithParent`. */
const SEGMENT_INPUT_FIELDS: readonly string[] = [
  'handOver',
  'handOverVersion',
  'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID',
];

/** UUIDs, as minted by the poller; the segment execution names are built from it. */
const WAIT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The segment execution's name: the wait's id and the segment's number. Deterministic, so a StartExecution
 * retried after a lost response names the same execution with the same input, and Step Functions returns
 * the running one instead of starting a second (StartExecution is idempotent for a running Standard
 * execution with the same name and input). At most 64 + 1 + 10 characters, within the 80 allowed.
 */
export function segmentExecutionName(waitId: string, segment: number): string {
  return `${waitId}-${segment}`;
}

function prefixed(error: unknown): never {
  if (error instanceof InvalidInputError)
    throw new InvalidInputError(`handOver.${error.field}`, error.detail);
  throw error;
}

function checkCount(value: unknown, field: string): void {
  if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 0)) {
    throw InvalidInputError.expected(`handOver.${field}`, 'a whole number >= 0', value);
  }
}

function checkJobIds(value: readonly unknown[], field: string, naming: JobNaming): void {
  if (value.length > MAX_JOB_IDS) {
    throw InvalidInputError.expected(`handOver.${field}`, `at most ${MAX_JOB_IDS} job ids`, value.length);
  }
  value.forEach((id, index) => {
    if (typeof id !== 'string' || !naming.idPattern.test(id))
      throw InvalidInputError.expected(`handOver.${field}[${index}]`, naming.idWhat, id);
  });
}

/** The request a handed-over state stands for, checked by the parser every fresh request goes through. */
function checkRequestFields(state: WaitState, parsed: ParsedPollerConfig): void {
  const { config } = parsed;
  const target = state.target as Record<string, unknown>;
  const request: Record<string, unknown> =
    'jobIds' in target
      ? { jobIds: target.jobIds }
      : {
          jobName: target.jobName,
          ...(target.jobQueue === undefined ? {} : { jobQueue: target.jobQueue }),
          newest: target.newest,
        };
  request.failOnTimeout = state.failOnTimeout;
  request.overrides = state.overrides;
  if (state.submitRequest !== undefined) {
    if (config.submit === undefined || !isRecord(state.submitRequest)) {
      throw InvalidInputError.expected(
        'handOver.submitRequest',
        'nothing: this waiter does not submit jobs',
        state.submitRequest,
      );
    }
    if (state.submitRequest.jobName !== target.jobName) {
      throw InvalidInputError.expected(
        'handOver.submitRequest.jobName',
        `the business key ${JSON.stringify(target.jobName)}`,
        state.submitRequest.jobName,
      );
    }
    request.parameters = state.submitRequest.parameters;
  }
  try {
    // The overrides were accepted when the wait began, perhaps under the looser rules of an earlier version.
    parseWaitRequest(
      request,
      config.stages,
      config.maxTimeoutSeconds,
      config.submit,
      'in-flight',
      parsed.system.model.naming,
    );
  } catch (error) {
    prefixed(error);
  }
}

/** The stages the wait went through must be this machine's, in its order: a redeploy may have changed them. */
function checkStages(state: WaitState, parsed: ParsedPollerConfig): void {
  const { stages } = parsed.config;
  if (state.stages.length !== state.stageIndex + 1) {
    throw InvalidInputError.expected(
      'handOver.stages',
      `one record per stage reached (${state.stageIndex + 1})`,
      state.stages.length,
    );
  }
  state.stages.forEach((record, index) => {
    const waiter = isRecord(record) ? record.waiter : undefined;
    if (waiter !== stages[index]) {
      throw InvalidInputError.expected(
        `handOver.stages[${index}].waiter`,
        `${stages[index]} (this segment machine's stages are ${stages.join(', ')})`,
        waiter,
      );
    }
  });
}

/** The deadline cannot be further from the wait's start than the segment machine's maxTimeout allows. */
function checkDeadline(state: WaitState, parsed: ParsedPollerConfig): void {
  const started = Date.parse(state.startedAt);
  if (typeof state.startedAt !== 'string' || Number.isNaN(started)) {
    throw InvalidInputError.expected('handOver.startedAt', 'an ISO 8601 time', state.startedAt);
  }
  const spanSeconds = (Date.parse(state.deadline) - started) / 1000;
  if (spanSeconds <= 0 || spanSeconds > parsed.config.maxTimeoutSeconds) {
    throw InvalidInputError.expected(
      'handOver.deadline',
      `a deadline 1 to ${parsed.config.maxTimeoutSeconds} s after startedAt ${state.startedAt}`,
      state.deadline,
    );
  }
}

/** What the rest of the state must hold: ids the API accepts, counts that are counts. */
function checkCarriedFields(state: WaitState, parsed: ParsedPollerConfig): void {
  const { naming, id } = parsed.system.model;
  if ((state.system ?? DEFAULT_JOB_SYSTEM) !== id) {
    throw InvalidInputError.expected(
      'handOver.system',
      `a wait on this machine's job system (${id})`,
      state.system,
    );
  }
  checkJobIds(state.jobIds, 'jobIds', naming);
  checkJobIds(state.seenJobIds, 'seenJobIds', naming);
  if ('jobIds' in state.target && JSON.stringify(state.jobIds) !== JSON.stringify(state.target.jobIds)) {
    throw InvalidInputError.expected('handOver.jobIds', 'the ids of target.jobIds', state.jobIds);
  }
  if ('jobName' in state.target && state.jobIds.length > 1) {
    throw InvalidInputError.expected(
      'handOver.jobIds',
      'at most the one job the name resolved to',
      state.jobIds,
    );
  }
  if (state.submitted !== undefined) {
    const jobId = isRecord(state.submitted) ? state.submitted.jobId : undefined;
    if (typeof jobId !== 'string' || !parsed.system.model.naming.idPattern.test(jobId))
      throw InvalidInputError.expected('handOver.submitted.jobId', parsed.system.model.naming.idWhat, jobId);
  }
  if (
    state.waitId !== undefined &&
    (typeof state.waitId !== 'string' || !WAIT_ID_PATTERN.test(state.waitId))
  ) {
    throw InvalidInputError.expected('handOver.waitId', '1-64 letters, digits, "-" or "_"', state.waitId);
  }
  for (const field of [
    'attempt',
    'segmentPolls',
    'segments',
    'throttledCalls',
    'transientErrors',
    'consecutiveTransientErrors',
    'submitFailures',
  ] as const) {
    checkCount(state[field], field);
  }
  if (
    state.jobs.length > MAX_JOB_IDS ||
    !state.jobs.every((job) => isRecord(job) && typeof job.jobId === 'string')
  ) {
    throw InvalidInputError.expected(
      'handOver.jobs',
      `at most ${MAX_JOB_IDS} job summaries`,
      state.jobs.length,
    );
  }
}

/** The hand-over contract the starting machine speaks: absent (contract 1) or a version this poller knows. */
export function handOverVersionOf(request: Record<string, unknown>): number | undefined {
  const version = request.handOverVersion;
  if (version === undefined) return undefined;
  if (!Number.isInteger(version) || (version as number) < 1 || (version as number) > HAND_OVER_CONTRACT) {
    throw InvalidInputError.expected('handOverVersion', `1 to ${HAND_OVER_CONTRACT}`, version);
  }
  return version as number;
}

/**
 * A segment's first poll: its input is `{ handOver: <the state the previous execution ended with>,
 * handOverVersion }`. The wait goes on where it stopped; only the per-execution poll count starts again.
 * @throws InvalidInputError naming the first field (as `handOver.<field>`) that no poll could have produced
 */
export function continuedState(request: Record<string, unknown>, parsed: ParsedPollerConfig): WaitState {
  const unknown = Object.keys(request).find((key) => !SEGMENT_INPUT_FIELDS.includes(key));
  if (unknown !== undefined) {
    throw InvalidInputError.expected(
      unknown,
      `no such field in a segment's input (known: ${SEGMENT_INPUT_FIELDS.join(', ')})`,
      request[unknown],
    );
  }
  const handOverVersion = handOverVersionOf(request);
  const { handOver } = request;
  if (!isRecord(handOver))
    throw InvalidInputError.expected('handOver', 'the state a previous execution ended with', handOver);
  const {
    continued: _continued,
    segmentExecutionName: _name,
    handOverVersion: _previous,
    submitError: _submitError,
    ...carried
  } = handOver;
  const state = checkCarriedState(carried as unknown as WaitState, parsed, 'handOver');
  checkStages(state, parsed);
  checkDeadline(state, parsed);
  checkCarriedFields(state, parsed);
  checkRequestFields(state, parsed);
  return {
    ...state,
    segmentPolls: 0,
    segments: state.segments + 1,
    ...(handOverVersion === undefined ? {} : { handOverVersion }),
  };
}
