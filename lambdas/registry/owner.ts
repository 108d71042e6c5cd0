import type { LambdaFunctionURLEventWithIAMAuthorizer } from 'aws-lambda';

/**
 * Who calls the registry API, from what the caller cannot choose: the IAM identity Lambda puts in a function
 * URL request with AuthType AWS_IAM (`requestContext.authorizer.iam`, after checking the SigV4 signature).
 *
 * The owner id is the principal's unique id (IAM User Guide, "Unique identifiers"): `AIDA...` for an IAM
 * user, `AROA...` for a role. For a role session `userId` is `AROA...:<session name>`; the session name is
 * the caller's choice (AssumeRole's RoleSessionName), so it is dropped, as is any ARN: a session ARN drops
 * the role's path, and a role deleted and made again under the same name gets a new unique id, and so
 * does not inherit the old role's waits. The root user and federated users (`<account>:<name>`, the name
 * chosen by whoever called GetFederationToken) have no unique id of that kind: refused.
 */
export interface Caller {
  /** The unique id of the IAM user or role. */
  ownerId: string;
  /** For people to read (never for access checks): the user or role name, from the ARN. */
  display: string;
  accountId: string;
}

export type CallerOrRefusal = Caller | { refused: string };

const UNIQUE_ID = /^(AIDA|AROA)[A-Z0-9]{12,128}$/;

export function callerOf(
  event: Pick<LambdaFunctionURLEventWithIAMAuthorizer, 'requestContext'>,
): CallerOrRefusal {
  // Checked field by field: a request without IAM auth has no authorizer at all.
  const iam = event.requestContext?.authorizer?.iam as Partial<Record<string, unknown>> | undefined;
  const userId = iam?.userId;
  const accountId = iam?.accountId;
  if (typeof userId !== 'string' || typeof accountId !== 'string') {
    return { refused: 'the request carries no IAM identity (the function URL must use AuthType AWS_IAM)' };
  }
  const [uniqueId = '', session] = userId.split(':', 2);
  if (!UNIQUE_ID.test(uniqueId) || (uniqueId.startsWith('AIDA') && session !== undefined)) {
    return {
      refused: `the caller ${JSON.stringify(userId)} is not an IAM user or role (root and federated-user sessions have no owner id to trust)`,
    };
  }
  return { ownerId: uniqueId, display: displayName(iam?.userArn, uniqueId), accountId };
}

/** `user/alice` or `role/loader` from a user ARN or an assumed-role session ARN; the id if there is none. */
function displayName(arn: unknown, fallback: string): string {
  if (typeof arn !== 'string') return fallback;
  const user = /^arn:[\w-]+:iam::\d{12}:user\/(?:.*\/)?([\w+=,.@-]+)$/.exec(arn);
  if (user) return `user/${user[1]}`;
  const role = /^arn:[\w-]+:sts::\d{12}:assumed-role\/([\w+=,.@-]+)\/[\w+=,.@-]+$/.exec(arn);
  if (role) return `role/${role[1]}`;
  return fallback;
}
