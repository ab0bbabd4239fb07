// `offgrid init docker`: makes the project's Dockerfiles offline-ready (see
// src/docker/init.ts), adds what they COPY to each build context, and shows the diff.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { EXIT_OK, OffgridError, describeSystemError } from '../../errors.js';
import { DockerfileSyntaxError } from '../../docker/dockerfile.js';
import { allowDirs } from '../../docker/dockerignore.js';
import { APT_ARCHIVES_DIR, CONTEXT_FILES, type NetworkFinding, WHEELHOUSE_DIR, makeOfflineReady } from '../../docker/init.js';
import { unifiedDiff } from '../../docker/diff.js';
import { loadProject } from '../../docker/project.js';
import { redact } from '../../redact.js';
import { say, type CliIO } from '../io.js';

export interface InitDockerOptions {
  /** The files given with --compose (as `docker compose -f`); empty: the project's own. */
  readonly compose: readonly string[];
  readonly dryRun: boolean;
  readonly json: boolean;
}

interface Target {
  readonly dockerfile: string;
  /** The build contexts it is used with (services may share a Dockerfile, each with its own context). */
  readonly contexts: readonly string[];
}

/**
 * The Dockerfiles of the project's services, each with every context it is built in, or the
 * Dockerfile* files of the directory when it has no compose file; and why the services
 * offgrid cannot build are left alone.
 */
function targets(options: InitDockerOptions, io: CliIO): { targets: Target[]; leftAlone: string[] } {
  try {
    const project = loadProject(io.cwd, options.compose, io.env);
    if (project.buildable.length === 0 && project.unbuildable.size === 0) {
      // Mastodon's production docker-compose.yml runs prebuilt images, each `# build: .` commented out.
      const here = dockerfilesIn(io.cwd);
      throw new OffgridError(
        'EINPUT',
        `${relative(io.cwd, project.file) || project.file}: no service has a build: section, so there is no Dockerfile to change: ` +
          (here.length > 0 ? `add build: to the services built from ${here.join(', ')}, or give --compose a file that builds them` : 'give --compose a file whose services build'),
      );
    }
    const contexts = new Map<string, string[]>();
    const inline: string[] = [];
    for (const s of project.buildable) {
      // init rewrites Dockerfile files; an inline one lives in the compose file.
      if (s.dockerfileInline !== null) {
        inline.push(`service ${s.name}: its Dockerfile is build.dockerfile_inline in ${relative(io.cwd, project.file) || project.file}, which init does not rewrite: put it in a file in the context and name it with build.dockerfile`);
        continue;
      }
      const list = contexts.get(s.dockerfile) ?? contexts.set(s.dockerfile, []).get(s.dockerfile)!;
      if (!list.includes(s.context)) list.push(s.context);
    }
    return {
      targets: [...contexts].map(([dockerfile, list]) => ({ dockerfile, contexts: list })),
      leftAlone: [...project.unbuildable.values(), ...inline],
    };
  } catch (error) {
    if (options.compose.length > 0 || !(error instanceof OffgridError) || !/no compose file/.test(error.message)) throw error;
  }
  const found = dockerfilesIn(io.cwd);
  if (found.length === 0) {
    throw new OffgridError('EINPUT', `no compose file and no Dockerfile in ${io.cwd}: run offgrid init docker in the project directory, or give --compose FILE`);
  }
  return { targets: found.map((n) => ({ dockerfile: join(io.cwd, n), contexts: [io.cwd] })), leftAlone: [] };
}

/** The Dockerfiles of a directory: `Dockerfile`, `Dockerfile.*`, `*.Dockerfile`. */
function dockerfilesIn(dir: string): string[] {
  return readdirSync(dir).filter((n) => /^Dockerfile(\..+)?$/.test(n) || /\.Dockerfile$/.test(n)).sort();
}

