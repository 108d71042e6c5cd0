import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { batchIo } from '../../lambdas/batch/io';
import { createCallbackHandler } from '../../lambdas/callback';
import type { CallbackSigning } from '../../lambdas/poll';
import { cachedSecret } from '../../lambdas/secrets';
import { createSweeper } from '../../lambdas/sweeper';
import type { WakeUpDependencies } from '../../lambdas/wake-up/park';
import { ParkStore } from '../../lambdas/wake-up/park-store';
import { createWaker } from '../../lambdas/waker';
import { batchJobSystem } from '../../waiters';
import type { BatchEmulator } from './batch-emulator';
import { BatchStateChangeEvents } from './batch-emulator/state-change-events';
import { localBatchClient } from './batch-integrations';
import { DEFAULT_EVENT_DELIVERY, type EventDelivery, LocalEventBus } from './event-bus';
import { LocalFunctionUrl } from './function-url-server';
import type { SimulatedLatencies } from './latencies';
import { LocalDynamoDb, throughputExceeded } from './local-dynamodb';
import { LocalQueue } from './local-queue';
import { JOB_CALLER } from './local-users';
import { SecretsEmulator } from './secrets-emulator';
import { LocalStepFunctionsEndpoint } from './step-functions-endpoint';
import { LocalTaskTokens } from './task-tokens';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './template';
import type { VirtualTimers } from './virtual-timers';
import type { WakeUpRoutes } from './wake-up-routes';

/**
 * Event mode on this machine, with the real protocols and the deployed code: the park table in dynalite,
 * task tokens answered on a loopback Step Functions endpoint, the local Batch's state-change events routed
 * by the template's own rules through a local bus (delay, loss, duplicates) into queues drained by the
 * shipped waker, all on one virtual clock.
 */
export interface LocalWakeUpsOptions {
  readonly routes: WakeUpRoutes;
  readonly timers: VirtualTimers;
  readonly random: () => number;
  /** Where state-change events come from. */
  readonly batch: BatchEmulator;
  readonly delivery?: EventDelivery;
  /** Whether the template's sweeper runs on its schedule (default true; false models it being down). */
  readonly sweeps?: boolean;
  /** Simulated time the event source mapping takes to hand a message to the waker. */
  readonly latencies?: SimulatedLatencies;
  /** The waker's log lines. */
  readonly log?: (line: Record<string, unknown>) => void;
  readonly faults?: WakeUpFaults;
}

/** Faults of the wake-up path, each a probability per call (0 to 1), for `npm run faults`. */
export interface WakeUpFaults {
  /** SendTaskSuccess (waker, sweeper, a park waking itself) answered ThrottlingException. */
  readonly sendTaskThrottleProbability?: number;
  /** A DynamoDB call answered ProvisionedThroughputExceededException (before it reaches the table). */
  readonly dynamoDbThrottleProbability?: number;
  /** The waker crashes after SendTaskSuccess, before deleting the record (its message comes back). */
  readonly wakerCrashAfterWakeProbability?: number;
}

export class LocalWakeUps {
  readonly bus: LocalEventBus;
  readonly queues: LocalQueue[] = [];
  readonly events: BatchStateChangeEvents;
  readonly store: ParkStore;
  /** Each sweep's report, as the sweeper logs it. */
  readonly sweeps: Record<string, unknown>[] = [];
  /** DynamoDB calls by command (PutItem, Query, ...), and the items Scans read: what the table bills. */
  readonly dynamoDbCalls: Record<string, number> = {};
  /** Faults injected so far. */
  readonly injected = { dynamoDbThrottles: 0, sendTaskThrottles: 0, wakerCrashes: 0 };
  /** The sweeper's schedule, when the template has one. */
  readonly sweepIntervalSeconds?: number;
  private scannedItems = 0;

