// Projects for the Docker tests: a compose file and Dockerfiles in a temp directory, built
// with the real engine through the built CLI. Images get unique tags and are removed after.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DOCKER, run } from '../helpers/docker.js';
import { runCli, tempDir, type CliResult } from '../helpers/cli.js';

export const TAG = `offgrid-docker-test-${process.pid}`;

export interface Project {
  readonly dir: string;
  readonly cache: string;
  cli(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  read(path: string): string;
  write(path: string, text: string): void;
}

/** A project from a tree of files; images named in it are removed when the test ends. */
export function project(t: { after(fn: () => void | Promise<void>): void }, files: Record<string, string>, images: readonly string[]): Project {
  const dir = tempDir(t, 'offgrid-docker-');
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  for (const [path, text] of Object.entries(files)) write(path, text);
  t.after(async () => {
    if (images.length > 0) await run(DOCKER, ['rmi', '-f', ...images]);
  });
  const cache = join(dir, '.cache');
  return {
    dir,
    cache,
    cli: (args, env = {}) => runCli(args, { cwd: dir, env: { OFFGRID_CACHE_DIR: cache, ...env }, timeoutMs: 600_000 }),
    read: (path) => readFileSync(join(dir, path), 'utf8'),
    write,
  };
}

/** The report's section for one service (from its `## name` heading to the next). */
export function section(report: string, service: string): string {
  const start = report.indexOf(`\n## ${service}\n`);
  if (start === -1) throw new Error(`no section for ${service} in:\n${report}`);
  const next = report.indexOf('\n## ', start + 4);
  return report.slice(start, next === -1 ? undefined : next);
}
