import { randomUUID } from 'node:crypto';
import { createRegistryApi, type RegistryApiHandler } from '../../lambdas/registry/api';
import { recordExecutionEnd } from '../../lambdas/registry/end-recorder';
import { loadRegistryWaiters } from '../../lambdas/registry/registry-waiters';
import { terminateSubmittedJobs } from '../../lambdas/registry/terminate-submitted';
import { LocalAppError } from './app-error';
import { BatchEmulator, type JobOutcome } from './batch-emulator';
import { localBatchClient } from './batch-integrations';
import { type EventDelivery, LocalEventBus, statedEventDelay } from './event-bus';
import { FleetScheduler } from './fleet-scheduler';
import { functionUrlEvent, LocalFunctionUrl } from './function-url-server';
import { LocalExecutions } from './local-executions';
import { LocalMachine } from './local-machine';
import { LocalRegistry } from './local-registry';
import { LOCAL_JOB_DEFINITION, LOCAL_JOB_QUEUE, splitQueueTime } from './local-run';
import type { LocalUser } from './local-users';
import { LocalWakeUps } from './local-wake-ups';
import { type RegistryRoutes, registryRoutesIn } from './registry-routes';
import { type RunnableMachine, runnableMachine } from './runnable-machine';
import { LocalStepFunctionsEndpoint } from './step-functions-endpoint';
import { registerTargets } from './submit-targets';
import { type CfnTemplate, LOCAL_REGION, stateMachineLogicalId } from './template';
import { VirtualClock } from './virtual-clock';
import { VirtualTimers } from './virtual-timers';

/**
 * A synthesized app with a registry of waits, deployed on 127.0.0.1 and left running, as `stepwait local
 * --ui` shows it: its waiter machine answers StartExecution, DescribeExecution, StopExecution and
 * DescribeStateMachine on a local Step Functions endpoint, and every execution started there runs the
 * real ASL with the shipped poller; the registry's table is in dynalite; the registry API is the shipped
 * code behind a local function URL that checks each request's SigV4 signature against the local users'
 * keys; execution ends reach the shipped end recorder through the template's own EventBridge rule, late
 * and at least once. Time is a paced clock (lib/local/fleet-scheduler.ts), `speed` times real time.
 */
/**
 * How execution ends reach the recorder: after the delay stepwait states for EventBridge (event-bus.ts), and
 * some twice ("Events are delivered at least once"; the share is stated, AWS gives none).
 */
const ENDS_DELIVERY: EventDelivery = { delaySeconds: statedEventDelay, duplicateProbability: 0.1 };

export interface LocalDeploymentOptions {
  readonly template: CfnTemplate;
  /** The waiter's state machine ARN (its placeholder ARN in the template). */
  readonly stateMachineArn: string;
  readonly users: readonly LocalUser[];
  /**
   * Virtual seconds a real second (a paced clock, for people to watch); without it the clock jumps from one
   * instant something happens to the next, as fast as the machine runs (for the fault suite).
   */
  readonly speed?: number;
  /** The share of the pollers' registry writes DynamoDB throttles past all their attempts (0 to 1). */
  readonly registryWriteThrottle?: number;
  readonly random: () => number;
  /** Each line the deployment's functions log (the poller's, the registry API's, the recorder's). */
  readonly log?: (line: Record<string, unknown>) => void;
}

export class LocalDeployment {
  private constructor(
    readonly clock: VirtualClock,
    readonly scheduler: FleetScheduler,
    readonly batch: BatchEmulator,
    readonly registry: LocalRegistry,
    readonly executions: LocalExecutions,
    readonly stepFunctions: LocalStepFunctionsEndpoint,
    readonly registryApi: LocalFunctionUrl,
    readonly routes: RegistryRoutes,
    readonly machine: RunnableMachine,
    private readonly api: RegistryApiHandler,
    private readonly lifecycle: {
      stop(): Promise<void>;
      settle(): Promise<void>;
      pollerWrites(): { writes: number; throttled: number };
    },
  ) {}

