import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { JobWaiter, type JobWaiterProps } from './job-waiter';

export interface StepWaitStackProps extends StackProps {
  /** Options of the AWS Batch waiter this stack deploys. */
  readonly waiter?: JobWaiterProps;
}

/** The example deployment: one JobWaiter for AWS Batch, its ARN as a stack output. */
export class StepWaitStack extends Stack {
  readonly waiter: JobWaiter;

  constructor(scope: Construct, id: string, props: StepWaitStackProps = {}) {
    super(scope, id, props);
    this.waiter = new JobWaiter(this, 'BatchJobWaiter', { alarms: true, ...props.waiter });
    new CfnOutput(this, 'StateMachineArn', {
      value: this.waiter.stateMachine.stateMachineArn,
      description: 'Start a wait: aws stepfunctions start-execution --input \'{"jobId":"..."}\'',
    });
  }
}
