import { UsageError } from '../usage-error';

/**
 * An error the user can act on, printed as one message without a stack trace. Exit code 2 for a command
 * that cannot work as given (missing credentials, region, stack output, unknown execution), 1 for an AWS
 * call that failed for another reason.
 */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    /** A stable name for `--json` (`NoCredentials`, `ExecutionNotFound`, or the AWS error's name). */
    readonly code: string,
    message: string,
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
  }
}

export const CREDENTIALS_HELP = `Configure AWS credentials with one of:
  aws configure                                  (keys in ~/.aws/credentials)
  aws sso login --profile NAME; export AWS_PROFILE=NAME
  export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... (and AWS_SESSION_TOKEN for temporary keys)
On EC2 with an instance profile, also set AWS_EC2_METADATA_DISABLED=false: stepwait leaves the instance
metadata service off unless told, so a machine without credentials never calls 169.254.169.254.`;

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** The SDK's credential chain found nothing (or an SSO token is missing): nothing was sent to AWS. */
export function isMissingCredentials(error: unknown): boolean {
  const name = errorName(error);
  return name === 'CredentialsProviderError' || name === 'TokenProviderError';
}

/** The SDK's region chain found nothing: `Error("Region is missing")`, thrown before any request. */
export function isMissingRegion(error: unknown): boolean {
  return error instanceof Error && /^Region is missing/i.test(error.message);
}

/** An error that came back from AWS (it carries `$metadata`) or from the way there (sockets, timeouts). */
export function isAwsError(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  if ('$metadata' in error || '$fault' in error) return true;
  const code = (error as { code?: unknown }).code;
  return error.name === 'TimeoutError' || (typeof code === 'string' && /^E[A-Z]+$/.test(code));
}

/** Whether an AWS error has this name (SDK exception classes set `name` to the service's error code). */
export function hasErrorName(error: unknown, ...names: string[]): boolean {
  const name = errorName(error);
  return name !== undefined && names.includes(name);
}

const TOKEN_HINTS: Record<string, string> = {
  ExpiredTokenException: 'the session token has expired: refresh your credentials (e.g. aws sso login)',
  ExpiredToken: 'the session token has expired: refresh your credentials (e.g. aws sso login)',
  UnrecognizedClientException: 'AWS does not recognise these credentials: check the access key and profile',
  InvalidClientTokenId: 'AWS does not recognise these credentials: check the access key and profile',
};

/**
 * What the user sees for an error: a CliError for everything expected; `undefined` for anything else
 * (a bug), which the entry point prints with its stack.
 */
export function explainError(error: unknown): CliError | UsageError | undefined {
  if (error instanceof CliError || error instanceof UsageError) return error;
  if (isMissingCredentials(error)) {
    return new CliError(
      'NoCredentials',
      `no AWS credentials found (${(error as Error).name}: ${(error as Error).message})\n${CREDENTIALS_HELP}`,
    );
  }
  if (isMissingRegion(error)) {
    return new CliError(
      'NoRegion',
      'no AWS region: set --region or AWS_REGION (or a region in your AWS profile)',
    );
  }
  if (isAwsError(error)) {
    const hint = TOKEN_HINTS[error.name];
    return new CliError(error.name, `${error.name}: ${error.message}${hint ? `\n${hint}` : ''}`, 1);
  }
  return undefined;
}