  private constructor(
    readonly tokens: LocalTaskTokens,
    private readonly dynamo: LocalDynamoDb,
    private readonly endpoint: LocalStepFunctionsEndpoint,
    private readonly dynamoClient: DynamoDBClient,
    private readonly sfn: SFNClient,
    options: LocalWakeUpsOptions,
  ) {
    const { routes, timers } = options;
    dynamoClient.middlewareStack.add(
      (next, context) => async (args) => {
        const name = String(context.commandName).replace(/Command$/, '');
        this.dynamoDbCalls[name] = (this.dynamoDbCalls[name] ?? 0) + 1;
        if (options.random() < (options.faults?.dynamoDbThrottleProbability ?? 0)) {
          this.injected.dynamoDbThrottles++;
          throw throughputExceeded();
        }
        const result = await next(args);
        if (name === 'Scan')
          this.scannedItems += Number((result.output as { ScannedCount?: number }).ScannedCount ?? 0);
        return result;
      },
      { step: 'initialize', name: 'stepwaitLocalUsage' },
    );
    this.store = new ParkStore(dynamoClient, routes.tableName, () => timers.clock.now());
    const crashes = options.faults?.wakerCrashAfterWakeProbability ?? 0;
    // The waker's store: with crashes injected, deleting a used record may kill the invocation first.
    const wakerStore =
      crashes === 0
        ? this.store
        : Object.assign(Object.create(this.store) as ParkStore, {
            deleteUsed: async (record: Parameters<ParkStore['deleteUsed']>[0]) => {
              if (options.random() < crashes) {
                this.injected.wakerCrashes++;
                throw new Error('the waker crashed after SendTaskSuccess (injected)');
              }
              return this.store.deleteUsed(record);
            },
          });
    const waker = createWaker({ store: wakerStore, sfn, log: options.log ?? (() => {}) });
    this.bus = new LocalEventBus(timers, options.random, options.delivery ?? DEFAULT_EVENT_DELIVERY);
    for (const route of routes.queues) {
      const queue = new LocalQueue(timers, {
        visibilityTimeoutSeconds: route.visibilityTimeoutSeconds,
        maxReceiveCount: route.maxReceiveCount,
        batchSize: route.batchSize,
        ...(options.latencies === undefined
          ? {}
          : { receiveDelaySeconds: () => options.latencies?.pickUpSeconds(options.random) ?? 0 }),
        consumer: waker,
      });
      this.queues.push(queue);
      for (const rule of route.rules)
        this.bus.addRule(rule.name, rule.pattern, (event) => queue.send(JSON.stringify(event)));
    }
    this.sweepIntervalSeconds = routes.sweeper?.intervalSeconds;
    if (routes.sweeper !== undefined && options.sweeps !== false) {
      const sweep = createSweeper({
        store: this.store,
        sfn,
        systems: [{ model: batchJobSystem, io: batchIo(localBatchClient(options.batch.endpoint)) }],
        now: () => timers.clock.now(),
        log: (line) => {
          this.sweeps.push(line);
          options.log?.(line);
        },
      });
      const every = routes.sweeper.intervalSeconds;
      // EventBridge runs a rate schedule from when the rule was created: here, from the run's start.
      const schedule = (at: number) =>
        timers.at(at, async () => {
          schedule(at + every * 1000);
          await sweep();
        });
      schedule(timers.clock.now() + every * 1000);
    }
    this.events = new BatchStateChangeEvents(options.batch, timers, (event, at) => this.bus.put(event, at), {
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
    });
  }

  /** With callbacks: the signing-key secret, the function URL, and what pollers mint URLs with. */
  private callbacks?: { secrets: SecretsEmulator; url: LocalFunctionUrl; signing: CallbackSigning };

  /** How the callback URL authenticates its callers (AWS_IAM: SigV4 with the local job's key). */
  callbackAuthType(): string | undefined {
    return this.callbackAuth;
  }

  private callbackAuth?: string;

  /** What a poller whose environment names the callback URL mints URLs with. */
  callbackSigning(): CallbackSigning | undefined {
    return this.callbacks?.signing;
  }

