import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalAppError } from './app-error';
import type { CfnTemplate } from './template';

/** One stack of a synthesized app: its template and the construct path of each resource. */
export interface AssemblyStack {
  /** The artifact id (`cdk deploy <id>`). */
  readonly id: string;
  /** As `cdk list` shows it: `Stage/Stack` for a stack in a stage. */
  readonly displayName: string;
  readonly template: CfnTemplate;
  /** Construct path (without the leading `/`) by logical id. */
  readonly paths: Readonly<Record<string, string>>;
}

type MetadataEntries = Record<string, { type: string; data?: unknown }[]>;

interface ManifestArtifact {
  type: string;
  displayName?: string;
  properties?: { templateFile?: string; directoryName?: string };
  metadata?: MetadataEntries;
  additionalMetadataFile?: string;
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/**
 * Construct paths by logical id. The cloud assembly records them for every resource as `aws:cdk:logicalId`
 * metadata, in the manifest or the file it names (`additionalMetadataFile`, newer CDK versions); the
 * template's own `aws:cdk:path` metadata is there only when path metadata is on, so it comes second.
 */
function pathsOf(dir: string, artifact: ManifestArtifact, template: CfnTemplate): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const path = resource.Metadata?.['aws:cdk:path'];
    if (typeof path === 'string') paths[logicalId] = path;
  }
  const entries: MetadataEntries = {
    ...artifact.metadata,
    ...(artifact.additionalMetadataFile
      ? readJson<MetadataEntries>(join(dir, artifact.additionalMetadataFile))
      : {}),
  };
  for (const [path, list] of Object.entries(entries)) {
    for (const entry of list) {
      if (entry.type === 'aws:cdk:logicalId' && typeof entry.data === 'string') {
        paths[entry.data] = path.replace(/^\//, '');
      }
    }
  }
  return paths;
}

/**
 * The stacks of a cloud assembly (`cdk.out`: manifest.json and the templates it lists), stages' nested
 * assemblies included, in manifest order. Nested stacks (AWS::CloudFormation::Stack) are not followed.
 * @throws LocalAppError if `dir` holds no cloud assembly
 */
export function readCloudAssembly(dir: string): AssemblyStack[] {
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) {
    throw new LocalAppError(
      `--app ${dir}: no manifest.json there; give a cloud assembly (the cdk.out folder of "cdk synth") or the command that runs your app`,
    );
  }
  const manifest = readJson<{ artifacts?: Record<string, ManifestArtifact> }>(manifestFile);
  const stacks: AssemblyStack[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
      const template = readJson<CfnTemplate>(join(dir, artifact.properties.templateFile));
      template.Resources ??= {};
      stacks.push({
        id,
        displayName: artifact.displayName ?? id,
        template,
        paths: pathsOf(dir, artifact, template),
      });
    } else if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      stacks.push(...readCloudAssembly(join(dir, artifact.properties.directoryName)));
    }
  }
  return stacks;
}
