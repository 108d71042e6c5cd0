import { LocalAppError } from '../../lib/local/app-error';

/**
 * The packages `stepwait local` runs machines with, which the rest of stepwait does not need; dependencies
 * in package.json. They are not optional dependencies: npm skips an optional dependency whose `engines` do
 * not match the running Node, whatever engine-strict says (@npmcli/arborist, build-ideal-tree.js,
 * #checkEngineAndPlatform), and aws-local-stepfunctions declares Node >= 22, so on Node 20 it would never be
 * installed (lib/local/promise-with-resolvers.ts supplies what it expects of Node 22). The runtime is still
 * loaded only when a run starts, so that `local --help` works whatever is installed, and a package missing
 * from a broken install is named with the command that installs it.
 */
export const LOCAL_RUNTIME_PACKAGES: Readonly<Record<string, string>> = {
  'aws-local-stepfunctions': '^3.0.0',
  dynalite: '^4.0.0',
  'jsonpath-plus': '^10.4.0',
};

/** The runtime package a failed load was missing, if that is why it failed. */
export function missingRuntimePackage(error: unknown): string | undefined {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  const match = /Cannot find (?:module|package) '([^']+)'/.exec(String(message));
  const name = match?.[1];
  return name !== undefined && name in LOCAL_RUNTIME_PACKAGES ? name : undefined;
}

async function importRuntime() {
  const [run, waiter] = await Promise.all([
    import('../../lib/local/local-run.js'),
    import('../../lib/local/local-waiter.js'),
  ]);
  return {
    runLocalWait: run.runLocalWait,
    runnableWaiter: waiter.runnableWaiter,
    synthesizeWaiter: waiter.synthesizeWaiter,
  };
}

export type LocalRuntimeModules = Awaited<ReturnType<typeof importRuntime>>;

/** @throws LocalAppError naming the package to install, if one is missing */
export async function loadLocalRuntime(
  load: () => Promise<LocalRuntimeModules> = importRuntime,
): Promise<LocalRuntimeModules> {
  try {
    return await load();
  } catch (error) {
    const missing = missingRuntimePackage(error);
    if (missing === undefined) throw error;
    throw new LocalAppError(
      `stepwait local runs state machines with ${missing}, a dependency of stepwait that is missing here. Install it next to stepwait: npm install ${missing}@"${LOCAL_RUNTIME_PACKAGES[missing]}"`,
    );
  }
}
