import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import type { WaiterModel } from '../../waiters';
import { type DqopsFailAtSeverity, dqopsWaiterModel } from '../../waiters/dqops/jobs';
import type { IJobSystem } from '../job-system';
import { stepwaitPoller } from '../poller-function';

const FAIL_AT: readonly string[] = ['warning', 'error', 'fatal'] satisfies DqopsFailAtSeverity[];

export interface DqopsJobsProps {
  /**
   * The DQOps API's base URL, https (e.g. `https://dqops.example.com`). Required: DQOps' own default,
   * http://localhost:8888, means nothing inside Lambda. A private DQOps needs the poller in its VPC
   * (JobWaiter's `vpc`).
   */
  readonly baseUrl: string;
  /**
   * The secret holding a DQOps API key (its SecretString the key itself, or JSON `{ "apiKey": "..." }`),
   * sent as `Authorization: Bearer <key>`. The poller may read this secret and no other.
   * @default - no key: a DQOps without authentication
   */
  readonly apiKey?: secretsmanager.ISecret;
  /**
   * Fail a finished run-checks job whose highest severity is this or worse (the Airflow operator's
   * fail_at_severity), with the severity in the cause.
   * @default 'fatal'
   */
  readonly failAtSeverity?: DqopsFailAtSeverity;
}

/**
 * DQOps jobs (run checks, collect statistics, imports), by job id or job business key. Polls `GET
 * /api/jobs/jobs/{id}`; with `cancelJobOnTimeout` the poller cancels through `DELETE` of the same path.
 */
export class DqopsJobs implements IJobSystem {
  readonly systemId = 'dqops';
  readonly waiterModel: WaiterModel;
  readonly endpoint: string;
  readonly cancelsInMachine = false;
  readonly submits = false;
  private readonly apiKey?: secretsmanager.ISecret;
  private readonly failAtSeverity?: DqopsFailAtSeverity;

  constructor(props: DqopsJobsProps) {
    this.endpoint = props.baseUrl;
    this.apiKey = props.apiKey;
    this.failAtSeverity = props.failAtSeverity;
    // A wrong severity is reported by problems() at synth, by construct path; the model keeps the default.
    this.waiterModel = FAIL_AT.includes(props.failAtSeverity ?? 'fatal')
      ? dqopsWaiterModel(props.failAtSeverity)
      : dqopsWaiterModel();
  }

  problems(): { prop: string; detail: string }[] {
    const severity = this.failAtSeverity;
    if (severity === undefined || FAIL_AT.includes(severity)) return [];
    return [
      { prop: 'failAtSeverity', detail: `expected warning, error or fatal, got ${JSON.stringify(severity)}` },
    ];
  }

  bindPoller(scope: IConstruct, poller: lambda.IFunction): void {
    stepwaitPoller(
      scope,
      poller,
      `a ${this.systemId} wait gives its poller the one endpoint (and secret) it may use`,
    ).allowEndpoint({
      system: this.systemId,
      baseUrl: this.endpoint,
      secret: this.apiKey,
    });
  }
}
