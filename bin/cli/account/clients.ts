import { BatchClient } from '@aws-sdk/client-batch';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SFNClient } from '@aws-sdk/client-sfn';

/** The AWS clients the account commands use. */
export interface AwsClients {
  sfn: SFNClient;
  cloudFormation: CloudFormationClient;
  batch: BatchClient;
}

export interface ClientOptions {
  /** `--region`, or the region of an ARN given on the command line; else the SDK's own chain decides. */
  region?: string;
}

/**
 * Builds the clients for one command. Commands never construct clients themselves, so tests hand in a
 * factory whose clients are mocked (aws-sdk-client-mock) and never reach AWS.
 */
export type ClientFactory = (options: ClientOptions) => AwsClients;

/**
 * The SDK's default chains for region and credentials (AWS_REGION, AWS_PROFILE, ~/.aws/config, SSO, ...).
 * The SDK's own retries stay on: unlike the poller Lambda, a person is waiting at a terminal.
 */
export const defaultClientFactory: ClientFactory = ({ region }) => {
  const config = region === undefined ? {} : { region };
  return {
    sfn: new SFNClient(config),
    cloudFormation: new CloudFormationClient(config),
    batch: new BatchClient(config),
  };
};

/** Closes the clients' sockets so the process can exit promptly. */
export function destroyClients(clients: AwsClients): void {
  clients.sfn.destroy();
  clients.cloudFormation.destroy();
  clients.batch.destroy();
}

/** The region field of an ARN (`arn:aws:states:eu-west-1:...` -> `eu-west-1`), if it has one. */
export function regionOfArn(arn: string | undefined): string | undefined {
  if (arn === undefined || !arn.startsWith('arn:')) return undefined;
  const region = arn.split(':')[3];
  return region ? region : undefined;
}
