#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { StepWaitStack } from '../lib/stepwait-stack';

/** The CDK app behind `cdk synth` / `cdk deploy` (cdk.json points here). */
const app = new App();
new StepWaitStack(app, 'StepWaitStack', {
  description: 'stepwait: waits for AWS Batch jobs in Step Functions, nothing running between polls',
});
app.synth();
