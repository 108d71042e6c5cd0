import { type ParseArgsConfig, parseArgs } from 'node:util';
import { didYouMean } from '../suggest';
import { attachNegativeValues, UsageError } from '../usage-error';

type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every account command takes: where the state machine is, and the output format. */
export const COMMON_OPTIONS = {
  'state-machine-arn': { type: 'string' },
  stack: { type: 'string' },
  region: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

export interface ParsedArgs {
  /** Option values by long name; strings for string options, `true` for flags given. */
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * parseArgs' message, or for an unknown option that looks like a typo, which options it may have meant
 * (then without parseArgs' advice on positionals that start with "-": it was not one).
 */
function parseErrorMessage(error: unknown, options: OptionSpec): string {
  const message = (error as Error).message;
  if ((error as { code?: unknown }).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return message;
  const given = /^Unknown option '(-[^'=]*)/.exec(message)?.[1];
  if (given === undefined) return message;
  const known = Object.entries(options).flatMap(([name, spec]) => [
    `--${name}`,
    ...(spec.short === undefined ? [] : [`-${spec.short}`]),
  ]);
  const hint = didYouMean(given, known);
  return hint === '' ? message : `Unknown option '${given}'${hint}`;
}

/**
 * node:util parseArgs, strict, with its errors turned into UsageErrors (exit code 2, usage printed). A
 * negative number after an option that takes a value is that option's value (see attachNegativeValues),
 * so `--timeout -1h` is refused by --timeout's own check, which says what is allowed.
 */
export function parseCommandArgs(args: string[], options: OptionSpec, positionals: number): ParsedArgs {
  const takesValue = new Set(
    Object.entries(options)
      .filter(([, spec]) => spec.type === 'string')
      .map(([name]) => name),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: attachNegativeValues(args, takesValue),
      options,
      strict: true,
      allowPositionals: positionals > 0,
    });
  } catch (error) {
    throw new UsageError(parseErrorMessage(error, options));
  }
  const values = parsed.values as ParsedArgs['values'];
  if (!values.help && parsed.positionals.length > positionals) {
    throw new UsageError(`unexpected argument "${parsed.positionals[positionals]}"`);
  }
  return { values, positionals: parsed.positionals };
}

/** A string option's value; an empty one is refused rather than silently ignored. */
export function stringOption(parsed: ParsedArgs, name: string): string | undefined {
  const value = parsed.values[name];
  if (typeof value !== 'string') return undefined;
  if (value.trim() === '') throw new UsageError(`--${name}: must not be empty`);
  return value.trim();
}

/** Where the state machine comes from: `--state-machine-arn`, else the stack's `StateMachineArn` output. */
export interface MachineOptions {
  stateMachineArn?: string;
  stack?: string;
  region?: string;
}

export function machineOptions(parsed: ParsedArgs): MachineOptions {
  const stateMachineArn = stringOption(parsed, 'state-machine-arn');
  const stack = stringOption(parsed, 'stack');
  if (stateMachineArn !== undefined && stack !== undefined) {
    throw new UsageError('give --state-machine-arn or --stack, not both');
  }
  const options: MachineOptions = {};
  if (stateMachineArn !== undefined) options.stateMachineArn = stateMachineArn;
  if (stack !== undefined) options.stack = stack;
  const region = stringOption(parsed, 'region');
  if (region !== undefined) {
    if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
      throw new UsageError(`--region: expected a region name like us-east-1, got "${region}"`);
    }
    options.region = region;
  }
  return options;
}
