import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import { airbyteWaiterModel } from '../../waiters/airbyte/jobs';
import type { IJobSystem } from '../job-system';
import { stepwaitPoller } from '../poller-function';

export interface AirbyteJobsProps {
  /**
   * The Airbyte API's base URL, https: `https://api.airbyte.com` for Airbyte Cloud, `https://<host>/api/public`
   * for a self-managed Airbyte (a private one needs the poller in its VPC: JobWaiter's `vpc`).
   */
  readonly baseUrl: string;
  /**
   * The secret with the application's client credentials, JSON `{ "clientId": "...", "clientSecret": "..." }`,
   * exchanged for short-lived bearer tokens. The poller may read this secret and no other.
   * @default - none: an Airbyte without authentication
   */
  readonly credentials?: secretsmanager.ISecret;
  /**
   * Trigger-and-wait: a wait for a connection (`{ "jobName": "<connectionId>" }`) starts its sync when none
   * started since the wait began, and attaches to it otherwise (a retried or re-run wait never starts a
   * second sync; Airbyte's 409 "already running" is an attach). Without it, such a wait waits for the
   * connection's next sync (started by Airbyte's schedule, say).
   * @default false
   */
  readonly triggerSync?: boolean;
}

/**
 * Airbyte jobs (syncs, resets), by job id, or by connection id. Polls `GET /v1/jobs/{jobId}`; with
 * `cancelJobOnTimeout` the poller cancels through `DELETE /v1/jobs/{jobId}`.
 */
export class AirbyteJobs implements IJobSystem {
  readonly systemId = 'airbyte';
  readonly waiterModel = airbyteWaiterModel;
  readonly endpoint: string;
  readonly cancelsInMachine = false;
  readonly submits = false;
  readonly triggers: boolean;
  private readonly credentials?: secretsmanager.ISecret;

  constructor(props: AirbyteJobsProps) {
    this.endpoint = props.baseUrl;
    this.credentials = props.credentials;
    this.triggers = props.triggerSync ?? false;
  }

  bindPoller(scope: IConstruct, poller: lambda.IFunction): void {
    stepwaitPoller(
      scope,
      poller,
      `a ${this.systemId} wait gives its poller the one endpoint (and secret) it may use`,
    ).allowEndpoint({
      system: this.systemId,
      baseUrl: this.endpoint,
      secret: this.credentials,
    });
  }
}
