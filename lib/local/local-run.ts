import { REGISTRY_TABLE_ENV, type RegistryRecord } from '../../lambdas/registry/registry-store';
import { stageOfPollState } from '../../waiters';
import { signedHeaders, sigV4Signer } from '../sigv4-request';
import { outcomeOf, type WaitOutcome } from '../wait-outcome';
import { LocalAppError } from './app-error';
import { batchAccountOf } from './batch-account';
import { BatchEmulator, type BatchFaults, type JobOutcome } from './batch-emulator';
import { waitCostUsd } from './cost-model';
import type { EventDelivery } from './event-bus';
import { defaultExecutionInput, LOCAL_JOB_NAME, type RequestOptions, requestFor } from './execution-input';
import type { SimulatedLatencies } from './latencies';
import { startLocalJobSystems } from './local-job-systems';
import { LocalMachine } from './local-machine';
import { LocalRegistry } from './local-registry';
import type { ExecutionStatus } from './local-state-machine';
import { JOB_CALLER, keysOf } from './local-users';
import { LocalWakeUps, type WakeUpFaults } from './local-wake-ups';
import type { RunnableMachine } from './runnable-machine';
import type { TaskStubs } from './stubs';
import { registerTargets } from './submit-targets';
import { LOCAL_REGION } from './template';
import { VirtualClock } from './virtual-clock';
import { VirtualTimers } from './virtual-timers';

/** One simulated job and how stepwait waits for it. */
export interface LocalRunOptions extends RequestOptions {
  /** The machine to run: stepwait's example waiter (`runnableWaiter`) or one of the user's app. */
  machine: RunnableMachine;
  /** How messages name the machine. */
  label?: string;
  /** Seconds the job runs (RUNNING). */
  jobDurationSeconds: number;
  /** Seconds the job queues before it starts (mostly RUNNABLE). */
  queueSeconds: number;
  outcome: JobOutcome;
  /**
   * The execution input. Default: each of the machine's waits gets its request where its fragment reads it
   * (lib/local/execution-input.ts), with `timeoutSeconds`, `failOnTimeout` and `delays` from these options.
   */
  input?: unknown;
  /** Results of the machine's own Tasks, by state name. */
  stubs?: TaskStubs;
  /**
   * Queues and definitions the local Batch has besides those the machine's submit tasks name (one the app
   * imports from elsewhere, one a request names); the simulated job goes to the first of each.
   */
  jobQueues?: readonly string[];
  jobDefinitions?: readonly string[];
  /** The simulated job's id, so an input or a stub can name it (default: a new UUID, as Batch gives). */
  jobId?: string;
  /** Faults of the local Batch, e.g. `{ throttleProbability: 0.5 }`. */
  faults?: BatchFaults;
  random: () => number;
  /** Each poll as the poller logs it, for a live view (event mode: each park too, state `parked`). */
  onPoll?: (poll: PollView) => void;
  /** Event mode: each state-change event the waker handled, for a live view. */
  onWakeUp?: (wakeUp: WakeUpView) => void;
  /** Event mode: how state-change events travel (default: the stated delay, nothing lost). */
  eventDelivery?: EventDelivery;
  /** Event mode: the sweeper never runs (its schedule or function down), to show the parks' own timeouts. */
  sweeperDown?: boolean;
  /** Simulated time the poller's invocations and the wake-up path take (default: none, calls are instant). */
  latencies?: SimulatedLatencies;
  /** Event mode: faults of the wake-up path (throttled SendTaskSuccess and DynamoDB, waker crashes). */
  wakeUpFaults?: WakeUpFaults;
  /**
   * Event mode with callbacks: the job calls its wait's callback URL (POST, its status as JSON) this many
   * seconds after it ends, as Tethys' jobs call their status callback. A URL of AuthType AWS_IAM is called
   * signed with the job's local key (JOB_CALLER), unless `unsigned` (a job misconfigured so).
   */
  jobCallsBack?: { delaySeconds: number; unsigned?: boolean };
}

/** What a live view shows when the waker handles an event. */
export interface WakeUpView {
  jobId: string;
  status: string;
  /** Parked waits it woke (0: a duplicate, a late event, or nobody parked yet). */
  woken: number;
  virtualSeconds: number;
}

