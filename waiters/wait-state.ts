import type { DelayStrategy } from './delay';
import type { JobSummary } from './job-system';
import { isRecord } from './json-object';
import type { StepWaitErrorName } from './stepwait-errors';
import type { ParkedOn } from './wake-up';

/**
 * The wait-state contract: the one owner of what a wait carries between polls and of every name other
 * parts read it by. The poller (lambdas/poll.ts) produces it, the fragment (lib/wait-fragment.ts) branches
 * on it through WAIT_STATE_PATHS and names its states with the helpers below, the account CLI and the local
 * runtime parse it out of execution histories by those names, and the tests import it from here.
 *
 * Versioned, because executions outlive deploys: a definition carries the POLL_EVENT_SCHEMA_VERSION it was
 * synthesized with in every poll event, and a segment its HAND_OVER_CONTRACT, so a wait started before a
 * deploy keeps sending the versions it started with and the new poller answers in kind.
 */

/**
 * Version 2 carries `segmentPolls` and `segments` (waits that continue in fresh executions). Version 3
 * definitions catch a failed submit into `submitError` for the poller to judge, name segment executions
 * after `segmentExecutionName`, and speak hand-over contract 2. Events of versions 1 and 2 still come from
 * executions started before a deploy: they run the old definition but invoke the new poller, so it
 * accepts them, fills in the new fields, and never returns a state their definition cannot branch on.
 */
export const POLL_EVENT_SCHEMA_VERSION = 3;
export const SUPPORTED_SCHEMA_VERSIONS: readonly number[] = [1, 2, 3];

/**
 * How a starting machine and its segment agree on a failed segment (lambdas/hand-over.ts): 2, the segment
 * ends normally with `{ error, cause }`; 1 (stepwait 0.1.0, no `handOverVersion`), it relays the failure.
 */
export const HAND_OVER_CONTRACT = 2;

/** The outcome vocabulary of DESIGN.md, shared by local runs, the CLI and the machine's output. */
export type WaitStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';

/**
 * What the state machine branches on after a poll. `submit`: no job has the business key yet, submit one.
 * `continue`: this execution spent its poll budget; wait `delaySeconds`, then go on in a fresh execution.
 */
export type PollState = 'success' | 'failure' | 'retry' | 'timeout' | 'submit' | 'continue';

export interface StageRecord {
  waiter: string;
  /** Polls made in this stage; 0 when the response that ended the previous stage also decided this one. */
  attempts: number;
  startedAt: string;
  finishedAt?: string;
}

/**
 * What a wait that ended without error returns (the output of the machine, or of the fragment's `Done`).
 * A failed wait raises `StepWait.*` instead, with a JSON cause (`causeOf`).
 */
export interface WaitOutput {
  /** SUCCEEDED, or TIMED_OUT for a passed deadline with `failOnTimeout: false`. */
  status: 'SUCCEEDED' | 'TIMED_OUT';
  timedOut: boolean;
  jobs: JobSummary[];
  stages: StageRecord[];
  waitedSeconds: number;
  /** Event mode only: the wait's callback URL, or null without callbacks. */
  callbackUrl?: string | null;
}

/** The wait's state between polls, carried by the execution from one poll to the next. */
export interface WaitProgress {
  state: PollState;
  status: WaitStatus;
  stageIndex: number;
  /** Polls made in the current stage. */
  attempt: number;
  /** Seconds the next Wait state waits. */
  delaySeconds: number;
  startedAt: string;
  /** Absolute; stamped by the first poll and never moved. */
  deadline: string;
  /** The jobs waited for; empty until a business key resolves. */
  jobIds: string[];
  /** Jobs any poll has seen: one of them missing later has vanished. */
  seenJobIds: string[];
  stages: StageRecord[];
  jobs: JobSummary[];
  timedOut: boolean;
  waitedSeconds: number;
  /** Status calls refused by throttling: retried with backoff, never counted as attempts. */
  throttledCalls: number;
  /** Status calls that failed transiently (5xx, network): retried with backoff, never counted as attempts. */
  transientErrors: number;
  consecutiveTransientErrors: number;
  /** Polls made in the current execution, throttled ones included (each writes history). */
  segmentPolls: number;
  /** Executions the wait has run in so far (1 until it first continues). */
  segments: number;
  /** Set with state `continue`, so the end of a segment says why it ended. */
  continued?: boolean;
  /** SubmitJob calls that failed so far (submit-and-wait); each is followed by a fresh business-key lookup. */
  submitFailures?: number;
  /** SubmitJob calls throttled so far (429: nothing was created); counted apart, with a limit of their own. */
  submitThrottles?: number;
  error?: StepWaitErrorName;
  /** JSON: `{ reason, jobs: { [jobId]: { status, statusReason, exitCode, logStreamName } } }`. */
  cause?: string;
}

