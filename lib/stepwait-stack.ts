import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import { EtlPipeline } from './examples/etl-pipeline';
import { JobWaiter, type JobWaiterProps } from './job-waiter';

export interface StepWaitStackProps extends StackProps {
  /** Options of the AWS Batch waiter this stack deploys. */
  readonly waiter?: JobWaiterProps;
  /**
   * Also deploy the examples: a nightly schedule waiting for that night's `nightly-etl-<date>` job, and a
   * pipeline machine that runs the waiter nested and inline.
   * @default true
   */
  readonly examples?: boolean;
}

/** The example deployment: one JobWaiter for AWS Batch, its ARN as a stack output. */
export class StepWaitStack extends Stack {
  readonly waiter: JobWaiter;
  readonly pipeline?: EtlPipeline;

  constructor(scope: Construct, id: string, props: StepWaitStackProps = {}) {
    super(scope, id, props);
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
      ...props.waiter,
    });
    new CfnOutput(this, 'StateMachineArn', {
      value: this.waiter.stateMachine.stateMachineArn,
      description: 'Start a wait: aws stepfunctions start-execution --input \'{"jobId":"..."}\'',
    });
    if (examples) {
      this.pipeline = new EtlPipeline(this, 'EtlPipeline', { waiter: this.waiter });
      new CfnOutput(this, 'PipelineStateMachineArn', { value: this.pipeline.stateMachine.stateMachineArn });
    }
  }
}
