import { batchIo } from '../../lambdas/batch/io';
import { type JobSystemIOs, jobSystemIOs } from '../../lambdas/job-system-io';
import { type CallbackSigning, createPollerFunction } from '../../lambdas/poll';
import type { RegistryRecording } from '../../lambdas/registry/poll-record';
import { REGISTRY_TABLE_ENV } from '../../lambdas/registry/registry-store';
import { CALLBACK_URL_ENV } from '../../lambdas/wake-up/callback-url';
import { PARK_TABLE_ENV } from '../../lambdas/wake-up/park-store';
import { batchIntegrations, localBatchClient } from './batch-integrations';
import type { FleetScheduler } from './fleet-scheduler';
import {
  type AslDefinition,
  type LocalExecutionResult,
  type LocalIntegration,
  type LocalLambda,
  type LocalRuntime,
  LocalStateMachine,
} from './local-state-machine';
import type { LocalWakeUps } from './local-wake-ups';
import {
  type ChildExecution,
  type ChildMachine,
  type NestedExecutionOptions,
  nestedExecutionIntegrations,
} from './nested-executions';
import type { RunnableMachine } from './runnable-machine';
import type { TaskStubs } from './stubs';
import { executionArnOf } from './template';
import type { VirtualClock } from './virtual-clock';
import type { VirtualTimers } from './virtual-timers';

export interface LocalMachineOptions {
  machine: RunnableMachine;
  /** The registry of waits, for pollers whose environment names its table (a waiter with `registry`). */
  registry?: RegistryRecording;
  /** Where the poller's Batch client and the Batch integrations go (the local emulator). */
  batchEndpoint: string;
  clock: VirtualClock;
  random?: () => number;
  /** The poller's log lines. */
  log?: (line: Record<string, unknown>) => void;
  /** Runs before each poller invocation; throw a named error here to inject a Lambda fault. */
  beforeInvoke?: (stateName: string) => void;
  /** Faults of the StartExecution calls (hand-overs, nested waits), and executions to stop. */
  handOver?: NestedExecutionOptions;
  /** A new wait's id; default a random UUID (segment executions are named after it). */
  newWaitId?: () => string;
  /** Results of the Tasks nothing here runs, by state name (see lib/local/stubs.ts). */
  stubs?: TaskStubs;
  /** The systems other than Batch, per poller (lib/local/local-job-systems.ts); without them only Batch waits run. */
  jobSystems?: (pollerLogicalId: string) => JobSystemIOs;
  /**
   * Event mode (lib/local/local-wake-ups.ts): the park table and task tokens the pollers park with, on the
   * `timers` of the run's clock. A machine that parks needs both.
   */
  wakeUps?: LocalWakeUps;
  timers?: VirtualTimers;
  /** Every poller result (a poll's next state, or a park's answer), for runs that act on the state. */
  onPollResult?: (result: unknown) => void;
  /** Many waits on one clock (lib/local/fleet.ts): their Waits block on it instead of moving it. */
  fleet?: FleetScheduler;
}

/** A wait's result: the main execution's, and each execution it started (segments, nested waits), in order. */
export interface LocalWaitResult extends LocalExecutionResult {
  segments: ChildExecution[];
}

/** Engines by definition: validation costs ~80 ms, so each definition is built once however often it runs. */
const engines = new WeakMap<AslDefinition, LocalStateMachine>();

export function engineFor(definition: AslDefinition): LocalStateMachine {
  let engine = engines.get(definition);
  if (engine === undefined) {
    engine = new LocalStateMachine(definition);
    engines.set(definition, engine);
  }
  return engine;
}

let localRuns = 0;

/**
 * A synthesized state machine running here: real ASL, the shipped poller code in process for every poller
 * its Poll tasks invoke, Batch integrations answered by the local Batch, the machines it starts (its segment
 * machine, a JobWaiter run nested) run as nested executions on the same clock, and stubs for the rest.
 */
export class LocalMachine {
  readonly engine: LocalStateMachine;
  /** What its runs talk to: the clock, the pollers in process, the Batch and nested-execution integrations. */
  readonly runtime: LocalRuntime;
  /** The machines it may start, by ARN; replace one's `machine` to model a redeploy mid-wait. */
  readonly children: Readonly<Record<string, ChildMachine>>;
  private started: ChildExecution[] = [];
  /** Poller invocations under way: a stopped execution does not wait for its task, but they still finish. */
  private readonly invocations = new Set<Promise<unknown>>();
  private readonly stateMachineArn: string;