/** What a live view shows after each poll. */
export interface PollView {
  /** The waiter's name (its construct path by default): a machine may run several waits. */
  waiter: string;
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
  /** Event mode: parks the wait made, and how its parks ended. */
  wakeUps?: {
    parks: number;
    wokenByEvent: number;
    wokenBySweeper: number;
    wokenByCallback: number;
    wokenByRecheck: number;
    timedOut: number;
    events: number;
    /** What event mode used beside the machine's transitions and the poller: what AWS bills for it. */
    usage: ReturnType<LocalWakeUps['usage']>;
    /** The sweeper's schedule in the template (for its fixed cost a month). */
    sweepIntervalSeconds?: number;
    /** Faults injected on the wake-up path, and what the queue and the bus did. */
    injected: LocalWakeUps['injected'];
    redeliveredMessages: number;
    deadLetters: number;
    eventsLost: number;
    eventsDuplicated: number;
    /** With `jobCallsBack`: the HTTP status of each call the job made to its callback URL. */
    callbackAnswers?: number[];
  };
  /** A waiter with a registry: what the poller wrote there, and how the registry shows the wait. */
  registry?: {
    writes: number;
    waits: Pick<RegistryRecord, 'waitId' | 'status' | 'tethysStatus' | 'stage'>[];
  };
}

/** Where the simulated job goes unless told otherwise; the local Batch always has them. */
export const LOCAL_JOB_QUEUE = 'stepwait-local-queue';
export const LOCAL_JOB_DEFINITION = 'stepwait-local-job:1';

/** Registers queues and definitions as the app names them; a name Batch would refuse is the app's mistake. */
function register(action: () => void): void {
  try {
    action();
  } catch (error) {
    if (error instanceof RangeError) throw new LocalAppError(`the local Batch refuses it: ${error.message}`);
    throw error;
  }
}

/**
 * Runs one wait of a synthesized machine against a fresh local Batch on 127.0.0.1 (reached through the real
 * SDK). The simulated job is put there first, unless every wait of the machine submits its own (it is then
 * submitted by the machine, under the business key LOCAL_JOB_NAME); either way it follows the job
 * options. Each run has its own clock and emulator, so runs can go in parallel.
 * @throws LocalAppError (before anything runs) if the input cannot be built or a Batch name is refused
 */