/** Creates the directories (and offgrid/'s files) the rewritten Dockerfile COPYs that `context` lacks; returns them as `show` names them, directories with a trailing slash. */
function addDirectories(context: string, needs: readonly string[], dryRun: boolean, show: (path: string) => string): string[] {
  const created: string[] = [];
  for (const dir of needs) {
    const path = join(context, dir);
    if (!existsSync(path)) {
      if (!dryRun) mkdirSync(path, { recursive: true });
      created.push(`${show(path)}/`);
    }
  }
  if (needs.includes('offgrid')) {
    for (const [name, content] of Object.entries(CONTEXT_FILES)) {
      const path = join(context, name);
      if (existsSync(path)) continue;
      if (!dryRun) {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, content, 'utf8');
      }
      created.push(show(path));
    }
  }
  return created;
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
  const report: { dockerfile: string; contexts: string[]; changes: readonly string[]; skipped: readonly string[]; needs_network: readonly NetworkFinding[]; by_name: readonly string[]; index_options: readonly string[]; needs: readonly string[]; created: string[]; diff: string }[] = [];
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
    let diff = unifiedDiff(text, result.text, `a/${show(target.dockerfile)}`, `b/${show(target.dockerfile)}`);
    if (diff !== '' && !options.dryRun) writeFileSync(target.dockerfile, result.text, 'utf8');
    const changes = [...result.changes];
    const created: string[] = [];
    // BuildKit reads <Dockerfile>.dockerignore before the context's own .dockerignore; the first is shared by every context.
    const ignoreFiles = new Set<string>();
    for (const context of target.contexts) {
      created.push(...addDirectories(context, result.needs, options.dryRun, show));
      const ignoreFile = [`${target.dockerfile}.dockerignore`, join(context, '.dockerignore')].find((p) => existsSync(p));
      if (ignoreFile === undefined || ignoreFiles.has(ignoreFile)) continue;
      ignoreFiles.add(ignoreFile);
      const before = readText(ignoreFile);
      const after = allowDirs(before, result.needs);
      if (after !== null) {
        diff += unifiedDiff(before, after, `a/${show(ignoreFile)}`, `b/${show(ignoreFile)}`);
        if (!options.dryRun) writeFileSync(ignoreFile, after, 'utf8');
        changes.push(`${show(ignoreFile)}: exceptions for what the Dockerfile now COPYs, which it left out of the build context`);
      }
    }
    report.push({ dockerfile: show(target.dockerfile), contexts: target.contexts.map(show), changes, skipped: result.skipped, needs_network: result.needsNetwork, by_name: result.byName, index_options: result.indexes.map(redact), needs: result.needs, created, diff });
  }
  if (options.json) {
    say(io.stdout, JSON.stringify({ dry_run: options.dryRun, dockerfiles: report, left_alone: leftAlone }, null, 2));
    return EXIT_OK;
  }
  for (const why of leftAlone) say(io.stderr, `offgrid: left alone: ${why}`);
  for (const r of report) {
    // Steps left alone (heredocs, other shells, poetry …) may still fetch: then it is not "offline-ready".
    if (r.diff === '' && r.created.length === 0) {
      const leftAlone = r.skipped.length + new Set(r.needs_network.map((n) => n.line)).size;
      say(io.stdout, leftAlone === 0 ? `${r.dockerfile}: already offline-ready (nothing to change)` : `${r.dockerfile}: nothing init can change; ${leftAlone} step(s) left alone (below)`);
    }
    else if (r.contexts.length > 1) say(io.stdout, `${r.dockerfile} is the Dockerfile of ${r.contexts.length} build contexts (${r.contexts.join(', ')}): each gets what it COPYs`);
    if (r.diff !== '') io.stdout.write(r.diff);
    for (const c of r.created) say(io.stdout, `${options.dryRun ? 'would create' : 'created'} ${c}`);
    for (const c of r.changes) say(io.stderr, `offgrid: ${r.dockerfile}: ${c}`);
    for (const s of r.skipped) say(io.stderr, `offgrid: ${r.dockerfile}: ${s}`);
    for (const n of r.needs_network) say(io.stderr, `offgrid: ${r.dockerfile}: line ${n.line}: still needs the network: ${n.what}. Instead: ${n.instead}`);
    const steps = new Set(r.needs_network.map((n) => n.line)).size;
    if (steps > 0) say(io.stderr, `offgrid: ${r.dockerfile}: not offline-ready after init: ${steps} step(s) above still need the network; offgrid verify fails until they change`);
  }
  // Only the directories a rewritten step reads: an apt-only project has no wheelhouse to fill.
  const needs = new Set(report.filter((r) => r.diff !== '').flatMap((r) => r.needs));
  // What the rewritten pip steps install by name goes into the wheelhouse with the requirements files.
  const named = [...new Set(report.flatMap((r) => [...r.index_options, ...r.by_name]))].map((r) => (/^[\w.,=-]+$|^--[\w-]+ [^\s'"]+$/.test(r) ? r : `'${r}'`));
  const fill = [
    ...(needs.has(WHEELHOUSE_DIR) ? [`${WHEELHOUSE_DIR}/ (offgrid wheelhouse -r requirements.txt${named.map((r) => ` ${r}`).join('')})`] : []),
    ...(needs.has(APT_ARCHIVES_DIR) ? [`${APT_ARCHIVES_DIR}/ (offgrid cache export apt --out CONTEXT)`] : []),
  ];
  if (fill.length > 0) {
    say(
      io.stderr,
      `offgrid: next: fill ${fill.join(' and ')} after an online \`offgrid build\`, then prove it with \`offgrid verify\`. ` +
        `Empty director${fill.length > 1 ? 'ies keep' : 'y keeps'} the online build working; git does not keep ${fill.length > 1 ? 'them' : 'it'}, so keep a .gitignore or create ${fill.length > 1 ? 'them' : 'it'} in CI.`,
    );
  }
  return EXIT_OK;
}
