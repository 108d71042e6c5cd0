import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { batchWaiterModel, type WaiterModel } from '../waiters';

/**
 * The job system a wait polls, as the constructs see it: what goes into the poller config and what the
 * poller needs to reach the system. AWS Batch is the default; `DqopsJobs` (lib/dqops/) reaches a DQOps over
 * HTTPS. Each implementation names its system by the id lambdas/job-systems.ts registers it under.
 */
export interface IJobSystem {
  /** The registered id (`batch`, `dqops`). */
  readonly systemId: string;
  /** The waiters a wait decides with unless `waiterModel` is given. */
  readonly waiterModel: WaiterModel;
  /** The base URL of a system reached over HTTPS; the poller may call it and no other. */
  readonly endpoint?: string;
  /** The state machine stops jobs itself on a timeout (Batch's TerminateJob); otherwise the poller cancels. */
  readonly cancelsInMachine: boolean;
  /** The machine can submit the job (`submit`): AWS Batch only, for now. */
  readonly submits: boolean;
  /** The poller starts a business key's job when none started since the wait began (Airbyte's syncs). */
  readonly triggers?: boolean;
  /**
   * Gives a poller what it needs to call the system (the allowed endpoint and its secret). Called for every
   * wait that uses the poller; `scope` is the wait, for errors reported at synth.
   */
  bindPoller(scope: IConstruct, poller: lambda.IFunction): void;
  /** Mistakes in the system's own props, each as the prop (under `jobSystem.`) and what is wrong. */
  problems?(): { prop: string; detail: string }[];
}

/** AWS Batch: the poller's role reads job status (PollerFunction grants it), the machine submits and terminates. */
export const BATCH_JOBS: IJobSystem = {
  systemId: 'batch',
  waiterModel: batchWaiterModel,
  cancelsInMachine: true,
  submits: true,
  bindPoller: () => {},
};