  /**
   * Calls the registry API as Lambda invokes it once the function URL has checked `who`'s signature (the
   * fault suite's way in; people and the CLI sign their requests to `registryUrl`).
   */
  async invokeApi(
    who: LocalUser,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const result = await this.api(
      functionUrlEvent({
        method,
        url: path,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? new Uint8Array() : Buffer.from(JSON.stringify(body)),
        identity: who,
      }),
    );
    const answer = result as { statusCode?: number; body?: string };
    return { status: answer.statusCode ?? 200, body: JSON.parse(answer.body ?? 'null') };
  }

  /** The registry API's address (AuthType AWS_IAM: sign for service `lambda` in LOCAL_REGION). */
  get registryUrl(): string {
    return this.registryApi.url;
  }

  /**
   * Puts a job in the deployment's Batch as if submitted now, to its local queue and definition: it queues
   * `queueSeconds` (split as Batch jobs spend it), runs `runSeconds` and ends `outcome`. Returns its id.
   */
  addJob(job: { queueSeconds: number; runSeconds: number; outcome?: JobOutcome; jobName?: string }): string {
    return this.batch.addJob({
      ...(job.jobName === undefined ? {} : { jobName: job.jobName }),
      jobQueue: LOCAL_JOB_QUEUE,
      jobDefinition: LOCAL_JOB_DEFINITION,
      durations: splitQueueTime(job.queueSeconds, job.runSeconds),
      ...(job.outcome === undefined ? {} : { outcome: job.outcome }),
    });
  }

  /** The waiter's name, as the registry API's `waiter` field takes it. */
  get waiterName(): string {
    const waiter = this.routes.waiters.find(
      (entry) => entry.stateMachineArn === this.machine.stateMachineArn,
    );
    return (waiter ?? this.routes.waiters[0])?.name as string;
  }

