import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { acknowledge } from './acknowledgements';
import { AirbyteJobs } from './airbyte/airbyte-jobs';
import { DqopsJobs } from './dqops/dqops-jobs';
import { EtlPipeline } from './examples/etl-pipeline';
import { JobWaiter, type JobWaiterProps } from './job-waiter';
import { REGISTRY_ID, Registry, type RegistryProps } from './registry/registry';
import { type CallbackOptions, WakeUps } from './wake-up/wake-ups';

/** The job systems the example app can deploy a waiter for (`stepwait local --system`, `bench --system`). */
export const EXAMPLE_SYSTEMS = ['batch', 'dqops', 'airbyte'] as const;
export type ExampleSystem = (typeof EXAMPLE_SYSTEMS)[number];

export interface StepWaitStackProps extends StackProps {
  /** Options of the waiter this stack deploys. */
  readonly waiter?: JobWaiterProps;
  /**
   * The job system of the example waiter: AWS Batch, DQOps (at `dqopsBaseUrl`, its API key in a new
   * secret) or Airbyte (at `airbyteBaseUrl`, its client credentials in a new secret); no schedule or
   * pipeline examples but for Batch. `stepwait local --system <s>` runs it.
   * @default 'batch'
   */
  readonly system?: ExampleSystem;
  /** @default 'https://dqops.example.com' */
  readonly dqopsBaseUrl?: string;
  /** @default 'https://api.airbyte.com' (Airbyte Cloud) */
  readonly airbyteBaseUrl?: string;
  /**
   * Also deploy the examples: a nightly schedule waiting for that night's `nightly-etl-<date>` job, and a
   * pipeline machine that runs the waiter nested and inline.
   * @default true
   */
  readonly examples?: boolean;
  /**
   * Keep the stack's WakeUps for the Batch waiter whatever its `wakeUp`: with `wakeUp: 'poll'` it drains
   * (its new waits poll; the waits parked before the deploy are still woken). For a deploy that switches
   * event mode off, and its tests.
   * @default false
   */
  readonly drainWakeUps?: boolean;
  /**
   * With the Batch waiter in event mode: give each wait a callback URL (`WakeUps` `callbacks`); with options
   * (`authType: AWS_IAM`, say), made with them.
   * @default false
   */
  readonly callbacks?: boolean | CallbackOptions;
  /**
   * Record the Batch waiter's waits in the stack's Registry, with its API (`RegistryUrl` output); with
   * props (its admins, say), a Registry made with them.
   * @default false
   */
  readonly registry?: boolean | RegistryProps;
}

/** The example deployment: one JobWaiter for AWS Batch, its ARN as a stack output. */
export class StepWaitStack extends Stack {
  readonly waiter: JobWaiter;
  readonly pipeline?: EtlPipeline;

  constructor(scope: Construct, id: string, props: StepWaitStackProps = {}) {
    super(scope, id, props);
    const system = props.system ?? 'batch';
    if (system !== 'batch') {
      this.waiter = this.httpSystemWaiter(system, props);
      this.stateMachineOutput();
      return;
    }
    const examples = props.examples ?? true;
    this.waiter = new JobWaiter(this, 'BatchJobWaiter', {
      alarms: true,
      schedules: examples
        ? [
            {
              schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '2' }),
              // A waiter that submits looks the key up in its own queue: the input names none then.
              input: {
                jobNamePrefix: 'nightly-etl-',
                ...(props.waiter?.submit ? {} : { jobQueue: 'nightly' }),
                timeoutSeconds: 6 * 3_600,
              },
              description: "Waits for that night's nightly-etl-<date> job",
            },
          ]
        : undefined,
      ...(props.callbacks
        ? {
            wakeUps: new WakeUps(this, 'StepWaitWakeUps', {
              callbacks: props.callbacks === true ? {} : props.callbacks,
            }),
          }
        : props.drainWakeUps
          ? { wakeUps: WakeUps.of(this) }
          : {}),
      ...(props.registry
        ? {
            registry:
              props.registry === true ? Registry.of(this) : new Registry(this, REGISTRY_ID, props.registry),
          }
        : {}),
      ...props.waiter,
    });
    this.stateMachineOutput();
    if (this.waiter.registry !== undefined) {
      new CfnOutput(this, 'RegistryUrl', {
        value: this.waiter.registry.url.url,
        description: 'The registry API (AuthType AWS_IAM): stepwait list --mine, stepwait ui',
      });
    }
    if (examples) {
      this.pipeline = new EtlPipeline(this, 'EtlPipeline', { waiter: this.waiter });
      new CfnOutput(this, 'PipelineStateMachineArn', { value: this.pipeline.stateMachine.stateMachineArn });
    }
  }

  /**
   * The example waiter of a system reached over HTTP, its credentials in a new secret (filled in after
   * deploying). Each system issues its credentials itself, so a rotation starts there (cdk-nag SMG4).
   */
  private httpSystemWaiter(system: Exclude<ExampleSystem, 'batch'>, props: StepWaitStackProps): JobWaiter {
    const examples = {
      dqops: {
        waiterId: 'DqopsJobWaiter',
        secretId: 'DqopsApiKey',
        secretDescription: 'The DQOps API key the waiter sends (put it in after deploying)',
        issuer: 'DQOps issues its API keys itself (its environment API)',
        jobSystem: (secret: secretsmanager.ISecret) =>
          new DqopsJobs({ baseUrl: props.dqopsBaseUrl ?? 'https://dqops.example.com', apiKey: secret }),
      },
      airbyte: {
        waiterId: 'AirbyteJobWaiter',
        secretId: 'AirbyteCredentials',
        secretDescription:
          'The Airbyte application\'s client credentials, {"clientId": ..., "clientSecret": ...}',
        issuer: 'Airbyte issues application client credentials itself',
        jobSystem: (secret: secretsmanager.ISecret) =>
          new AirbyteJobs({
            baseUrl: props.airbyteBaseUrl ?? 'https://api.airbyte.com',
            credentials: secret,
          }),
      },
    }[system];
    const secret = new secretsmanager.Secret(this, examples.secretId, {
      description: examples.secretDescription,
    });
    acknowledge(
      secret,
      'AwsSolutions-SMG4',
      `${examples.issuer}; a rotation must start there, so this secret holds what it gave and is rotated by replacing it.`,
    );
    return new JobWaiter(this, examples.waiterId, {
      alarms: true,
      jobSystem: examples.jobSystem(secret),
      ...props.waiter,
    });
  }

  private stateMachineOutput(): void {
    new CfnOutput(this, 'StateMachineArn', {
      value: this.waiter.stateMachine.stateMachineArn,
      description: 'Start a wait: aws stepfunctions start-execution --input \'{"jobId":"..."}\'',
    });
  }
}
