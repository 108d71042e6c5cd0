import type { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledge } from './acknowledgements';
import { lambdaEntry, ownLogsAndRole } from './poller-function';

export interface HandlerFunctionOptions {
  readonly timeout: Duration;
  readonly description: string;
  readonly roleDescription: string;
  readonly environment: Record<string, string>;
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A handler of lambdas/ (`lambdas/<handler>.ts`: the waker, the sweeper, the registry API, ...) bundled as
 * the poller is, with a role of its own that may write only to its own log group.
 */
export function handlerFunction(
  scope: Construct,
  id: string,
  handler: string,
  options: HandlerFunctionOptions,
): nodejs.NodejsFunction {
  const { logGroup, role } = ownLogsAndRole(scope, id, options.roleDescription, options.logRetention);
  const fn = new nodejs.NodejsFunction(scope, id, {
    role,
    entry: lambdaEntry(handler),
    handler: 'handler',
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    timeout: options.timeout,
    logGroup,
    description: options.description,
    environment: options.environment,
    bundling: { minify: true, sourceMap: true, target: 'node22', externalModules: [] },
  });
  acknowledge(
    fn,
    'AwsSolutions-L1',
    `nodejs22.x is the runtime the ${handler} is built and tested for (esbuild target node22); moving runtimes is a tested change.`,
  );
  return fn;
}
