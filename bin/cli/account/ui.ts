import { startJobsPage } from '../ui/jobs-page-server';
import { parseWholeNumber } from '../usage-error';
import type { CommandContext } from './context';
import { CliError } from './errors';
import { COMMON_OPTIONS, parseCommandArgs, stringOption } from './options';
import { REGISTRY_OPTIONS, REGISTRY_OPTIONS_USAGE, withRegistry } from './registry-commands';

export const UI_USAGE = `Usage: stepwait ui [options]

Serves the jobs page on 127.0.0.1 for you alone: your waits from the registry of waits, with a status that
refreshes itself, per-row actions (cancel while active; resubmit and delete once finished) and a detail view
of the stages and each job's status reason, exit code and log stream (resubmit only for a wait that submitted
its job). Its calls to the registry API are
signed with your own AWS credentials: no public page, no new login. Open the address it prints (it carries a
token for this run; no other page on this machine can use the server). Ctrl-C stops it.

Options:
  --all                     every owner's waits, with owners (admins)
  --refresh <s>             how often statuses refresh, 1-300 seconds (default 5, as Tethys' Jobs Table)
  --port <n>                the port on 127.0.0.1 (default: a free one)
${REGISTRY_OPTIONS_USAGE}
  --stack <name>            the stack whose output RegistryUrl names the registry (default StepWaitStack)
  --region <region>         default: AWS_REGION or your profile's
  -h, --help                show this help

Exit codes: 0 stopped, 2 bad options, no credentials or region, or no registry.`;

/** Runs `stepwait ui` until Ctrl-C (or `context.untilStopped`); returns the exit code. */
export async function uiCommand(args: string[], context: CommandContext): Promise<number> {
  const parsed = parseCommandArgs(
    args,
    {
      ...COMMON_OPTIONS,
      ...REGISTRY_OPTIONS,
      all: { type: 'boolean' },
      refresh: { type: 'string' },
      port: { type: 'string' },
    },
    0,
  );
  if (parsed.values.help) {
    context.output.out(`${UI_USAGE}\n`);
    return 0;
  }
  const refresh = stringOption(parsed, 'refresh');
  const port = stringOption(parsed, 'port');
  const refreshSeconds = refresh === undefined ? 5 : parseWholeNumber(refresh, '--refresh', 1, 300);
  const portNumber = port === undefined ? 0 : parseWholeNumber(port, '--port', 1024, 65_535);
  await withRegistry(parsed, context, async (registry) => {
    let page: Awaited<ReturnType<typeof startJobsPage>>;
    try {
      page = await startJobsPage({
        registry,
        all: parsed.values.all === true,
        refreshSeconds,
        port: portNumber,
        consoleRegion: registry.region,
      });
    } catch (error) {
      if ((error as { code?: unknown }).code === 'EADDRINUSE') {
        throw new CliError(
          'PortInUse',
          `--port: 127.0.0.1:${portNumber} is in use: pick another, or leave --port out`,
        );
      }
      throw error;
    }
    try {
      context.output.out(`The jobs page: ${page.url}\n(Ctrl-C stops it)\n`);
      await (context.untilStopped?.() ??
        new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        }));
    } finally {
      await page.stop();
    }
  });
  return 0;
}
