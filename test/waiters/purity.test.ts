import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const waitersDir = join(__dirname, '..', '..', 'waiters');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('waiters/ is pure', () => {
  it('imports nothing but its own files, node:util and the JMESPath library', () => {
    const allowed = new Set(['node:util', '@jmespath-community/jmespath']);
    const files = sourceFiles(waitersDir);
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const imports = [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map(
        (match) => match[1] as string,
      );
      const foreign = imports.filter((name) => !name.startsWith('.') && !allowed.has(name));
      expect(foreign, file).toEqual([]);
    }
  });
});
