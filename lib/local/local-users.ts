import type { LocalIdentity } from './sigv4-verifier';
import { LOCAL_ACCOUNT } from './template';

/**
 * The simulated people of a local deployment: each an IAM principal with a local access key, as its AWS
 * profile would hold it. Alice works through a role session and Bob as an IAM user, so both shapes of
 * `requestContext.authorizer.iam` reach the registry; ops is a role the registry names as its admin.
 */
export interface LocalUser extends LocalIdentity {
  /** What the local deployment calls them. */
  readonly name: string;
}

function user(name: string, userId: string, userArn: string): LocalUser {
  return {
    name,
    accessKeyId: `AKIALOCAL${name.toUpperCase().padEnd(11, '0')}`,
    secretAccessKey: `${name}-local-secret`,
    userId,
    userArn,
    accountId: LOCAL_ACCOUNT,
  };
}

export const ALICE = user(
  'alice',
  'AROAALICEROLEID00001:alice',
  `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/alice/alice`,
);
export const BOB = user('bob', 'AIDABOBUSERID0000001', `arn:aws:iam::${LOCAL_ACCOUNT}:user/bob`);
export const OPS = user(
  'ops',
  'AROAADMINROLEID00001:ops',
  `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/ops/ops`,
);

export const LOCAL_USERS: readonly LocalUser[] = [ALICE, BOB, OPS];
/**
 * The role a local job runs as: with callback URLs of AuthType AWS_IAM, the job signs its call to its wait's
 * callback URL with this key, and the URL takes no other.
 */
export const JOB_CALLER = user(
  'batch-job',
  'AROABATCHJOBROLEID01:job',
  `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/batch-job/job`,
);
/** The local registry's admins. */
export const LOCAL_ADMINS: readonly LocalUser[] = [OPS];

/** The unique id the registry knows a principal by: a role session's role id, or the user's id. */
export const uniqueIdOf = (who: LocalIdentity): string => who.userId.split(':')[0] as string;

/** A principal's local access key, as its AWS profile would hold it. */
export const keysOf = (who: LocalIdentity) => ({
  accessKeyId: who.accessKeyId,
  secretAccessKey: who.secretAccessKey,
});
