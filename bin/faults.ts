#!/usr/bin/env node
import '../lib/local/offline-env';
import { parseArgs } from 'node:util';
import {
  FAULT_SCENARIO_IDS,
  type FaultRow,
  type FaultScale,
  runFaultSuite,
} from '../lib/local/fault-scenarios';

/**
 * `npm run faults`: local waits on the synthesized state machine, through the local Batch emulator, with one
 * kind of fault per row; prints what each fault did to the waits and exits 1 if any row is not all correct,
 * with no data lost and (for transient faults) no attempt consumed.
 */
const USAGE = `Usage: npm run faults -- [--scale small|full] [--seed 42] [--concurrency 4] [--only <id>[,<id>...]] [--json]
Scenarios: ${FAULT_SCENARIO_IDS.join(', ')}`;

export function faultTable(rows: readonly FaultRow[]): string {
  const header = [
    'fault',
    'waits run',
    'completed correctly',
    'attempts consumed by faults',
    'data lost',
    'result',
  ];
  const cells = rows.map((row) => [
    row.fault,
    String(row.waitsRun),
    String(row.waitsCorrect),
    row.attemptsConsumedByFaults === null ? 'n/a' : String(row.attemptsConsumedByFaults),
    String(row.dataLost),
    row.passed ? 'pass' : 'FAIL',
  ]);
  const widths = header.map((_, column) =>
    Math.max(...[header, ...cells].map((cellsOfRow) => (cellsOfRow[column] as string).length)),
  );
  const line = (cellsOfRow: string[]) =>
    `| ${cellsOfRow.map((cell, column) => cell.padEnd(widths[column] as number)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

function notes(rows: readonly FaultRow[]): string {
  return rows
    .map((row) => {
      const failures = row.failures.map((failure) => `\n    ! ${failure}`).join('');
      return `- ${row.fault} (${row.realSeconds} s): ${row.notes}${failures}`;
    })
    .join('\n');
}

async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      options: {
        scale: { type: 'string' },
        seed: { type: 'string' },
        concurrency: { type: 'string' },
        only: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`faults: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const scale = (values.scale as string | undefined) ?? 'full';
  if (scale !== 'small' && scale !== 'full') {
    process.stderr.write(`faults: --scale: expected small or full, got "${scale}"\n${USAGE}\n`);
    return 2;
  }
  const integer = (name: string, fallback: number, min: number) => {
    const text = values[name] as string | undefined;
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text) || Number(text) < min)
      throw new Error(`--${name}: expected a whole number >= ${min}, got "${text}"`);
    return Number(text);
  };
  let seed: number;
  let concurrency: number;
  try {
    seed = integer('seed', 42, 0);
    concurrency = integer('concurrency', 4, 1);
  } catch (error) {
    process.stderr.write(`faults: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const only = (values.only as string | undefined)?.split(',').map((id) => id.trim());
  const unknown = only?.filter((id) => !FAULT_SCENARIO_IDS.includes(id)) ?? [];
  if (unknown.length > 0) {
    process.stderr.write(`faults: --only: no scenario ${unknown.join(', ')}\n${USAGE}\n`);
    return 2;
  }

  const started = Date.now();
  const rows = await runFaultSuite({
    scale: scale as FaultScale,
    seed,
    concurrency,
    ...(only ? { only } : {}),
    onProgress: (scenario, done, total) => {
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K  ${scenario.id}: ${done}/${total}`);
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
  const passed = rows.every((row) => row.passed);
  const realSeconds = (Date.now() - started) / 1_000;

  if (values.json) {
    process.stdout.write(`${JSON.stringify({ scale, seed, passed, realSeconds, rows })}\n`);
  } else {
    process.stdout.write(
      `Fault injection, ${scale} scale (seed ${seed}): local waits on the synthesized state machine, the poller ` +
        `in process, AWS Batch (and DQOps, Airbyte) emulated on 127.0.0.1, a virtual clock; event rows: the waiter with wakeUp 'events', its waker, sweeper and park table in process and on dynalite.\n\n${faultTable(rows)}\n\n${notes(rows)}\n\n` +
        `${passed ? 'all rows pass' : 'SOME ROWS FAIL'}   real time: ${realSeconds.toFixed(1)} s\n`,
    );
  }
  return passed ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`faults: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
