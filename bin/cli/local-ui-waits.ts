import type { JobOutcome } from '../../lib/local/batch-emulator';
import type { LocalDeployment } from '../../lib/local/local-deployment';
import { ALICE, BOB, keysOf, type LocalUser } from '../../lib/local/local-users';
import { LOCAL_REGION } from '../../lib/local/template';
import { RegistryClient } from './account/registry-client';

/**
 * What goes on in `stepwait local --ui`: the local users start waits through the registry API, each signed
 * with their own local key, on jobs put in the local Batch; the nightly schedule starts one directly (so
 * the registry records it unverified, for admins only); and a new wait starts every so often, so there is
 * always something in flight.
 */
export interface LocalJob {
  /** Seconds it queues, then runs. */
  readonly queueSeconds: number;
  readonly runSeconds: number;
  readonly outcome: JobOutcome;
}

export interface ScenarioWait {
  readonly user: LocalUser;
  readonly name: string;
  readonly description: string;
  readonly properties?: Readonly<Record<string, string>>;
  /** One job, or several (a multi-job wait: Various while they differ). */
  readonly jobs: readonly LocalJob[];
}

export const job = (
  queueSeconds: number,
  runSeconds: number,
  outcome: JobOutcome = 'SUCCEEDED',
): LocalJob => ({
  queueSeconds,
  runSeconds,
  outcome,
});

/** The waits in flight when the page first opens: short and long, failing and succeeding, one and several jobs. */
export const OPENING_WAITS: readonly ScenarioWait[] = [
  {
    user: ALICE,
    name: 'orders-nightly-load',
    description: 'Loads the day’s orders into the warehouse',
    properties: { team: 'data', table: 'orders' },
    jobs: [job(60, 600)],
  },
  {
    user: ALICE,
    name: 'clickstream-backfill',
    description: 'Backfills November’s clickstream',
    jobs: [job(300, 3 * 3_600)],
  },
  {
    user: ALICE,
    name: 'partition-scan',
    description: 'Scans three partitions; one of them is corrupt',
    jobs: [job(60, 900), job(60, 1_800, 'FAILED'), job(120, 2_400)],
  },
  {
    user: BOB,
    name: 'crm-hourly-sync',
    description: 'Syncs the CRM',
    jobs: [job(30, 1_200)],
  },
  {
    user: BOB,
    name: 'invoice-export',
    description: 'Exports invoices for accounting',
    jobs: [job(120, 480, 'FAILED')],
  },
  {
    user: BOB,
    name: 'churn-model-training',
    description: 'Trains the churn model',
    properties: { model: 'churn-v7' },
    jobs: [job(600, 5 * 3_600)],
  },
];

/** The job the nightly schedule waits for (started by StartExecution, as EventBridge Scheduler would). */
export const SCHEDULED_JOB = job(120, 2 * 3_600);
export const SCHEDULED_EXECUTION_NAME = 'nightly-etl-schedule';

/** How often a new wait starts, in virtual seconds. */
export const NEW_WAIT_EVERY_SECONDS = 15 * 60;

export class LocalUiWaits {
  /** Waits started so far, by name: what the page should show. */
  readonly started: { waitId: string; user: LocalUser; name: string; jobIds: string[] }[] = [];
  private sequence = 0;

  constructor(
    private readonly deployment: LocalDeployment,
    private readonly random: () => number,
    /** A new wait that could not start (the registry API refused it, or is gone). */
    private readonly onError: (error: Error) => void,
  ) {}

  /** The job the nightly schedule's wait watches (that wait is named after it: it has no registry name). */
  scheduledJobId: string | undefined;

  /** Puts the jobs in the local Batch and starts the wait through the registry API, as its user. */
  async start(wait: ScenarioWait): Promise<string> {
    const jobIds = wait.jobs.map((spec) => this.deployment.addJob({ ...spec, jobName: wait.name }));
    const client = new RegistryClient(this.deployment.registryUrl, keysOf(wait.user), LOCAL_REGION);
    const answer = await client.call({
      method: 'POST',
      path: '/waits',
      body: {
        name: wait.name,
        description: wait.description,
        waiter: this.deployment.waiterName,
        ...(wait.properties === undefined ? {} : { properties: wait.properties }),
        input: jobIds.length === 1 ? { jobId: jobIds[0] } : { jobIds },
      },
    });
    if (answer.status !== 201) {
      throw new Error(
        `the registry API refused ${wait.user.name}'s wait ${wait.name}: ${JSON.stringify(answer.body)}`,
      );
    }
    const { waitId } = (answer.body as { wait: { waitId: string } }).wait;
    this.started.push({ waitId, user: wait.user, name: wait.name, jobIds });
    return waitId;
  }

  /** Starts the opening waits and the schedule's, then a new one every NEW_WAIT_EVERY_SECONDS. */
  async open(): Promise<void> {
    for (const wait of OPENING_WAITS) await this.start(wait);
    const jobId = this.deployment.addJob({ ...SCHEDULED_JOB, jobName: 'nightly-etl' });
    this.scheduledJobId = jobId;
    this.deployment.executions.startExecution({
      stateMachineArn: this.deployment.machine.stateMachineArn,
      name: SCHEDULED_EXECUTION_NAME,
      input: JSON.stringify({ jobId }),
    });
    this.scheduleNext();
  }

  private scheduleNext(): void {
    this.deployment.scheduler.timers.after(NEW_WAIT_EVERY_SECONDS, () => {
      this.scheduleNext();
      const user = this.random() < 0.5 ? ALICE : BOB;
      const minutes = 5 + Math.floor(this.random() * 175);
      this.start({
        user,
        name: `${user.name}-adhoc-${++this.sequence}`,
        description: `An ad-hoc job of ${minutes} minutes`,
        jobs: [job(60, minutes * 60, this.random() < 0.15 ? 'FAILED' : 'SUCCEEDED')],
      }).catch(this.onError);
    });
  }
}
