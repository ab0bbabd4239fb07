// Runs the built CLI as a user would, and checks what it writes.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Ledger } from '../../src/ledger/schema.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** What `offgrid` runs: the bundle of scripts/bundle-cli.mjs. */
export const CLI = join(REPO_ROOT, 'dist/cli/main.js');
export const FIXTURES = join(REPO_ROOT, 'test/fixtures');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string | Buffer; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A temp directory removed when the test ends. */
export function tempDir(t: { after(fn: () => void): void }, prefix = 'offgrid-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => {
    // Never throws: hooks run in order and a failed one skips the rest, so a server still
    // writing here (ENOTEMPTY) would keep its kill from running and the test process alive.
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (error) {
      console.error(`could not remove ${dir}: ${(error as Error).message}`);
    }
  });
  return dir;
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = ajv.compile(JSON.parse(readFileSync(join(REPO_ROOT, 'schema/ledger.schema.json'), 'utf8')) as object);

/** Parses a ledger file and validates it against the JSON Schema that ships with the package. */
export function readValidLedger(path: string): Ledger {
  const ledger = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (!validate(ledger)) throw new Error(`${path} does not match schema/ledger.schema.json: ${ajv.errorsText(validate.errors)}`);
  return ledger as Ledger;
}
