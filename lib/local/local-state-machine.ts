import './promise-with-resolvers';
import { ExecutionAbortedError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import { JSONPath } from 'jsonpath-plus';
import type { FleetScheduler } from './fleet-scheduler';
import {
  HISTORY_EVENT_LIMIT,
  HISTORY_EVENTS_PER_EXECUTION,
  HISTORY_EVENTS_PER_RETRY,
  historyEventsForState,
  PAYLOAD_LIMIT_BYTES,
} from './history';
import type { LocalTaskTokens, TaskEnding } from './task-tokens';
import { functionLogicalId } from './template';
import type { VirtualClock } from './virtual-clock';
import type { VirtualTimers } from './virtual-timers';

/** One event of a local execution (the package declares the type without exporting it). */
type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncIterable<infer E> ? E : never;

/** An in-process Lambda: receives the invocation payload, returns the function's result or throws. */
export type LocalLambda = (payload: unknown, context: { stateName: string }) => Promise<unknown>;

/** An in-process stand-in for a Step Functions service integration (batch:submitJob, ...), keyed by Resource. */
export type LocalIntegration = (
  input: unknown,
  context: { stateName: string; signal?: AbortSignal },
) => Promise<unknown>;

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
  /**
   * What happens on its own on the virtual clock (events, the sweeper, parked tasks' timeouts): every timer
   * due fires before a task runs, and a parked task moves the clock from timer to timer. Needed, with
   * `taskTokens`, by a machine with `.waitForTaskToken` tasks.
   */
  timers?: VirtualTimers;
  /** The task tokens `.waitForTaskToken` tasks wait on (the engine has none of its own). */
  taskTokens?: LocalTaskTokens;
  /**
   * Many executions on one clock (lib/local/fleet-scheduler.ts): Waits and retries then block the run
   * until the shared clock gets there, instead of moving it. Needs `timers` on the same clock.
   */
  fleet?: FleetScheduler;
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
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  ResultPath?: string | null;
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string | null }[];
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
/** The callback pattern of the Lambda integration: the task waits for its token (SendTaskSuccess). */
const LAMBDA_INVOKE_WAIT_FOR_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
/**
 * What `$$.Task.Token` holds in the engine's static context: every token task replaces it with a token
 * minted for that one task before the function sees its payload.
 */
const TASK_TOKEN_PLACEHOLDER = 'stepwait-local-task-token-placeholder';
/**
 * The engine times a Task's TimeoutSeconds(Path) with a real timer, and 60 real seconds when none is set (the
 * ASL specification's default; Step Functions' is 99,999,999 seconds, "Task workflow state"). The harness
 * enforces a token task's real value on the virtual clock (no other synthesized Task has one), and gives the
 * engine this many seconds for every Task instead: never reached, and below Node's timer limit (2^31 - 1 ms). A paced clock
 * (`stepwait local --ui`) may hold a task in real time for minutes before it runs.
 */
export const ENGINE_TASK_TIMEOUT_SECONDS = 2_000_000;
/** A task's TimeoutSeconds must be a positive integer (ASL); AWS takes at most 99999999. */
const MAX_TASK_TIMEOUT_SECONDS = 99_999_999;
/** The largest value a Wait's SecondsPath may yield in AWS. */
const MAX_WAIT_SECONDS = 99_999_999;
/** Waits and retries take this many real ms: enough for the harness to see them first (see run()). */
const REAL_MS_PER_PAUSE = 1;

/**
 * A ResultPath of `$` as AWS reads it: the result (or a Catch's error output) replaces the whole input,
 * whatever the input is, exactly as with no ResultPath ("Input and output processing", ResultPath). The
 * engine instead writes it into a field named `$` of an object input and refuses any other input, so the
 * definition it runs leaves such ResultPaths out.
 */
function withoutWholeResultPaths(state: StateDefinition): StateDefinition {
  const { ResultPath, ...rest } = state;
  const copy: StateDefinition = ResultPath === '$' ? rest : { ...state };
  if (state.Catch) {
    copy.Catch = state.Catch.map(({ ResultPath: catchPath, ...catcher }) =>
      catchPath === '$'
        ? catcher
        : { ...catcher, ...(catchPath === undefined ? {} : { ResultPath: catchPath }) },
    );
  }
  return copy;
}

