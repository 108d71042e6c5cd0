import { readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';

/**
 * Every module specifier a TypeScript source names: `import ... from`, `import type ... from`,
 * `export ... from`, side-effect `import '...'`, dynamic `import('...')` and `require('...')`. Comments are
 * dropped first, so a commented-out import neither counts nor hides a real one.
 */
export function importedSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const patterns = [
    /\b(?:import|export)\b[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1/g,
    /\bimport\s*(['"])([^'"]+)\1/g,
    /\b(?:import|require)\s*\(\s*(['"])([^'"]+)\1\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...code.matchAll(pattern)].map((match) => match[2] as string));
}

/**
 * What `source` (the text of `file`) imports from outside `root`: a package not in `allowedPackages`, or a
 * relative path that resolves outside `root` (`../lambdas/poll` from `root/x.ts`). An absolute path is
 * always outside: a pure module has no business naming one.
 */
export function importsOutside(
  file: string,
  source: string,
  root: string,
  allowedPackages: ReadonlySet<string>,
): string[] {
  return importedSpecifiers(source).filter((specifier) => {
    if (specifier.startsWith('.')) {
      const target = relative(root, resolve(dirname(file), specifier));
      return target.startsWith('..') || isAbsolute(target);
    }
    if (isAbsolute(specifier)) return true;
    return !allowedPackages.has(specifier);
  });
}

/** The `.ts` files under `dir`, recursively. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}
