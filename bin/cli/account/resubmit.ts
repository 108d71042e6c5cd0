import type { CommandContext } from './context';
import { COMMON_OPTIONS, parseCommandArgs } from './options';
import { REGISTRY_OPTIONS, REGISTRY_OPTIONS_USAGE, registryResubmit } from './registry-commands';

export const RESUBMIT_USAGE = `Usage: stepwait resubmit WAIT [options]

Runs a finished submit-and-wait again, through the registry of waits: a new wait, yours, whose job is
submitted under a new business key derived from the old one (<key>-rs-<8 hex>), since the old key would
attach to the job that already ran. WAIT is the wait id the registry shows (stepwait list --mine).

Options:
${REGISTRY_OPTIONS_USAGE}
  --stack <name>            the stack whose output RegistryUrl names the registry (default StepWaitStack)
  --region <region>         default: AWS_REGION or your profile's
  --json                    print exactly one JSON object on stdout
  -h, --help                show this help

Exit codes: 0 resubmitted, 1 the registry refused (e.g. a wait still running, or one that submitted no
job), 2 bad options, no credentials or region, or no registry.`;

/** Runs `stepwait resubmit`; returns the exit code. */
export async function resubmitCommand(args: string[], context: CommandContext): Promise<number> {
  const parsed = parseCommandArgs(args, { ...COMMON_OPTIONS, ...REGISTRY_OPTIONS }, 1);
  if (parsed.values.help) {
    context.output.out(`${RESUBMIT_USAGE}\n`);
    return 0;
  }
  return registryResubmit(parsed, context);
}
