// `offgrid init docker`: makes the project's Dockerfiles offline-ready (see
// src/docker/init.ts), adds what they COPY to each build context, and shows the diff.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { EXIT_OK, OffgridError, describeSystemError } from '../../errors.js';
import { DockerfileSyntaxError } from '../../docker/dockerfile.js';
import { allowDirs } from '../../docker/dockerignore.js';
import { CONTEXT_FILES, makeOfflineReady } from '../../docker/init.js';
import { unifiedDiff } from '../../docker/diff.js';
import { loadProject } from '../../docker/project.js';
import { say, type CliIO } from '../io.js';

export interface InitDockerOptions {
  readonly compose: string | null;
  readonly dryRun: boolean;
  readonly json: boolean;
}

interface Target {
  readonly dockerfile: string;
  readonly context: string;
}

/**
 * The Dockerfiles of the project's services, or the Dockerfile* files of the directory when
 * it has no compose file; and why the services offgrid cannot build are left alone.
 */
function targets(options: InitDockerOptions, io: CliIO): { targets: Target[]; leftAlone: string[] } {
  try {
    const project = loadProject(io.cwd, options.compose, io.env);
    const seen = new Set<string>();
    return {
      targets: project.buildable.filter((s) => !seen.has(s.dockerfile) && seen.add(s.dockerfile)).map((s) => ({ dockerfile: s.dockerfile, context: s.context })),
      leftAlone: [...project.unbuildable.values()],
    };
  } catch (error) {
    if (options.compose !== null || !(error instanceof OffgridError) || !/no compose file/.test(error.message)) throw error;
  }
  const found = readdirSync(io.cwd).filter((n) => /^Dockerfile(\..+)?$/.test(n) || /\.Dockerfile$/.test(n)).sort();
  if (found.length === 0) {
    throw new OffgridError('EINPUT', `no compose file and no Dockerfile in ${io.cwd}: run offgrid init docker in the project directory, or give --compose FILE`);
  }
  return { targets: found.map((n) => ({ dockerfile: join(io.cwd, n), context: io.cwd })), leftAlone: [] };
}

export async function initDockerCommand(options: InitDockerOptions, io: CliIO): Promise<number> {
  const show = (p: string): string => relative(io.cwd, p) || '.';
  const readText = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new OffgridError('EINPUT', `cannot read ${show(path)}: ${describeSystemError(error)}`);
    }
  };
  const report: { dockerfile: string; changes: readonly string[]; skipped: readonly string[]; created: string[]; diff: string }[] = [];
  const { targets: dockerfiles, leftAlone } = targets(options, io);
  for (const target of dockerfiles) {
    const text = readText(target.dockerfile);
    let result;
    try {
      result = makeOfflineReady(text);
    } catch (error) {
      if (error instanceof DockerfileSyntaxError) throw new OffgridError('EINPUT', `${show(target.dockerfile)} does not parse: ${error.message}`);
      throw error;
    }
    const created: string[] = [];
    for (const dir of result.needs) {
      const path = join(target.context, dir);
      if (!existsSync(path)) {
        if (!options.dryRun) mkdirSync(path, { recursive: true });
        created.push(`${show(path)}/`);
      }
    }
    if (result.needs.includes('offgrid')) {
      for (const [name, content] of Object.entries(CONTEXT_FILES)) {
        const path = join(target.context, name);
        if (existsSync(path)) continue;
        if (!options.dryRun) {
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, content, 'utf8');
        }
        created.push(show(path));
      }
    }
    let diff = unifiedDiff(text, result.text, `a/${show(target.dockerfile)}`, `b/${show(target.dockerfile)}`);
    if (diff !== '' && !options.dryRun) writeFileSync(target.dockerfile, result.text, 'utf8');
    const changes = [...result.changes];
    // BuildKit reads <Dockerfile>.dockerignore before the context's own .dockerignore.
    const ignoreFile = [`${target.dockerfile}.dockerignore`, join(target.context, '.dockerignore')].find((p) => existsSync(p));
    if (ignoreFile !== undefined) {
      const before = readText(ignoreFile);
      const after = allowDirs(before, result.needs);
      if (after !== null) {
        diff += unifiedDiff(before, after, `a/${show(ignoreFile)}`, `b/${show(ignoreFile)}`);
        if (!options.dryRun) writeFileSync(ignoreFile, after, 'utf8');
        changes.push(`${show(ignoreFile)}: exceptions for what the Dockerfile now COPYs, which it left out of the build context`);
      }
    }
    report.push({ dockerfile: show(target.dockerfile), changes, skipped: result.skipped, created, diff });
  }
  if (options.json) {
    say(io.stdout, JSON.stringify({ dry_run: options.dryRun, dockerfiles: report, left_alone: leftAlone }, null, 2));
    return EXIT_OK;
  }
  for (const why of leftAlone) say(io.stderr, `offgrid: left alone: ${why}`);
  for (const r of report) {
    if (r.diff === '' && r.created.length === 0) say(io.stdout, `${r.dockerfile}: already offline-ready (nothing to change)`);
    else if (r.diff !== '') io.stdout.write(r.diff);
    for (const c of r.created) say(io.stdout, `${options.dryRun ? 'would create' : 'created'} ${c}`);
    for (const s of r.skipped) say(io.stderr, `offgrid: ${r.dockerfile}: ${s}`);
  }
  const any = report.some((r) => r.diff !== '');
  if (any) {
    say(
      io.stderr,
      'offgrid: next: fill wheelhouse/ (offgrid wheelhouse -r requirements.txt) and apt-archives/ (offgrid cache export apt --out CONTEXT) ' +
        'after an online `offgrid build`, then prove it with `offgrid verify`. Empty directories keep the online build working; git does not keep them, so keep a .gitignore or create them in CI.',
    );
  }
  return EXIT_OK;
}