/**
 * The definition the engine runs: each Task's timeout left to the harness (see ENGINE_TASK_TIMEOUT_SECONDS),
 * and `$` ResultPaths as AWS reads them (withoutWholeResultPaths).
 */
export function engineStates(states: Record<string, StateDefinition>): Record<string, StateDefinition> {
  return Object.fromEntries(
    Object.entries(states).map(([name, state]) => {
      const asAwsReadsIt = withoutWholeResultPaths(state);
      const { TimeoutSeconds, TimeoutSecondsPath, ...rest } = asAwsReadsIt;
      const copy: StateDefinition =
        state.Type === 'Task' ? { ...rest, TimeoutSeconds: ENGINE_TASK_TIMEOUT_SECONDS } : asAwsReadsIt;
      if (state.Branches)
        copy.Branches = state.Branches.map((branch) => ({
          ...branch,
          States: engineStates(branch.States),
        }));
      if (state.ItemProcessor)
        copy.ItemProcessor = {
          ...state.ItemProcessor,
          States: engineStates(state.ItemProcessor.States),
        };
      if (state.Iterator) copy.Iterator = { ...state.Iterator, States: engineStates(state.Iterator.States) };
      return [name, copy];
    }),
  );
}

/** `value` with every occurrence of the token placeholder replaced by `token`. */
function withTaskToken(value: unknown, token: string): unknown {
  if (value === TASK_TOKEN_PLACEHOLDER) return token;
  if (Array.isArray(value)) return value.map((item) => withTaskToken(item, token));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withTaskToken(item, token)]));
  }
  return value;
}

/** An error a task ends with, named as Step Functions names it (the engine's Catch and Retry read `name`). */
function namedError(name: string, cause: string | undefined): Error {
  const error = new Error(cause ?? name);
  error.name = name;
  return error;
}

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