  constructor(options: LocalMachineOptions) {
    const random = options.random ?? Math.random;
    const batch = jobSystemIOs({ batch: batchIo(localBatchClient(options.batchEndpoint)) });
    // One handler per poller function: each reads the endpoints its own environment allows.
    const pollerFor = (pollerLogicalId: string): LocalLambda => {
      const others = options.jobSystems?.(pollerLogicalId);
      const poll = createPollerFunction({
        systems: (id, endpoint) =>
          id === 'batch' || others === undefined ? batch(id, endpoint) : others(id, endpoint),
        now: () => options.clock.now(),
        random,
        log: options.log ?? (() => {}),
        ...(options.newWaitId ? { newWaitId: options.newWaitId } : {}),
        // As deployed: a poller parks only when its environment names the park table.
        ...(options.wakeUps &&
        options.machine.pollerEnvironments[pollerLogicalId]?.[PARK_TABLE_ENV] !== undefined
          ? { wakeUps: options.wakeUps.dependencies() }
          : {}),
        // And records waits only when it names the registry's table.
        ...(options.registry &&
        options.machine.pollerEnvironments[pollerLogicalId]?.[REGISTRY_TABLE_ENV] !== undefined
          ? { registry: options.registry }
          : {}),
        // And mints callback URLs only when it names the callback function's.
        ...(options.machine.pollerEnvironments[pollerLogicalId]?.[CALLBACK_URL_ENV] !== undefined &&
        options.wakeUps?.callbackSigning() !== undefined
          ? { callbacks: options.wakeUps.callbackSigning() as CallbackSigning }
          : {}),
      });
      return async (payload, { stateName }) => {
        options.beforeInvoke?.(stateName);
        const invocation = poll(payload);
        this.invocations.add(invocation);
        try {
          const result = await invocation;
          options.onPollResult?.(result);
          return result;
        } finally {
          this.invocations.delete(invocation);
        }
      };
    };
    const { machine } = options;
    this.stateMachineArn = machine.stateMachineArn;
    this.engine = engineFor(machine.definition);
    const integrations: Record<string, LocalIntegration> = batchIntegrations(
      localBatchClient(options.batchEndpoint),
    );
    this.runtime = {
      clock: options.clock,
      lambdas: Object.fromEntries(machine.pollers.map((key) => [key, pollerFor(key)])),
      integrations,
      random,
      ...(options.stubs === undefined ? {} : { stubs: options.stubs }),
      ...(options.timers === undefined ? {} : { timers: options.timers }),
      ...(options.fleet === undefined ? {} : { fleet: options.fleet }),
      ...(options.wakeUps === undefined ? {} : { taskTokens: options.wakeUps.tokens }),
    };
    this.children = Object.fromEntries(
      Object.entries(machine.children).map(([arn, definition]) => [
        arn,
        { machine: engineFor(definition), runtime: this.runtime },
      ]),
    );
    Object.assign(
      integrations,
      nestedExecutionIntegrations(
        this.children,
        { push: (execution) => this.started.push(execution) },
        options.handOver,
      ),
    );
  }

  /** Resolves once no poller invocation is under way (before what they write to is stopped). */
  async invocationsDone(): Promise<void> {
    while (this.invocations.size > 0) await Promise.allSettled([...this.invocations]);
  }

  /**
   * Runs one execution to its end.
   * @param execution its name (default `local-<n>`), and a signal that stops it (StopExecution: ABORTED)
   */
  async run(
    input: unknown,
    execution: { name?: string; signal?: AbortSignal } = {},
  ): Promise<LocalWaitResult> {
    const started: ChildExecution[] = [];
    this.started = started;
    // The context object the engine only has when given: Hand Over associates segments with this execution.
    const name = execution.name ?? `local-${++localRuns}`;
    const context = {
      Execution: {
        Id: executionArnOf(this.stateMachineArn, name),
        Name: name,
        Input: input,
        StartTime: new Date(this.runtime.clock.now()).toISOString(),
      },
    };
    const result = await this.engine.run(input, {
      ...this.runtime,
      context,
      ...(execution.signal === undefined ? {} : { signal: execution.signal }),
    });
    return { ...result, segments: started };
  }
}