  /** @throws LocalAppError if the template has no registry, or it does not record this machine's waits */
  static async start(options: LocalDeploymentOptions): Promise<LocalDeployment> {
    const routes = registryRoutesIn(options.template);
    if (routes.authType !== 'AWS_IAM') {
      throw new LocalAppError(`the registry API's function URL has AuthType ${routes.authType}, not AWS_IAM`);
    }
    if (!routes.waiters.some((waiter) => waiter.stateMachineArn === options.stateMachineArn)) {
      throw new LocalAppError(`the registry does not start waits in ${options.stateMachineArn}`);
    }
    const machine = runnableMachine(
      options.template,
      stateMachineLogicalId(options.stateMachineArn) as string,
    );
    const log = options.log ?? (() => {});
    // The clock starts at the real time, so the page's times read as today.
    const clock = new VirtualClock(Date.now());
    const timers = new VirtualTimers(clock);
    const scheduler = new FleetScheduler(
      timers,
      options.speed === undefined
        ? undefined
        : {
            speed: options.speed,
            onError: (error) => log({ event: 'timerFailed', error: (error as Error).message }),
          },
    );
    const stops: (() => Promise<void>)[] = [];
    // The clock stops first, so nothing fires against a part already stopped; then the executions (a stopped
    // one waits for no clock), then each part, the last started first.
    const stopAll = async () => {
      await scheduler.stop();
      for (const stop of stops.splice(0).reverse()) await stop();
    };
    try {
      const batch = await BatchEmulator.start({ clock, random: options.random });
      stops.push(() => batch.stop());
      registerTargets(batch, machine.submitTargets);
      batch.registerJobQueue(LOCAL_JOB_QUEUE);
      batch.registerJobDefinition(LOCAL_JOB_DEFINITION);
      const registry = await LocalRegistry.start(() => clock.now(), routes.tableName);
      stops.push(() => registry.stop());
      const wakeUps =
        machine.wakeUps === undefined
          ? undefined
          : await LocalWakeUps.start({ routes: machine.wakeUps, timers, random: options.random, batch, log });
      if (wakeUps !== undefined) stops.push(() => wakeUps.stop());
      const pollerRegistry = options.registryWriteThrottle
        ? registry.throttledStore(options.registryWriteThrottle, options.random)
        : undefined;
      // Segments a wait hands over to are executions of the account too (a cancel stops them).
      let executions: LocalExecutions | undefined;
      const local = new LocalMachine({
        machine,
        batchEndpoint: batch.endpoint,
        clock,
        random: options.random,
        handOver: { onStarted: (child) => executions?.adopt(child) },
        registry: { store: pollerRegistry?.store ?? registry.store },
        fleet: scheduler,
        timers,
        log,
        ...(wakeUps === undefined ? {} : { wakeUps }),
      });

      // Execution ends travel as EventBridge delivers them: by the template's rule, late, at least once.
      const bus = new LocalEventBus(timers, options.random, ENDS_DELIVERY);
      const recording = new Set<Promise<void>>();
      bus.addRule(routes.ends.rule, routes.ends.pattern, (event) => {
        const recorded = recordExecutionEnd(registry.store, event as never).then(
          (result) => log({ event: 'executionEnd', ...result }),
          (error: unknown) => log({ event: 'executionEndFailed', error: (error as Error).message }),
        );
        recording.add(recorded);
        void recorded.finally(() => recording.delete(recorded));
      });
      executions = new LocalExecutions(
        [
          {
            stateMachineArn: machine.stateMachineArn,
            definition: machine.definition,
            run: (input, execution) => local.run(input, execution),
          },
        ],
        clock,
        (event) => bus.put(event),
      );
      // Stopped executions leave their tasks' invocations and end recordings to finish: they still write.
      stops.push(async () => {
        await executions?.stopAll();
        await local.invocationsDone();
        while (recording.size > 0) await Promise.allSettled([...recording]);
      });
      const stepFunctions = await LocalStepFunctionsEndpoint.start({ executions });
      stops.push(() => stepFunctions.stop());

      // The registry API as deployed, its waiters read from their definitions through DescribeStateMachine.
      const sfn = stepFunctions.client(3);
      const api = createRegistryApi({
        store: registry.store,
        sfn,
        waiters: await loadRegistryWaiters(sfn, routes.waiters),
        adminIds: new Set(routes.adminIds),
        terminate: (system, jobIds, reason) =>
          terminateSubmittedJobs(localBatchClient(batch.endpoint), system, jobIds, reason),
        newWaitId: randomUUID,
        now: () => clock.now(),
        log,
      });
      const registryApi = await LocalFunctionUrl.start(api, {
        iam: { region: LOCAL_REGION, identities: options.users },
      });
      stops.push(() => registryApi.stop());
      const deployment = new LocalDeployment(
        clock,
        scheduler,
        batch,
        registry,
        executions,
        stepFunctions,
        registryApi,
        routes,
        machine,
        api,
        {
          stop: stopAll,
          settle: async () => {
            // What is still on its way (an end event, its recording) arrives: the clock moves to each in turn.
            for (;;) {
              await scheduler.idle();
              if (recording.size > 0) await Promise.all(recording);
              else if (timers.nextAt() !== undefined) await timers.runNext();
              else return;
            }
          },
          pollerWrites: () => ({
            writes: pollerRegistry?.writes() ?? 0,
            throttled: pollerRegistry?.throttled() ?? 0,
          }),
        },
      );
      // Its time counts from now: starting the parts took real time the clock should not leap over.
      scheduler.anchorPace();
      return deployment;
    } catch (error) {
      await stopAll();
      throw error;
    }
  }

  /** With registryWriteThrottle: the pollers' registry writes, and those DynamoDB throttled. */
  pollerWrites(): { writes: number; throttled: number } {
    return this.lifecycle.pollerWrites();
  }

  /**
   * An unpaced deployment with no execution running: lets everything still on its way arrive (end events,
   * their recording). A paced clock has recurring work and never settles: stop it instead.
   */
  async settle(): Promise<void> {
    await this.lifecycle.settle();
  }

  /** Stops the clock, every execution still running, then each part, the last started first. */
  async stop(): Promise<void> {
    await this.lifecycle.stop();
  }
}
