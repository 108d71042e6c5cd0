import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, Lazy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct, IConstruct } from 'constructs';
import { type AllowedEndpoint, ENDPOINTS_ENV } from '../lambdas/endpoints';
import { acknowledge } from './acknowledgements';
import { StepWaitValidationError } from './validation-error';

export interface PollerFunctionProps {
  /**
   * Memory of the poller; it makes one small API call per invocation.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * How long the poller's logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Allow reading AWS Batch job status (DescribeJobs and ListJobs, which take only `*`). A poller that
   * serves only other job systems does without.
   * @default true
   */
  readonly readsBatch?: boolean;
  /**
   * Run the poller in this VPC, to reach a job system on a private network (a DQOps inside the VPC). In a
   * VPC it reaches AWS Batch and Secrets Manager only through a NAT gateway or VPC endpoints for them.
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;
  /** @default - the VPC's private subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default - a security group CDK creates, all outbound allowed */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/** Where the poller may call an HTTP job system, and the secret that goes with it. */
export interface EndpointGrant {
  readonly system: string;
  readonly baseUrl: string;
  readonly secret?: secretsmanager.ISecret;
}

const POLLER_MARK = Symbol.for('stepwait.PollerFunction');

/**
 * The PollerFunction a wait must use when it gives its poller something (`why`: the endpoint of an HTTP job
 * system, the park table of event mode): only a PollerFunction carries them.
 * @throws StepWaitValidationError (`poller`) for any other function
 */
export function stepwaitPoller(scope: IConstruct, poller: lambda.IFunction, why: string): PollerFunction {
  if (!(poller as unknown as Record<symbol, unknown>)[POLLER_MARK]) {
    throw new StepWaitValidationError(
      scope,
      'poller',
      `a stepwait PollerFunction: ${why}, got ${poller.node.path}`,
    );
  }
  return poller as PollerFunction;
}

/**
 * A stepwait function's log group and role: its own role rather than AWSLambdaBasicExecutionRole (logs:* on
 * every log group), which may write to this log group only. Named `<id>Logs` and `<id>Role` beside it.
 */
export function ownLogsAndRole(
  scope: Construct,
  id: string,
  description: string,
  retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
): { logGroup: logs.LogGroup; role: iam.Role } {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention });
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description,
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
  return { logGroup, role };
}

/**
 * A Lambda handler's source (the poller's, the waker's): TypeScript in this repo (lib/ -> lambdas/poll.ts), compiled JavaScript when installed
 * from npm (dist/lib/ -> dist/lambdas/poll.js, with the sources not shipped).
 *
 * `depsLockFilePath` and `projectRoot` are left to NodejsFunction on purpose. It finds the lock file upwards
 * from the working directory, i.e. the consuming app's own (package-lock.json, yarn.lock, pnpm-lock.yaml...),
 * and uses its folder as the project root; an entry in that app's node_modules/stepwait/dist is under it,
 * esbuild runs there with the app's package manager, and resolves the poller's SDK imports from the app's
 * node_modules. Pointing them at stepwait's own folder would fail: the published package has no lock file,
 * and esbuild is hoisted into the app's node_modules, not stepwait's. (esbuild is a dependency of stepwait
 * so that bundling is local; without it NodejsFunction falls back to Docker.)
 */
export function lambdaEntry(name: string): string {
  const source = join(__dirname, '..', 'lambdas', `${name}.ts`);
  return existsSync(source) ? source : join(__dirname, '..', 'lambdas', `${name}.js`);
}

/**
 * The Lambda poller (lambdas/poll.ts), bundled with esbuild: one invocation is one attempt, it never sleeps.
 * It may call batch:DescribeJobs and batch:ListJobs, nothing else.
 */
export class PollerFunction extends nodejs.NodejsFunction {
  private readonly endpoints: (AllowedEndpoint & { secret?: secretsmanager.ISecret })[] = [];

  constructor(scope: Construct, id: string, props: PollerFunctionProps = {}) {
    const { logGroup, role } = ownLogsAndRole(
      scope,
      id,
      'stepwait poller: read Batch job status, write its own logs',
      props.logRetention,
    );
    super(scope, id, {
      role,
      entry: lambdaEntry('poll'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: Duration.seconds(30),
      logGroup,
      description: 'stepwait poller: one status call per invocation',
      ...(props.vpc === undefined
        ? {}
        : { vpc: props.vpc, vpcSubnets: props.vpcSubnets, securityGroups: props.securityGroups }),
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node22',
        // The Lambda runtime ships the AWS SDK v3, but a pinned client keeps behaviour identical to the tests.
        externalModules: [],
      },
    });
    if (props.readsBatch ?? true) {
      // DescribeJobs and ListJobs support no resource-level permissions (Service Authorization Reference,
      // "Actions defined by AWS Batch": no resource types listed), so "*" is the narrowest possible resource.
      this.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'ReadBatchJobStatus',
          actions: ['batch:DescribeJobs', 'batch:ListJobs'],
          resources: ['*'],
        }),
      );
      acknowledge(
        role,
        'AwsSolutions-IAM5',
        'batch:DescribeJobs and batch:ListJobs support no resource-level permissions; the poller can do nothing else.',
        'Resource::*',
      );
    }
    acknowledge(
      this,
      'AwsSolutions-L1',
      'nodejs22.x is the runtime the poller is built and tested for (esbuild target node22); moving runtimes is a tested change.',
    );
  }

  /**
   * Lets the poller call a job system's API at `baseUrl` with `secret` (read access granted here). The pairs
   * go into the poller's environment (STEPWAIT_ENDPOINTS); a poll event may name only one of them, so
   * whoever may invoke the poller cannot send a secret anywhere else.
   */
  allowEndpoint(grant: EndpointGrant): void {
    const same = this.endpoints.find(
      (entry) => entry.system === grant.system && entry.baseUrl === grant.baseUrl,
    );
    if (same !== undefined) {
      if (same.secret !== grant.secret) {
        throw new StepWaitValidationError(
          this,
          'allowEndpoint',
          `one secret per endpoint: ${grant.baseUrl} (${grant.system}) already goes with ${same.secret?.node.path ?? 'no secret'}`,
        );
      }
      return;
    }
    if (this.endpoints.length === 0) {
      this.addEnvironment(
        ENDPOINTS_ENV,
        Lazy.string({
          produce: () =>
            JSON.stringify(
              this.endpoints.map(({ system, baseUrl, secret }) => ({
                system,
                baseUrl,
                ...(secret === undefined ? {} : { secretArn: secret.secretArn }),
              })),
            ),
        }),
      );
    }
    this.endpoints.push({
      system: grant.system,
      baseUrl: grant.baseUrl,
      ...(grant.secret ? { secret: grant.secret } : {}),
    });
    grant.secret?.grantRead(this);
  }
}

Object.defineProperty(PollerFunction.prototype, POLLER_MARK, { value: true });
