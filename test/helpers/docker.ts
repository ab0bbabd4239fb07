// A real Docker engine for tests: the one scripts/ci-docker.sh starts (Debian's docker.io,
// vfs storage, no bridge) with locally built base images; nothing is pulled from a registry.
// Debian's client (/usr/bin/docker) is preferred: another client build may sit earlier in
// PATH and handle BuildKit differently.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
export const BUSYBOX_IMAGE = 'offgrid-test/busybox:latest';
export const DEBIAN_IMAGE = 'offgrid-test/debian:bookworm';
const CI_DOCKER = fileURLToPath(new URL('../../../scripts/ci-docker.sh', import.meta.url));

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr as they interleaved, as a terminal would show them. */
  readonly output: string;
}

export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let output = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      output += chunk.toString();
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr + String(error), output });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, output });
    });
  });
}

let available: Promise<boolean> | null = null;

/** Whether a Docker daemon answers `docker info` (checked once per process). */
export function dockerAvailable(): Promise<boolean> {
  available ??= run(DOCKER, ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 }).then(
    (result) => result.code === 0 && result.stdout.trim() !== '',
  );
  return available;
}

async function imageExists(image: string): Promise<boolean> {
  return (await run(DOCKER, ['image', 'inspect', image], { timeoutMs: 20_000 })).code === 0;
}

/**
 * Makes sure the local base images exist, building them with scripts/ci-docker.sh (as
 * root) when they do not. Throws with that script's output when it fails.
 */
export async function ensureBaseImages(): Promise<void> {
  if ((await imageExists(BUSYBOX_IMAGE)) && (await imageExists(DEBIAN_IMAGE))) return;
  const result = await run('bash', [CI_DOCKER], { timeoutMs: 600_000 });
  if (result.code !== 0) throw new Error(`scripts/ci-docker.sh failed (exit ${String(result.code)}):\n${result.output}`);
}

/**
 * Why Docker tests cannot run here, or null when they can. CI always has an engine
 * (scripts/test.sh fails without one there), so a skip there is a failure.
 */
export async function dockerSkipReason(): Promise<string | null> {
  if (await dockerAvailable()) return null;
  const reason = `no Docker engine answers \`${DOCKER} info\`: run \`sudo bash scripts/ci-docker.sh\` to start one`;
  if (process.env.CI === 'true') throw new Error(`${reason} (CI must have an engine)`);
  return reason;
}
