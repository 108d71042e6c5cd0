import './promise-with-resolvers';
import { ExecutionAbortedError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import { JSONPath } from 'jsonpath-plus';
import {
  HISTORY_EVENT_LIMIT,
  HISTORY_EVENTS_PER_EXECUTION,
  HISTORY_EVENTS_PER_RETRY,
  historyEventsForState,
  PAYLOAD_LIMIT_BYTES,
} from './history';
import { functionLogicalId } from './template';
import type { VirtualClock } from './virtual-clock';

/** One event of a local execution (the package declares the type without exporting it). */
type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncIterable<infer E> ? E : never;

/** An in-process Lambda: receives the invocation payload, returns the function's result or throws. */
export type LocalLambda = (payload: unknown, context: { stateName: string }) => Promise<unknown>;

/** An in-process stand-in for a Step Functions service integration (batch:submitJob, ...), keyed by Resource. */
export type LocalIntegration = (input: unknown, context: { stateName: string }) => Promise<unknown>;

/** A state machine definition in the Amazon States Language. */
export interface AslDefinition {
  StartAt: string;
  States: Record<string, unknown>;
  [field: string]: unknown;
}

/** What one run talks to: its clock and the in-process stand-ins for everything its tasks call. */
export interface LocalRuntime {
  clock: VirtualClock;
  /** Handlers by the logical id of the Lambda function a task invokes. */
  lambdas: Record<string, LocalLambda>;
  /** Handlers for other Task resources, by Resource ARN (e.g. `arn:aws:states:::batch:submitJob`). */
  integrations?: Record<string, LocalIntegration>;
  /**
   * Fixed results by state name, for Tasks nothing here runs (a host machine's own work); they come first.
   * A Lambda invoke's stub is the function's result, answered in the `lambda:invoke` envelope.
   */
  stubs?: Readonly<Record<string, unknown>>;
  /** Chance for retried tasks' FULL jitter; inject a seeded one for repeatable runs. */
  random?: () => number;
  /** The context object (`$$.Execution.Id`, ...), which the engine fills only from here. */
  context?: Record<string, unknown>;
  /** Aborting it stops the execution (StopExecution): it ends ABORTED. */
  signal?: AbortSignal;
}

/** The outcome vocabulary of DESIGN.md. */
export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface LocalExecutionResult {
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  cause?: string;
  /** History events of this execution, counted with DESIGN.md's model. */
  historyEvents: number;
  /** States entered plus retries: what Step Functions Standard bills. */
  stateTransitions: number;
  lambdaInvocations: number;
  /** Task retries (Lambda service errors, throttles, crashes). */
  retries: number;
  /** How often each state was entered. */
  entered: Record<string, number>;
  /** Virtual seconds from start to end. */
  simulatedSeconds: number;
}

interface StateDefinition {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  InputPath?: string | null;
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  Retry?: {
    ErrorEquals: string[];
    IntervalSeconds?: number;
    BackoffRate?: number;
    MaxDelaySeconds?: number;
    MaxAttempts?: number;
  }[];
  Branches?: { States: Record<string, StateDefinition> }[];
  ItemProcessor?: { States: Record<string, StateDefinition> };
  Iterator?: { States: Record<string, StateDefinition> };
}

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
/** The largest value a Wait's SecondsPath may yield in AWS. */
const MAX_WAIT_SECONDS = 99_999_999;
/** Waits and retries take this many real ms: enough for the harness to see them first (see run()). */
const REAL_MS_PER_PAUSE = 1;

function allStates(states: Record<string, StateDefinition>): [string, StateDefinition][] {
  return Object.entries(states).flatMap(([name, state]) => [
    [name, state] as [string, StateDefinition],
    ...(state.Branches ?? []).flatMap((branch) => allStates(branch.States)),
    ...allStates(state.ItemProcessor?.States ?? state.Iterator?.States ?? {}),
  ]);
}

/** The lambda:invoke response shape (Lambda Invoke API): the function's result is under Payload. */
function invokeResponse(result: unknown): Record<string, unknown> {
  return { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 };
}

class ExecutionLimitError extends Error {
  constructor(
    readonly error: string,
    readonly causeText: string,
  ) {
    super(causeText);
  }
}

/**
 * Runs a synthesized state machine here, the way AWS would, on a virtual clock:
 * - Every Task is answered in process (a Task left unanswered would call real AWS, so it is refused).
 *   Lambda tasks get the real `lambda:invoke` envelope, so ResultSelector and OutputPath work as deployed.
 * - Wait states take no real time: the harness reads each Wait's input, evaluates its real SecondsPath,
 *   refuses anything but a whole number from 0 to 99,999,999 (as AWS does) and advances the clock.
 * - It enforces what the engine ignores: 25,000 history events per execution and 256 KiB payloads.
 * Built once per definition (validation costs ~80 ms); run() as often as needed.
 */
export class LocalStateMachine {
  private readonly machine: StateMachine;
  private readonly states: Map<string, StateDefinition>;
  private readonly timeoutSeconds: number | undefined;

  /** @param definition the concrete ASL, as extracted from the synthesized template (never a hand-written copy) */
  constructor(definition: AslDefinition) {
    // The engine would time TimeoutSeconds on the real clock (and Node's timer overflows past 24.8 days);
    // the harness enforces it on the virtual clock instead.
    const { TimeoutSeconds, ...engineDefinition } = definition;
    this.timeoutSeconds = typeof TimeoutSeconds === 'number' ? TimeoutSeconds : undefined;
    this.machine = new StateMachine(engineDefinition as never, { validationOptions: { checkArn: false } });
    this.states = new Map(allStates(definition.States as Record<string, StateDefinition>));
  }

  /** A handler for every Task; throws before anything runs if a Task has none (it would reach AWS). */
  private taskHandlers(runtime: LocalRuntime, counts: { lambdaInvocations: number }) {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, state] of this.states) {
      if (state.Type === 'Task') handlers[name] = this.taskHandler(name, state, runtime, counts);
    }
    return handlers;
  }

  private taskHandler(
    stateName: string,
    state: StateDefinition,
    runtime: LocalRuntime,
    counts: { lambdaInvocations: number },
  ): (input: unknown) => Promise<unknown> {
    const resource = state.Resource ?? '';
    const invokesLambda = resource === LAMBDA_INVOKE || functionLogicalId(resource) !== undefined;
    if (runtime.stubs !== undefined && Object.hasOwn(runtime.stubs, stateName)) {
      const stub = runtime.stubs[stateName];
      return async () => {
        if (!invokesLambda) return structuredClone(stub);
        counts.lambdaInvocations++;
        return resource === LAMBDA_INVOKE ? invokeResponse(structuredClone(stub)) : structuredClone(stub);
      };
    }
    if (invokesLambda) {
      const envelope = resource === LAMBDA_INVOKE;
      const logicalId = envelope
        ? functionLogicalId(state.Parameters?.FunctionName)
        : functionLogicalId(resource);
      const lambda = logicalId === undefined ? undefined : runtime.lambdas[logicalId];
      if (lambda === undefined) {
        throw new Error(
          `state "${stateName}" invokes Lambda ${logicalId ?? '(unknown)'}, which has no local handler`,
        );
      }
      return async (input) => {
        counts.lambdaInvocations++;
        const payload = envelope ? (input as { Payload?: unknown }).Payload : input;
        const result = await lambda(structuredClone(payload), { stateName });
        return envelope ? invokeResponse(result) : result;
      };
    }
    const integration = runtime.integrations?.[resource];
    if (integration === undefined) {
      throw new Error(
        `state "${stateName}" calls ${resource}, which has no local handler (it would reach AWS)`,
      );
    }
    return (input) => integration(structuredClone(input), { stateName });
  }

  /** The virtual seconds a Wait state waits, from its real input, checked as AWS checks it. */
  private waitSeconds(
    stateName: string,
    state: StateDefinition,
    rawInput: unknown,
    clock: VirtualClock,
  ): number {
    const input =
      state.InputPath === undefined || state.InputPath === '$'
        ? rawInput
        : JSONPath({ path: state.InputPath ?? '$', json: rawInput as object, wrap: false });
    if (state.Seconds !== undefined) return state.Seconds;
    if (state.SecondsPath !== undefined) {
      const seconds: unknown = JSONPath({ path: state.SecondsPath, json: input as object, wrap: false });
      if (!Number.isInteger(seconds) || (seconds as number) < 0 || (seconds as number) > MAX_WAIT_SECONDS) {
        throw new ExecutionLimitError(
          'States.Runtime',
          `An error occurred while executing the state '${stateName}'. The SecondsPath parameter does not reference a valid integer value from 0 to ${MAX_WAIT_SECONDS}: ${JSON.stringify(seconds)}`,
        );
      }
      return seconds as number;
    }
    const timestamp =
      state.Timestamp ??
      (state.TimestampPath === undefined
        ? undefined
        : (JSONPath({ path: state.TimestampPath, json: input as object, wrap: false }) as string));
    return timestamp === undefined ? 0 : Math.max(0, (Date.parse(timestamp) - clock.now()) / 1000);
  }

  /**
   * The backoff before retry number `failures` of the retrier that catches `error` (ASL Retry: interval *
   * rate^(n-1), capped at MaxDelaySeconds), with FULL jitter drawn from `random`; undefined if none retries.
   */
  private retrySeconds(
    state: StateDefinition,
    error: string,
    failures: number,
    random: () => number,
  ): number | undefined {
    const retrier = state.Retry?.find((r) =>
      r.ErrorEquals.some(
        (e) => e === error || e === 'States.ALL' || (e === 'States.TaskFailed' && error !== 'States.Timeout'),
      ),
    );
    if (retrier === undefined || failures > (retrier.MaxAttempts ?? 3)) return undefined;
    const base = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** (failures - 1);
    const capped = Math.min(base, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
    return capped * random();
  }

  async run(input: unknown, runtime: LocalRuntime): Promise<LocalExecutionResult> {
    const { clock } = runtime;
    const random = runtime.random ?? Math.random;
    const counts = {
      historyEvents: HISTORY_EVENTS_PER_EXECUTION,
      stateTransitions: 0,
      retries: 0,
      lambdaInvocations: 0,
    };
    const taskResourceLocalHandlers = this.taskHandlers(runtime, counts);
    const startedAt = clock.now();
    const waitTimeOverrides: Record<string, number> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    for (const [name, state] of this.states) {
      if (state.Type === 'Wait') waitTimeOverrides[name] = REAL_MS_PER_PAUSE;
      if (state.Retry) retryIntervalOverrides[name] = REAL_MS_PER_PAUSE;
    }
    const execution = this.machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: taskResourceLocalHandlers as never,
        waitTimeOverrides,
        retryIntervalOverrides,
      },
      context: runtime.context as never,
      noThrowOnAbort: true,
    });
    const stop = () => execution.abort();
    if (runtime.signal?.aborted) stop();
    runtime.signal?.addEventListener('abort', stop, { once: true });

    const entered: Record<string, number> = {};
    const failuresInVisit = new Map<string, number>();
    let limitError: ExecutionLimitError | undefined;
    let ended: EventLog | undefined;

    // The engine queues events synchronously and pauses (1 real ms) at every Wait and retry; this loop
    // drains the queue in microtasks, so the clock has moved before the paused state resumes.
    const watch = (async () => {
      for await (const event of execution.eventLogs) {
        if (limitError !== undefined) continue;
        try {
          this.observe(event, counts, entered, failuresInVisit, clock, random);
          this.checkTimeout(clock, startedAt);
        } catch (error) {
          if (!(error instanceof ExecutionLimitError)) throw error;
          limitError = error;
          execution.abort();
        }
        if (event.type === 'ExecutionSucceeded' || event.type === 'ExecutionFailed') ended = event;
      }
    })();

    let output: unknown;
    let thrown: unknown;
    try {
      output = await execution.result;
    } catch (error) {
      thrown = error;
    }
    await watch;
    runtime.signal?.removeEventListener('abort', stop);

    const base = {
      historyEvents: counts.historyEvents,
      stateTransitions: counts.stateTransitions,
      lambdaInvocations: counts.lambdaInvocations,
      retries: counts.retries,
      entered,
      simulatedSeconds: (clock.now() - startedAt) / 1000,
    };
    if (limitError !== undefined) {
      const timedOut = limitError.error === 'States.Timeout';
      return {
        ...base,
        status: timedOut ? 'TIMED_OUT' : 'FAILED',
        error: limitError.error,
        cause: limitError.causeText,
      };
    }
    if (ended?.type === 'ExecutionSucceeded') return { ...base, status: 'SUCCEEDED', output };
    if (ended?.type === 'ExecutionFailed') {
      const timedOut = ended.Error === 'StepWait.Timeout';
      return {
        ...base,
        status: timedOut ? 'TIMED_OUT' : 'FAILED',
        error: ended.Error,
        cause: String(ended.Cause),
      };
    }
    if (thrown instanceof ExecutionTimeoutError) {
      return { ...base, status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The state machine timed out.' };
    }
    if (thrown !== undefined && !(thrown instanceof ExecutionAbortedError)) {
      const error = thrown as Error;
      return { ...base, status: 'FAILED', error: error.name, cause: error.message };
    }
    return { ...base, status: 'ABORTED' };
  }

  private observe(
    event: EventLog,
    counts: { historyEvents: number; stateTransitions: number; retries: number },
    entered: Record<string, number>,
    failuresInVisit: Map<string, number>,
    clock: VirtualClock,
    random: () => number,
  ): void {
    if (event.type === 'StateEntered') {
      const { name, type, input } = event.state;
      entered[name] = (entered[name] ?? 0) + 1;
      counts.stateTransitions++;
      counts.historyEvents += historyEventsForState(type);
      failuresInVisit.set(name, 0);
      this.checkPayload(name, input);
      const state = this.states.get(name);
      if (type === 'Wait' && state !== undefined)
        clock.advanceSeconds(this.waitSeconds(name, state, input, clock));
    } else if (event.type === 'StateExited') {
      this.checkPayload(event.state.name, event.state.output);
    } else if (event.type === 'StateFailed') {
      const { name } = event.state;
      const state = this.states.get(name);
      const failures = (failuresInVisit.get(name) ?? 0) + 1;
      failuresInVisit.set(name, failures);
      const seconds =
        state === undefined ? undefined : this.retrySeconds(state, event.Error, failures, random);
      if (seconds !== undefined) clock.advanceSeconds(seconds);
    } else if (event.type === 'StateRetried') {
      counts.retries++;
      counts.stateTransitions++;
      counts.historyEvents += HISTORY_EVENTS_PER_RETRY;
    }
    if (counts.historyEvents > HISTORY_EVENT_LIMIT) {
      throw new ExecutionLimitError(
        'States.Runtime',
        `The execution reached the maximum number of history events (${HISTORY_EVENT_LIMIT}).`,
      );
    }
  }

  /** The machine's TimeoutSeconds, on the virtual clock: past it the execution ends TIMED_OUT, as in AWS. */
  private checkTimeout(clock: VirtualClock, startedAt: number): void {
    if (this.timeoutSeconds !== undefined && (clock.now() - startedAt) / 1000 > this.timeoutSeconds) {
      throw new ExecutionLimitError(
        'States.Timeout',
        `The execution ran past its TimeoutSeconds (${this.timeoutSeconds}).`,
      );
    }
  }

  private checkPayload(stateName: string, payload: unknown): void {
    if (payload === undefined) return;
    const bytes = Buffer.byteLength(JSON.stringify(payload));
    if (bytes > PAYLOAD_LIMIT_BYTES) {
      throw new ExecutionLimitError(
        'States.DataLimitExceeded',
        `The state/task '${stateName}' returned a result with a size exceeding the maximum number of bytes service limit (${bytes} > ${PAYLOAD_LIMIT_BYTES}).`,
      );
    }
  }
}
