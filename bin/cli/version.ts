import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Manifest {
  name?: unknown;
  version?: unknown;
  bin?: unknown;
}

function readManifest(path: string): Manifest | undefined {
  try {
    const manifest: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof manifest === 'object' && manifest !== null ? (manifest as Manifest) : undefined;
  } catch {
    return undefined;
  }
}

/** stepwait's own manifest: named stepwait, or (renamed, e.g. under a scope) still providing the command. */
function isStepwait(manifest: Manifest): boolean {
  const bin = manifest.bin;
  return (
    manifest.name === 'stepwait' ||
    (typeof bin === 'object' && bin !== null && Object.hasOwn(bin, 'stepwait'))
  );
}

/**
 * The version in stepwait's package.json, looked for from `from` upward. This file sits at bin/cli/ in
 * the repo (run with tsx) and at dist/bin/cli/ in an installed package, so the manifest is two or three
 * folders up; walking up rather than counting keeps working if the layout changes, and skips any other
 * package.json on the way (a `{"type": ...}` one in dist, a workspace's). Read from disk, not imported:
 * importing it would put a second copy of package.json into dist.
 * @throws Error if no such package.json is above `from`
 */
export function packageVersion(from: string = __dirname): string {
  for (let folder = from; ; folder = dirname(folder)) {
    const manifest = readManifest(join(folder, 'package.json'));
    if (manifest !== undefined && isStepwait(manifest) && typeof manifest.version === 'string') {
      return manifest.version;
    }
    if (dirname(folder) === folder) throw new Error(`no package.json of stepwait found in ${from} or above`);
  }
}