export async function runLocalWait(options: LocalRunOptions): Promise<LocalRunReport> {
  const { machine } = options;
  const label = options.label ?? machine.logicalId;
  const system = jobSystemOf(machine, label);
  const jobQueues = options.jobQueues?.length ? options.jobQueues : [LOCAL_JOB_QUEUE];
  const jobDefinitions = options.jobDefinitions?.length ? options.jobDefinitions : [LOCAL_JOB_DEFINITION];
  const account = batchAccountOf([
    ...machine.submitTargets.flatMap((target) => [target.jobQueue, target.jobDefinition]),
    ...jobQueues,
    ...jobDefinitions,
  ]);
  const submitsItsOwn =
    system === 'batch' && machine.allWaits.every((wait) => wait.config.submit !== undefined);
  // The input is checked before the local Batch starts: an app that cannot be run this way is told so at once.
  const inputFor = (jobId: string | undefined) =>
    options.input !== undefined
      ? options.input
      : defaultExecutionInput(machine, label, (wait) => requestFor(wait, jobId, options));
  inputFor(options.jobId ?? 'checked-before-the-job-exists');

  const clock = new VirtualClock();
  const startedAt = clock.now();
  const emulator = await BatchEmulator.start({
    clock,
    random: options.random,
    ...account,
    defaultJobSpec: {
      // The queue time is split the way Batch jobs spend it: a moment each in SUBMITTED, PENDING and
      // STARTING, the rest in RUNNABLE waiting for capacity.
      durations: splitQueueTime(options.queueSeconds, options.jobDurationSeconds),
      outcome: options.outcome,
      ...(options.outcome === 'FAILED' ? { exitCode: 1 } : {}),
    },
  });
  // Another system's stand-in (and a Secrets Manager) on 127.0.0.1, for a machine whose waits poll it.
  const others =
    system === 'batch' ? undefined : await startLocalJobSystems(machine, clock, { random: options.random });
  const site = others?.site(system);
  // Event mode: the park table, task tokens and the events' way to the waker, on the run's clock.
  const timers = machine.wakeUps === undefined ? undefined : new VirtualTimers(clock);
  let wakeUps: LocalWakeUps | undefined;
  let registry: LocalRegistry | undefined;
  try {
    // A waiter with a registry: its table in dynalite, written by the poller as deployed.
    registry = Object.values(machine.pollerEnvironments).some((env) => env[REGISTRY_TABLE_ENV] !== undefined)
      ? await LocalRegistry.start(() => clock.now())
      : undefined;
    if (machine.wakeUps !== undefined && timers !== undefined) {
      wakeUps = await LocalWakeUps.start({
        routes: machine.wakeUps,
        timers,
        random: options.random,
        batch: emulator,
        ...(options.eventDelivery === undefined ? {} : { delivery: options.eventDelivery }),
        sweeps: options.sweeperDown !== true,
        ...(options.latencies === undefined ? {} : { latencies: options.latencies }),
        ...(options.wakeUpFaults === undefined ? {} : { faults: options.wakeUpFaults }),
        log: (line) => {
          if (line.event !== 'wakeUp' || options.onWakeUp === undefined) return;
          options.onWakeUp({
            jobId: String(line.jobId),
            status: String(line.status),
            woken: Number(line.woken),
            virtualSeconds: (clock.now() - startedAt) / 1000,
          });
        },
      });
    }
    register(() => {
      registerTargets(emulator, machine.submitTargets);
      for (const queue of jobQueues)
        if (emulator.jobQueue(queue) === undefined) emulator.registerJobQueue(queue);
      for (const definition of jobDefinitions)
        if (!emulator.hasJobDefinition(definition)) emulator.registerJobDefinition(definition);
    });
    let simulatedJobId: string | undefined;
    if (site !== undefined) {
      simulatedJobId = site.startJob({
        queuedSeconds: options.queueSeconds,
        runSeconds: options.jobDurationSeconds,
        outcome: options.outcome === 'FAILED' ? 'failed' : 'succeeded',
      });
    } else if (!submitsItsOwn) {
      register(() => {
        simulatedJobId = emulator.addJob({
          jobName: LOCAL_JOB_NAME,
          jobQueue: jobQueues[0],
          jobDefinition: jobDefinitions[0],
          ...(options.jobId === undefined ? {} : { jobId: options.jobId }),
        });
      });
    }
    if (options.faults) emulator.setFaults(options.faults);
    if (site !== undefined && options.faults?.throttleProbability) {
      site.setFaults({ throttleProbability: options.faults.throttleProbability });
    }

    let polls = 0;
    let callbackUrl: string | undefined;
    /** The HTTP status of each call the job made to its callback URL. */
    const callbackAnswers: number[] = [];
    if (options.jobCallsBack !== undefined && timers !== undefined) {
      const endsAt =
        startedAt +
        (options.queueSeconds + options.jobDurationSeconds + options.jobCallsBack.delaySeconds) * 1000;
      const signs = wakeUps?.callbackAuthType() === 'AWS_IAM' && options.jobCallsBack.unsigned !== true;
      timers.at(endsAt, async () => {
        if (callbackUrl === undefined) return;
        const url = new URL(callbackUrl);
        const body = JSON.stringify({ status: options.outcome });
        const headers = { 'content-type': 'application/json' };
        const response = await fetch(url, {
          method: 'POST',
          headers: signs
            ? await signedHeaders(sigV4Signer(keysOf(JOB_CALLER), LOCAL_REGION), {
                url,
                method: 'POST',
                body,
                headers,
              })
            : headers,
          body,
        });
        callbackAnswers.push(response.status);
      });
    }
    const local = new LocalMachine({
      machine,
      batchEndpoint: emulator.endpoint,
      clock,
      random: options.random,
      ...(others === undefined ? {} : { jobSystems: others.systemsFor }),
      ...(options.stubs === undefined ? {} : { stubs: options.stubs }),
      ...(wakeUps === undefined || timers === undefined ? {} : { wakeUps, timers }),
      ...(registry === undefined ? {} : { registry: { store: registry.store } }),
      onPollResult: (result) => {
        const url = (result as { callbackUrl?: unknown } | null)?.callbackUrl;
        if (typeof url === 'string') callbackUrl = url;
      },
      ...(options.latencies === undefined
        ? {}
        : {
            beforeInvoke: () => clock.advanceSeconds(options.latencies?.lambdaSeconds(options.random) ?? 0),
          }),
      log: (line) => {
        if (line.stage === undefined || options.onPoll === undefined) return;
        if (line.event === 'parked') {
          options.onPoll({
            waiter: String(line.waiter),
            stage: String(line.stage),
            attempt: 0,
            state: line.moved === undefined ? 'parked' : 'parked, woke at once',
            virtualSeconds: (clock.now() - startedAt) / 1000,
            polls,
            delaySeconds: Number(line.parkSeconds),
          });
          return;
        }
        polls++;
        const jobs = line.jobs as { status?: string }[] | undefined;
        options.onPoll({
          waiter: String(line.waiter),
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
    const result = await local.run(inputFor(simulatedJobId));

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
    // The simulated job: put there first, or the newest the machine submitted under the business key.
    const job =
      site !== undefined
        ? undefined
        : simulatedJobId === undefined
          ? emulator
              .jobs()
              .filter((candidate) => candidate.jobName === LOCAL_JOB_NAME)
              .at(-1)
          : emulator.job(simulatedJobId);
    const stoppedAt =
      site !== undefined && simulatedJobId !== undefined ? site.stoppedAt(simulatedJobId) : job?.stoppedAt;
    const noticedAt = startedAt + result.simulatedSeconds * 1000;
    const noticed = status === 'SUCCEEDED' || result.error === 'StepWait.JobFailed';
    // A long wait runs in several executions: the main one and those it started (segments, nested waits).
    const executions = [result, ...result.segments.map((segment) => segment.result)];
    const polled: Record<string, number> = {};
    for (const execution of executions) {
      for (const [state, count] of Object.entries(execution.entered)) {
        if (!machine.pollTasks.includes(state)) continue;
        const stage = stageOfPollState(state);
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
      throttledCalls: site?.throttledCalls ?? emulator.throttledCalls,
      estimatedCostUsd: waitCostUsd({
        stateTransitions,
        lambdaInvocations: lambdaInvocations + (wakeUps?.usage().wakerInvocations ?? 0),
        ...(wakeUps === undefined ? {} : wakeUps.usage()),
        // A registry write updates an item of 1 to 2 KB (the wait's jobs and stages): 2 write units.
        dynamoDbWrites: (wakeUps?.usage().dynamoDbWrites ?? 0) + (registry?.writes() ?? 0) * 2,
      }),
      describeJobsCallSeconds: (
        site?.statusCalls() ?? emulator.calls.filter((call) => call.operation === 'DescribeJobs')
      ).map((call) => (call.at - startedAt) / 1000),
      ...(wakeUps === undefined
        ? {}
        : {
            wakeUps: {
              ...wakeUpFigures(wakeUps),
              ...(options.jobCallsBack === undefined ? {} : { callbackAnswers }),
            },
          }),
      ...(registry === undefined
        ? {}
        : {
            registry: {
              writes: registry.writes(),
              waits: (await registry.records()).map(({ waitId, status, tethysStatus, stage }) => ({
                waitId,
                status,
                tethysStatus,
                ...(stage === undefined ? {} : { stage }),
              })),
            },
          }),
    };
  } finally {
    await registry?.stop();
    await emulator.stop();
    await others?.stop();
    await wakeUps?.stop();
  }
}

/** How the wait's parks ended, from the task tokens' log. */
function wakeUpFigures(wakeUps: LocalWakeUps): NonNullable<LocalRunReport['wakeUps']> {
  const endings = wakeUps.tokens.log.map((entry) => entry.ending);
  const wokenBy = (who: string) =>
    endings.filter(
      (ending) =>
        ending !== undefined &&
        'output' in ending &&
        (ending.output as { wokenBy?: string })?.wokenBy === who,
    ).length;
  return {
    parks: endings.length,
    wokenByEvent: wokenBy('event'),
    wokenBySweeper: wokenBy('sweeper'),
    wokenByCallback: wokenBy('callback'),
    wokenByRecheck: wokenBy('recheck'),
    timedOut: endings.filter(
      (ending) => ending !== undefined && 'error' in ending && ending.error === 'States.Timeout',
    ).length,
    events: wakeUps.events.published.length,
    usage: wakeUps.usage(),
    injected: { ...wakeUps.injected },
    redeliveredMessages: wakeUps.queues.reduce((sum, queue) => sum + queue.stats.failedMessages, 0),
    deadLetters: wakeUps.queues.reduce((sum, queue) => sum + queue.deadLetters.length, 0),
    eventsLost: wakeUps.bus.stats.lost,
    eventsDuplicated: wakeUps.bus.stats.duplicated,
    ...(wakeUps.sweepIntervalSeconds === undefined
      ? {}
      : { sweepIntervalSeconds: wakeUps.sweepIntervalSeconds }),
  };
}

/** The one job system a machine's waits poll; a local run simulates one job, so one system. */
function jobSystemOf(machine: RunnableMachine, label: string): string {
  const systems = [...new Set(machine.allWaits.map((wait) => wait.config.system ?? 'batch'))];
  if (systems.length !== 1) {
    throw new LocalAppError(
      `${label} waits on ${systems.join(' and ')}: stepwait local runs waits of one job system at a time`,
    );
  }
  return systems[0] as string;
}

/** A job's queue time split the way Batch jobs spend it (see runLocalWait), and its running time. */
export function splitQueueTime(queueSeconds: number, runningSeconds: number) {
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