  /**
   * The callback function behind a URL on 127.0.0.1, its keys in a local Secrets Manager. A URL with
   * AuthType AWS_IAM checks each request's SigV4 signature as Lambda does, and takes the local job's key
   * (JOB_CALLER) only: anything else is 403 without the function running.
   */
  private async startCallbacks(
    callback: NonNullable<WakeUpRoutes['callback']>,
    options: LocalWakeUpsOptions,
  ) {
    const secrets = await SecretsEmulator.start();
    secrets.put(
      callback.keysSecretArn,
      JSON.stringify({ current: 'k1', k1: randomBytes(36).toString('base64url') }),
    );
    const now = () => options.timers.clock.now();
    const handler = createCallbackHandler({
      store: this.store,
      sfn: this.sfn,
      keys: cachedSecret(secrets.client(), callback.keysSecretArn, now),
      now,
      log: (line) => {
        this.callbackCalls.push(line);
        options.log?.(line);
      },
    });
    const url = await LocalFunctionUrl.start(
      handler,
      callback.authType === 'AWS_IAM' ? { iam: { region: LOCAL_REGION, identities: [JOB_CALLER] } } : {},
    );
    this.callbackAuth = callback.authType;
    this.callbacks = {
      secrets,
      url,
      signing: { baseUrl: url.url, keys: cachedSecret(secrets.client(), callback.keysSecretArn, now) },
    };
  }

  /** What the callback function logged (`callback`, `callbackRefused`), oldest first. */
  readonly callbackCalls: Record<string, unknown>[] = [];

  static async start(options: LocalWakeUpsOptions): Promise<LocalWakeUps> {
    const dynamo = await LocalDynamoDb.start();
    const tokens = new LocalTaskTokens(options.timers);
    let endpoint: LocalStepFunctionsEndpoint | undefined;
    try {
      await dynamo.createTable(options.routes.tableName, 'pk', 'sk');
      let wakeUps: LocalWakeUps | undefined;
      const throttle = options.faults?.sendTaskThrottleProbability ?? 0;
      endpoint = await LocalStepFunctionsEndpoint.start({
        tokens,
        throttled: () => {
          if (throttle === 0 || options.random() >= throttle) return false;
          if (wakeUps !== undefined) wakeUps.injected.sendTaskThrottles++;
          return true;
        },
      });
      wakeUps = new LocalWakeUps(tokens, dynamo, endpoint, dynamo.client(), endpoint.client(), options);
      if (options.routes.callback !== undefined)
        await wakeUps.startCallbacks(options.routes.callback, options);
      return wakeUps;
    } catch (error) {
      await endpoint?.stop();
      await dynamo.stop();
      throw error;
    }
  }

  /**
   * What event mode used, in the units AWS bills: a write unit per PutItem and DeleteItem (items under
   * 1 KB), a read unit per strongly consistent Query (under 4 KB), half a unit per 4 KB a Scan reads
   * (eventually consistent, items of about 400 bytes, at least half a unit a call); SQS requests: the
   * SendMessage of each delivered event, and a ReceiveMessage and a DeleteMessageBatch per waker batch.
   */
  usage(): {
    dynamoDbWrites: number;
    dynamoDbReads: number;
    sqsRequests: number;
    wakerInvocations: number;
    sweeperInvocations: number;
  } {
    const calls = (name: string) => this.dynamoDbCalls[name] ?? 0;
    const scans = calls('Scan');
    const wakerInvocations = this.queues.reduce((sum, queue) => sum + queue.stats.invocations, 0);
    return {
      dynamoDbWrites: calls('PutItem') + calls('DeleteItem'),
      // A sweep of this wait's records: the share of a Scan it adds (the Scan's own minimum is a fixed cost).
      dynamoDbReads: calls('Query') + (scans === 0 ? 0 : (this.scannedItems * 400) / 4096 / 2),
      sqsRequests: this.queues.reduce((sum, queue) => sum + queue.stats.sent, 0) + 2 * wakerInvocations,
      wakerInvocations,
      sweeperInvocations: this.sweeps.length,
    };
  }

  /** What the poller's park needs: the same table and Step Functions, through clients of its own. */
  dependencies(): WakeUpDependencies {
    return { store: this.store, sfn: this.sfn };
  }

  async stop(): Promise<void> {
    await this.callbacks?.url.stop();
    await this.callbacks?.secrets.stop();
    this.dynamoClient.destroy();
    this.sfn.destroy();
    await this.endpoint.stop();
    await this.dynamo.stop();
  }
}
