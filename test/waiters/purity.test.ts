import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importedSpecifiers, importsOutside, sourceFiles } from './import-boundary';

const waitersDir = join(__dirname, '..', '..', 'waiters');
/** DESIGN.md: waiters/ imports nothing of ours; of packages, only these. */
const ALLOWED_PACKAGES = new Set(['node:util', '@jmespath-community/jmespath']);

describe('waiters/ is pure', () => {
  it('imports nothing but its own files, node:util and the JMESPath library', () => {
    const files = sourceFiles(waitersDir);
    expect(files.length).toBeGreaterThan(5);
    let imports = 0;
    for (const file of files) {
      const source = readFileSync(file, 'utf8');
      imports += importedSpecifiers(source).length;
      expect(importsOutside(file, source, waitersDir, ALLOWED_PACKAGES), file).toEqual([]);
    }
    // The checker sees the imports that are there (a blind one would pass anything).
    expect(imports).toBeGreaterThan(20);
  });
});

describe('the import checker', () => {
  const file = join(waitersDir, 'batch', 'made-up.ts');
  const outside = (source: string) => importsOutside(file, source, waitersDir, ALLOWED_PACKAGES);

  it('refuses a relative import that leaves waiters/, however it is written', () => {
    const source = [
      "import { handler } from '../../lambdas/poll';",
      "import type { PollerConfig } from '../../lambdas/poller-config';",
      "export { JobWaiter } from '../../lib/job-waiter';",
      "import '../../lib/local/offline-env';",
      "const lazy = await import('../../bin/stepwait');",
      'const cjs = require("../../lib/wait-fragment");',
      "import {\n  a,\n  b,\n} from '../../lambdas/wait-request';",
    ].join('\n');
    expect(outside(source)).toEqual([
      '../../lambdas/poll',
      '../../lambdas/poller-config',
      '../../lib/job-waiter',
      '../../lambdas/wait-request',
      '../../lib/local/offline-env',
      '../../bin/stepwait',
      '../../lib/wait-fragment',
    ]);
  });

  it('refuses packages not allowed and absolute paths', () => {
    expect(
      outside(
        "import { BatchClient } from '@aws-sdk/client-batch';\nimport x from '/etc/x';\nimport 'node:fs';",
      ),
    ).toEqual(['@aws-sdk/client-batch', '/etc/x', 'node:fs']);
  });

  it('allows its own files, also up to the folder itself, and the allowed packages', () => {
    const source = [
      "import { WaiterModel } from '../model';",
      "import type { PollOutcome } from '../types';",
      "import batchWaiters from './batch-waiters.json';",
      "export * from '..';",
      "import { isDeepStrictEqual } from 'node:util';",
      "import { compile } from '@jmespath-community/jmespath';",
      "// import { handler } from '../../lambdas/poll';",
      "/* export * from '../../lib/job-waiter'; */",
    ].join('\n');
    expect(importedSpecifiers(source)).toHaveLength(6);
    expect(outside(source)).toEqual([]);
  });
});
