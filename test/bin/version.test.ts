import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageVersion } from '../../bin/cli/version';

const root = join(__dirname, '..', '..');
const temporary = mkdtempSync(join(tmpdir(), 'stepwait-version-'));

afterAll(() => {
  rmSync(temporary, { recursive: true, force: true });
});

function write(path: string, manifest: object): void {
  mkdirSync(join(temporary, path, '..'), { recursive: true });
  writeFileSync(join(temporary, path), JSON.stringify(manifest));
}

describe('packageVersion', () => {
  it("is the repo's package.json version when run from the sources", () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(packageVersion()).toBe(version);
  });

  it("finds an installed package's manifest from dist/bin/cli, past other package.json files", () => {
    write('app/package.json', { name: 'my-cdk-app', version: '1.0.0' });
    write('app/node_modules/stepwait/package.json', { name: 'stepwait', version: '9.8.7' });
    // Not stepwait's: a folder's module type, and a broken file.
    write('app/node_modules/stepwait/dist/package.json', { type: 'commonjs' });
    mkdirSync(join(temporary, 'app/node_modules/stepwait/dist/bin/cli'), { recursive: true });
    writeFileSync(join(temporary, 'app/node_modules/stepwait/dist/bin/package.json'), '{ not json');
    expect(packageVersion(join(temporary, 'app/node_modules/stepwait/dist/bin/cli'))).toBe('9.8.7');
  });

  it('knows stepwait renamed under a scope by the command it provides', () => {
    write('scoped/node_modules/@acme/stepwait/package.json', {
      name: '@acme/stepwait',
      version: '0.2.0-acme.1',
      bin: { stepwait: 'dist/bin/stepwait.js' },
    });
    mkdirSync(join(temporary, 'scoped/node_modules/@acme/stepwait/dist/bin/cli'), { recursive: true });
    expect(packageVersion(join(temporary, 'scoped/node_modules/@acme/stepwait/dist/bin/cli'))).toBe(
      '0.2.0-acme.1',
    );
  });

  it('says so when there is none', () => {
    mkdirSync(join(temporary, 'nothing/here'), { recursive: true });
    write('nothing/package.json', { name: 'other', version: '1.0.0' });
    expect(() => packageVersion(join(temporary, 'nothing/here'))).toThrowError(
      /no package.json of stepwait found in .*nothing\/here or above/,
    );
  });
});