/** What a task handler may do to its run: read a state's raw input, fail the run as AWS would. */
interface RunHooks {
  inputOf(stateName: string): unknown;
  /** Ends the execution with a terminal error (States.Runtime and the limits: no Catch applies). */
  fail(error: ExecutionLimitError): void;
  stopped(): boolean;
  /** A token this run's task waits on: closed if the run stops. */
  minted(token: string): void;
  /** Before each task: what was due happened (own clock), or the fleet's clock reached this run's resume time. */
  beforeTask(): Promise<void>;
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
    engineDefinition.States = engineStates(definition.States as Record<string, StateDefinition>);
    this.machine = new StateMachine(engineDefinition as never, { validationOptions: { checkArn: false } });
    this.states = new Map(allStates(definition.States as Record<string, StateDefinition>));
  }

  /** A handler for every Task; throws before anything runs if a Task has none (it would reach AWS). */
  private taskHandlers(runtime: LocalRuntime, counts: { lambdaInvocations: number }, run: RunHooks) {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, state] of this.states) {
      if (state.Type !== 'Task') continue;
      const handler = this.taskHandler(name, state, runtime, counts, run);
      // Whatever was due on the clock happened before the task: an event delivered, a timer fired.
      handlers[name] = async (input) => {
        await run.beforeTask();
        // Stopped while it waited for its turn: a stopped execution runs no more tasks.
        if (run.stopped()) throw new Error('The execution stopped.');
        return handler(input);
      };
    }
    return handlers;
  }

  /** The in-process handler of the function a task invokes. @throws Error if it has none (it would reach AWS) */
  private localLambda(stateName: string, logicalId: string | undefined, runtime: LocalRuntime): LocalLambda {
    const lambda = logicalId === undefined ? undefined : runtime.lambdas[logicalId];
    if (lambda === undefined) {
      throw new Error(
        `state "${stateName}" invokes Lambda ${logicalId ?? '(unknown)'}, which has no local handler`,
      );
    }
    return lambda;
  }

  private taskHandler(
    stateName: string,
    state: StateDefinition,
    runtime: LocalRuntime,
    counts: { lambdaInvocations: number },
    run: RunHooks,
  ): (input: unknown) => Promise<unknown> {
    const resource = state.Resource ?? '';
    if (resource === LAMBDA_INVOKE_WAIT_FOR_TOKEN)
      return this.tokenTaskHandler(stateName, state, runtime, counts, run);
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
      const lambda = this.localLambda(stateName, logicalId, runtime);
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
    return (input) =>
      integration(structuredClone(input), {
        stateName,
        ...(runtime.signal === undefined ? {} : { signal: runtime.signal }),
      });
  }

  /**
   * A Lambda invoke that waits for its task token: the function gets its payload with a token minted for
   * this task, and the task ends when the token comes back (SendTaskSuccess/Failure on the local endpoint)
   * or its TimeoutSeconds(Path) passes on the virtual clock, which moves from timer to timer meanwhile. The
   * function's own result is ignored, as in AWS; its error fails the task.
   */
  private tokenTaskHandler(
    stateName: string,
    state: StateDefinition,
    runtime: LocalRuntime,
    counts: { lambdaInvocations: number },
    run: RunHooks,
  ): (input: unknown) => Promise<unknown> {
    const lambda = this.localLambda(stateName, functionLogicalId(state.Parameters?.FunctionName), runtime);
    const { timers, taskTokens } = runtime;
    if (timers === undefined || taskTokens === undefined) {
      throw new Error(
        `state "${stateName}" waits for a task token: the run needs the local task tokens and timers`,
      );
    }
    return async (input) => {
      // The engine has queued StateEntered with the state's raw input; let the watcher record it first.
      await new Promise((resolve) => setImmediate(resolve));
      const timeoutSeconds = this.taskTimeoutSeconds(stateName, state, run.inputOf(stateName));
      if (timeoutSeconds instanceof ExecutionLimitError) {
        run.fail(timeoutSeconds);
        throw timeoutSeconds;
      }
      const { token, ended } = taskTokens.mint(stateName, timeoutSeconds);
      run.minted(token);
      let ending: TaskEnding | undefined;
      void ended.then((value) => {
        ending = value;
      });
      counts.lambdaInvocations++;
      const payload = withTaskToken((input as { Payload?: unknown }).Payload, token);
      try {
        await lambda(structuredClone(payload), { stateName });
      } catch (error) {
        taskTokens.close(token, 'The function failed.');
        throw error;
      }
      if (runtime.fleet !== undefined) await runtime.fleet.blockOn(ended);
      else await timers.runUntil(() => ending !== undefined || run.stopped());
      const result = ending ?? (await ended);
      if ('error' in result) throw namedError(result.error, result.cause);
      return result.output;
    };
  }

  /**
   * A task's TimeoutSeconds, or its TimeoutSecondsPath read from its input; an invalid one is the
   * execution's States.Runtime failure, as in AWS. Undefined: the task has none (a token task then waits
   * as long as the execution lives).
   */
  private taskTimeoutSeconds(
    stateName: string,
    state: StateDefinition,
    rawInput: unknown,
  ): number | undefined | ExecutionLimitError {
    if (state.TimeoutSeconds !== undefined) return state.TimeoutSeconds;
    if (state.TimeoutSecondsPath === undefined) return undefined;
    const input =
      state.InputPath === undefined || state.InputPath === '$'
        ? rawInput
        : JSONPath({ path: state.InputPath ?? '$', json: rawInput as object, wrap: false });
    const seconds: unknown = JSONPath({ path: state.TimeoutSecondsPath, json: input as object, wrap: false });
    if (
      !Number.isInteger(seconds) ||
      (seconds as number) < 1 ||
      (seconds as number) > MAX_TASK_TIMEOUT_SECONDS
    ) {
      return new ExecutionLimitError(
        'States.Runtime',
        `An error occurred while executing the state '${stateName}'. The TimeoutSecondsPath parameter does not reference a valid integer value from 1 to ${MAX_TASK_TIMEOUT_SECONDS}: ${JSON.stringify(seconds)}`,
      );
    }
    return seconds as number;
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
    const inputs = new Map<string, unknown>();
    let limitError: ExecutionLimitError | undefined;
    let execution: ReturnType<StateMachine['run']> | undefined;
    const hooks: RunHooks = {
      inputOf: (stateName) => inputs.get(stateName),
      fail: (error) => {
        limitError ??= error;
        execution?.abort();
        closeTokens('The execution failed.');
      },
      stopped: () => limitError !== undefined || runtime.signal?.aborted === true,
      minted: (token) => tokens.push(token),
      beforeTask: async () => {
        if (runtime.fleet === undefined) {
          await runtime.timers?.runDue();
          return;
        }
        const at = resumeAt;
        resumeAt = undefined;
        if (at !== undefined) await runtime.fleet.sleepUntil(at, runtime.signal);
      },
    };
    /** In a fleet: when this run may go on after its Wait or retry backoff (the clock is shared). */
    let resumeAt: number | undefined;
    // On its own clock a run moves the clock itself; in a fleet it only says when it may go on.
    const pause = (seconds: number) => {
      if (runtime.fleet === undefined) clock.advanceSeconds(seconds);
      else resumeAt = Math.max(resumeAt ?? clock.now(), clock.now()) + seconds * 1000;
    };
    const tokens: string[] = [];
    const closeTokens = (why: string) => {
      for (const token of tokens) runtime.taskTokens?.close(token, why);
    };
    const taskResourceLocalHandlers = this.taskHandlers(runtime, counts, hooks);
    const startedAt = clock.now();
    const waitTimeOverrides: Record<string, number> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    for (const [name, state] of this.states) {
      if (state.Type === 'Wait') waitTimeOverrides[name] = REAL_MS_PER_PAUSE;
      if (state.Retry) retryIntervalOverrides[name] = REAL_MS_PER_PAUSE;
    }
    runtime.fleet?.enter();
    const running = this.machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: taskResourceLocalHandlers as never,
        waitTimeOverrides,
        retryIntervalOverrides,
      },
      context: { ...runtime.context, Task: { Token: TASK_TOKEN_PLACEHOLDER } } as never,
      noThrowOnAbort: true,
    });
    execution = running;
    const stop = () => {
      running.abort();
      closeTokens('The execution stopped.');
    };
    if (runtime.signal?.aborted) stop();
    runtime.signal?.addEventListener('abort', stop, { once: true });

    const entered: Record<string, number> = {};
    const failuresInVisit = new Map<string, number>();
    let ended: EventLog | undefined;

    // The engine queues events synchronously and pauses (1 real ms) at every Wait and retry; this loop
    // drains the queue in microtasks, so the clock has moved before the paused state resumes.
    const watch = (async () => {
      for await (const event of running.eventLogs) {
        if (limitError !== undefined) continue;
        if (event.type === 'StateEntered') inputs.set(event.state.name, event.state.input);
        try {
          this.observe(event, counts, entered, failuresInVisit, clock, random, pause);
          this.checkTimeout(clock, startedAt);
        } catch (error) {
          if (!(error instanceof ExecutionLimitError)) throw error;
          hooks.fail(error);
        }
        if (event.type === 'ExecutionSucceeded' || event.type === 'ExecutionFailed') ended = event;
      }
    })();

    let output: unknown;
    let thrown: unknown;
    try {
      output = await running.result;
    } catch (error) {
      thrown = error;
    }
    try {
      await watch;
    } finally {
      runtime.fleet?.leave();
    }
    runtime.signal?.removeEventListener('abort', stop);

    const base = {
      historyEvents: counts.historyEvents,
      stateTransitions: counts.stateTransitions,
      lambdaInvocations: counts.lambdaInvocations,
      retries: counts.retries,
      entered,
      simulatedSeconds: (clock.now() - startedAt) / 1000,
    };
    const limit = limitError as ExecutionLimitError | undefined;
    if (limit !== undefined) {
      const timedOut = limit.error === 'States.Timeout';
      return {
        ...base,
        status: timedOut ? 'TIMED_OUT' : 'FAILED',
        error: limit.error,
        cause: limit.causeText,
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
    pause: (seconds: number) => void,
  ): void {
    if (event.type === 'StateEntered') {
      const { name, type, input } = event.state;
      entered[name] = (entered[name] ?? 0) + 1;
      counts.stateTransitions++;
      const state = this.states.get(name);
      counts.historyEvents +=
        historyEventsForState(type) + (state?.Resource === LAMBDA_INVOKE_WAIT_FOR_TOKEN ? 1 : 0);
      failuresInVisit.set(name, 0);
      this.checkPayload(name, input);
      if (type === 'Wait' && state !== undefined) pause(this.waitSeconds(name, state, input, clock));
    } else if (event.type === 'StateExited') {
      this.checkPayload(event.state.name, event.state.output);
    } else if (event.type === 'StateFailed') {
      const { name } = event.state;
      const state = this.states.get(name);
      const failures = (failuresInVisit.get(name) ?? 0) + 1;
      failuresInVisit.set(name, failures);
      const seconds =
        state === undefined ? undefined : this.retrySeconds(state, event.Error, failures, random);
      if (seconds !== undefined) pause(seconds);
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