/** Per stage, a delay strategy and an attempt limit for one execution only. */
export interface StageOverride {
  delay?: DelayStrategy;
  maxAttempts?: number;
}

/** An execution's request after the poller checked it (lambdas/wait-request.ts parses the input into it). */
export interface WaitRequest {
  /** `jobQueue` where the system scopes business keys by queue (Batch); absent where it does not (DQOps). */
  target: { jobIds: string[] } | { jobName: string; jobQueue?: string; newest: boolean };
  /** Submit parameters of a waiter that submits, merged over the construct's. */
  parameters?: Record<string, string>;
  timeoutSeconds?: number;
  failOnTimeout?: boolean;
  overrides: Record<string, StageOverride>;
  /** The wait's id, when whoever started it chose one (the registry API: the id of its record). */
  waitId?: string;
}

/** The state a wait carries between polls: what a poll returns and the next poll receives. */
export interface WaitState extends WaitProgress {
  /**
   * The job system the wait polls, for tools reading the state (the account CLI); absent for AWS Batch, as
   * in every state written before there were several systems.
   */
  system?: string;
  target: WaitRequest['target'];
  failOnTimeout: boolean;
  overrides: WaitRequest['overrides'];
  /**
   * Names this wait across every execution it runs in (a UUID, minted at its first poll). Segment executions
   * are named after it, so a retried StartExecution attaches to the segment it already started.
   */
  waitId?: string;
  /** With state `continue`: the name of the segment execution the wait goes on in (`<waitId>-<segment>`). */
  segmentExecutionName?: string;
  /**
   * In a segment: the hand-over contract of the machine that started it (HAND_OVER_CONTRACT). 2 and up: a
   * failed wait ends the segment normally with `{ error, cause }`, which that machine raises again; absent
   * (a machine deployed before contract 2): the segment fails, as that machine expects.
   */
  handOverVersion?: number;
  /** Submit-and-wait: what the machine's `Submit Job` task sends (JobName and Parameters). */
  submitRequest?: { jobName: string; parameters: Record<string, string> };
  /** Written by the `Submit Job` task (its ResultPath): the id travels in the state before any poll. */
  submitted?: { jobId: string };
  /** Written by the `Submit Job` task's Catch: how the submit call failed (Step Functions' error and cause). */
  submitError?: { Error?: unknown; Cause?: unknown };
  /**
   * Event mode: set with state `retry` when the stage parks instead of waiting `delaySeconds` (the park
   * task's TimeoutSecondsPath); absent, the stage waits. See waiters/wake-up.ts.
   */
  parkSeconds?: number;
  /** Event mode: the jobs and stage the last park registered, so the next poll deletes what it leaves. */
  parkedOn?: ParkedOn;
  /**
   * Event mode: the signed URL that wakes this wait (lambdas/wake-up/callback-url.ts), minted at the first
   * poll that can and valid until the deadline; null without callbacks (or until one is minted), so the
   * fragment's `Done` can always read it.
   */
  callbackUrl?: string | null;
  /** The registry's last write for this wait failed: the next poll writes whatever it sees. */
  registryBehind?: boolean;
}

/** What every `<Stage> Poll` task sends the poller. */
export interface PollEvent {
  schemaVersion: number;
  /** The PollerConfig as a JSON string, fixed at synth, so no key or value is ever read as a JSONPath. */
  config: string;
  state: { request: unknown } | WaitState;
  /**
   * The ARN of the execution polling (`$$.Execution.Id`), sent by `<Stage> Poll` tasks since the registry: it
   * records every execution of a wait. Absent from events of definitions synthesized before.
   */
  execution?: string;
  /** Set by a `<Stage> Park` task: store this task token for the state's jobs, then check them once more. */
  park?: { taskToken: string };
}

/**
 * The JSONPath of a state field, for the fragment's Choices, Waits and Passes: only a field the contract
 * declares compiles, so a renamed field cannot leave a machine branching on nothing.
 */
export const statePath = <K extends keyof WaitState & string>(field: K): `$.${K}` => `$.${field}`;

/** The JSONPath of a field of the request a segment's first poll receives (`{ request: { handOver, ... } }`). */
export const handOverPath = <K extends keyof WaitState & string>(field: K): `$.request.handOver.${K}` =>
  `$.request.handOver.${field}`;

/** Every field of a wait's output, in the order the fragment's `Done` writes them. */
export const WAIT_OUTPUT_FIELDS = [
  'status',
  'timedOut',
  'jobs',
  'stages',
  'waitedSeconds',
] as const satisfies readonly (keyof WaitOutput & keyof WaitState)[];

/** Poll task states are named `<Stage> Poll`, after an optional prefix (JobWaitFragment's statePrefix). */
export const POLL_STATE_SUFFIX = ' Poll';
export const pollStateName = (stage: string): string => `${stage}${POLL_STATE_SUFFIX}`;
/**
 * A wait's very first poll, of its first stage: its own task, which reads the request where the fragment's
 * `inputPath` says (a state transition fewer than a Pass putting it into the state first). Segment machines
 * keep their `Start` Pass, since they resume at any stage.
 */
export const FIRST_POLL_STATE_SUFFIX = ' First Poll';
export const firstPollStateName = (stage: string): string => `${stage}${FIRST_POLL_STATE_SUFFIX}`;
/** The stage (after its prefix) a poll task's name says it polls: `<Stage> Poll` or `<Stage> First Poll`. */
export const stageOfPollState = (name: string): string =>
  name.endsWith(FIRST_POLL_STATE_SUFFIX)
    ? name.slice(0, -FIRST_POLL_STATE_SUFFIX.length)
    : name.slice(0, -POLL_STATE_SUFFIX.length);
/**
 * The poll event of a Task state's Parameters, as lib/wait-fragment.ts writes it: `{ schemaVersion,
 * config: <JSON string>, state.$ }`, or a first poll's `state: { request.$ }` (with where it reads the
 * request). Recognised by its shape, not the state's name, which a prefix changes and a user's task could
 * share; any schemaVersion, since definitions deployed before are read too.
 */
export function pollEventOf(parameters: unknown): { config: string; requestPath?: string } | undefined {
  const payload = isRecord(parameters) ? parameters.Payload : undefined;
  if (!isRecord(payload) || typeof payload.schemaVersion !== 'number' || typeof payload.config !== 'string') {
    return undefined;
  }
  const requestPath = isRecord(payload.state) ? payload.state['request.$'] : undefined;
  if (typeof requestPath === 'string') return { config: payload.config, requestPath };
  return 'state.$' in payload ? { config: payload.config } : undefined;
}

/** The Choice on the poller's `state` after each poll. */
export const decideStateName = (stage: string): string => `${stage} Decide`;
/** The Wait between two polls of a stage (SecondsPath `$.delaySeconds`). */
export const waitStateName = (stage: string): string => `${stage} Wait`;
/** Event mode: the `.waitForTaskToken` task a stage parks in instead of its Wait. */
export const parkStateName = (stage: string): string => `${stage} Park`;

/**
 * Every field a wait state may have, checked against WaitState by the compiler (none missing, none extra):
 * tests hold the poller's results and the fragment's JSONPaths to this list.
 */
const WAIT_STATE_FIELD_SET = {
  state: true,
  status: true,
  stageIndex: true,
  attempt: true,
  delaySeconds: true,
  startedAt: true,
  deadline: true,
  jobIds: true,
  seenJobIds: true,
  stages: true,
  jobs: true,
  timedOut: true,
  waitedSeconds: true,
  throttledCalls: true,
  transientErrors: true,
  consecutiveTransientErrors: true,
  segmentPolls: true,
  segments: true,
  continued: true,
  submitFailures: true,
  submitThrottles: true,
  error: true,
  cause: true,
  system: true,
  target: true,
  failOnTimeout: true,
  overrides: true,
  waitId: true,
  segmentExecutionName: true,
  handOverVersion: true,
  submitRequest: true,
  submitted: true,
  submitError: true,
  parkSeconds: true,
  parkedOn: true,
  callbackUrl: true,
  registryBehind: true,
} as const satisfies Record<keyof WaitState, true>;

export const WAIT_STATE_FIELDS = Object.keys(WAIT_STATE_FIELD_SET) as readonly (keyof WaitState)[];
