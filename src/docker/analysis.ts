// The build report's facts, computed from one session ledger and the build metadata.
// Pure: no files, no clock.
import type { BuildStep, DownloadRecord, Ledger, LedgerError, NetworkAttempt } from '../ledger/schema.js';
import type { BuildMetadata, ServiceRun } from './metadata.js';
import { indexClients, runNetworkUses, syntaxNetworkUse } from './network-steps.js';
import { lookedUpImage } from '../capture/parsers/docker-add.js';
import { labelInstruction } from '../capture/parsers/docker-frames.js';

export interface StepDownloads {
  readonly step: string;
  readonly apt: Tally;
  readonly wheels: Tally;
  readonly npm: Tally;
  readonly other: Tally;
}

export interface Tally {
  fetched: number;
  cached: number;
  bytesFetched: number;
  bytesCached: number;
  /** Of those, how many no witness gave a size for (busybox wget -q, a log cut short). */
  unsizedFetched: number;
  unsizedCached: number;
}

export interface ServiceAnalysis {
  readonly run: ServiceRun;
  /** Dockerfile instruction steps, in build order. */
  readonly steps: readonly BuildStep[];
  readonly stepsRun: number;
  readonly stepsCached: number;
  readonly slowest: readonly BuildStep[];
  readonly downloads: readonly StepDownloads[];
  readonly records: readonly DownloadRecord[];
  readonly attempts: readonly NetworkAttempt[];
  readonly errors: readonly LedgerError[];
  readonly failedSteps: readonly BuildStep[];
}

export interface SharedPackage {
  readonly kind: 'apt' | 'wheel' | 'npm';
  readonly name: string;
  readonly services: readonly string[];
}

export interface StillFetched {
  /** layer: a base image's layer the builder pulled (no URL: the registry's, by digest or layer id). */
  readonly kind: 'apt' | 'wheel' | 'npm' | 'apk' | 'file' | 'layer';
  /**
   * For https tunnels (CONNECT: offgrid saw a host, never the content, so nothing is cached):
   * the index clients whose steps opened them (none known: []); null for downloads.
   */
  readonly tunnelledBy: readonly TunnelClient[] | null;
  readonly items: readonly DownloadRecord[];
  readonly howToCache: string;
  /**
   * Of `items`, those an online build's log shows but offgrid's proxy never saw: the tool
   * went around it, so offgrid's cache does not have them either (null: none, or no proxy).
   */
  readonly aroundProxy: { readonly items: readonly DownloadRecord[]; readonly why: string } | null;
}

export interface Verdict {
  readonly offlineReady: boolean;
  /** true when this run proved it (verify, or an offline build); false when it is only inferred. */
  readonly proved: boolean;
  readonly reasons: readonly string[];
  /** What the run could not see: a step without network whose command fetches, yet that printed no failure. */
  readonly warnings: readonly string[];
}

export interface BuildAnalysis {
  readonly meta: BuildMetadata;
  readonly services: readonly ServiceAnalysis[];
  readonly shared: readonly SharedPackage[];
  readonly stillFetched: readonly StillFetched[];
  readonly verdict: Verdict;
}

const INSTRUCTION = /^(FROM|RUN|COPY|ADD|WORKDIR|ENV|ARG|USER|LABEL|EXPOSE|VOLUME|CMD|ENTRYPOINT|SHELL|HEALTHCHECK|STOPSIGNAL|ONBUILD)\b/;
/** BuildKit has no duration for FROM/metadata steps; those are not "run" steps worth timing. */
export const isInstructionStep = (s: BuildStep): boolean => INSTRUCTION.test(labelInstruction(s.name));

/** A FROM step, of a multi-platform build's leg too (`[linux/arm64] FROM …`). */
const isFrom = (s: BuildStep): boolean => labelInstruction(s.name).startsWith('FROM');
const emptyTally = (): Tally => ({ fetched: 0, cached: 0, bytesFetched: 0, bytesCached: 0, unsizedFetched: 0, unsizedCached: 0 });
const time = (iso: string | null): number => (iso === null ? NaN : Date.parse(iso));

/**
 * The service a record belongs to. The proxy sees a request but not which build sent it;
 * services are built one after another, so a proxy-only record belongs to the service
 * whose build was running when it arrived.
 */
function ownerOf(record: { service: string | null; timestamp: string }, runs: readonly ServiceRun[]): string | null {
  if (record.service !== null) return record.service;
  const t = time(record.timestamp);
  for (const run of runs) if (t >= time(run.started_at) && t <= time(run.ended_at)) return run.name;
  return null;
}

const allRecords = (ledger: Ledger): DownloadRecord[] => [
  ...ledger.downloads.wheels,
  ...ledger.downloads.apt,
  ...ledger.downloads.npm,
  ...ledger.downloads.other,
];

function bucket(r: DownloadRecord): keyof Omit<StepDownloads, 'step'> {
  if (r.kind === 'apt') return 'apt';
  if (r.kind === 'wheel' || r.kind === 'sdist') return 'wheels';
  if (r.kind === 'npm') return 'npm';
  return 'other';
}

/**
 * Steps in Dockerfile order. BuildKit prints vertices as they start, and starts independent
 * ones at once (`[3/8] COPY` before `[2/8] WORKDIR`, two stages interleaved); where every step
 * has a position, each stage's steps go together (stages as they first appear) by number.
 */
export function buildOrder(steps: readonly BuildStep[]): BuildStep[] {
  if (steps.some((s) => s.position === undefined)) return [...steps];
  const stages = new Map<string, number>();
  const place = (s: BuildStep): [number, number] => {
    const words = (s.position ?? '').split(' ');
    // A multi-platform build's legs (`[linux/arm64] RUN …`) each go through the stages.
    const platform = s.name.slice(0, s.name.length - labelInstruction(s.name).length);
    const stage = `${platform}${words.slice(0, -1).join(' ')}`;
    if (!stages.has(stage)) stages.set(stage, stages.size);
    return [stages.get(stage)!, Number.parseInt(words.at(-1) ?? '', 10)];
  };
  const placed = steps.map((s) => ({ s, at: place(s) }));
  return placed.sort((a, b) => a.at[0] - b.at[0] || a.at[1] - b.at[1]).map((p) => p.s);
}

function analyzeService(run: ServiceRun, ledger: Ledger, runs: readonly ServiceRun[]): ServiceAnalysis {
  const steps = buildOrder(ledger.steps.filter((s) => s.service === run.name && isInstructionStep(s)));
  const records = allRecords(ledger).filter((r) => ownerOf(r, runs) === run.name);
  const byStep = new Map<string, StepDownloads>();
  for (const r of records) {
    // A log's own record outside any step: a base image pulled before the first `Step` the log kept.
    const step = r.step ?? (r.evidence === 'log' ? '(before the first build step in the log)' : '(no build step: seen by the proxy only)');
    let entry = byStep.get(step);
    if (!entry) {
      entry = { step, apt: emptyTally(), wheels: emptyTally(), npm: emptyTally(), other: emptyTally() };
      byStep.set(step, entry);
    }
    const t = entry[bucket(r)];
    if (r.cached) {
      t.cached++;
      t.bytesCached += r.size ?? 0;
      if (r.size === null) t.unsizedCached++;
    } else {
      t.fetched++;
      t.bytesFetched += r.size ?? 0;
      if (r.size === null) t.unsizedFetched++;
    }
  }
  const timed = steps.filter((s) => s.status !== 'cached' && s.duration_seconds !== null && !isFrom(s));
  return {
    run,
    steps,
    // FROM is resolved, not run: BuildKit marks it CACHED or DONE at random on a rebuild.
    stepsRun: steps.filter((s) => !isFrom(s) && (s.status === 'done' || s.status === 'error')).length,
    stepsCached: steps.filter((s) => !isFrom(s) && s.status === 'cached').length,
    slowest: [...timed].sort((a, b) => (b.duration_seconds ?? 0) - (a.duration_seconds ?? 0)).slice(0, 3),
    downloads: [...byStep.values()],
    records,
    attempts: ledger.network_attempts.filter((a) => ownerOf(a, runs) === run.name),
    errors: ledger.errors.filter((e) => e.service === run.name),
    failedSteps: ledger.steps.filter((s) => s.service === run.name && s.status === 'error' && s.error !== 'canceled'),
  };
}

function sharedPackages(services: readonly ServiceAnalysis[]): SharedPackage[] {
  const users = new Map<string, { kind: SharedPackage['kind']; name: string; services: Set<string> }>();
  for (const s of services) {
    for (const r of s.records) {
      if (r.name === null || r.kind === 'file') continue;
      const kind = r.kind === 'sdist' ? 'wheel' : r.kind;
      const name = kind === 'wheel' ? r.name.toLowerCase().replace(/[-_.]+/g, '-') : r.name;
      const key = `${kind}\u0000${name}`;
      const entry = users.get(key) ?? { kind, name, services: new Set<string>() };
      entry.services.add(s.run.name);
      users.set(key, entry);
    }
  }
  return [...users.values()]
    .filter((u) => u.services.size > 1)
    .map((u) => ({ kind: u.kind, name: u.name, services: [...u.services].sort() }))
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

export const HOW_TO_CACHE: Record<StillFetched['kind'], string> = {
  wheel:
    'put them in a wheelhouse (`offgrid wheelhouse -r requirements.txt`), copy it into the build context and install with ' +
    '`pip install --no-index --find-links /wheelhouse` (`offgrid init docker` does this)',
  apt:
    'export them as a local apt repository in the build context (`offgrid cache export apt --out CONTEXT` writes CONTEXT/apt-archives/) and install from it ' +
    '(`offgrid init docker` adds the COPY and the apt source)',
  npm: 'run `npm ci` through offgrid once, then build with `offgrid build --offline`, or vendor the tarballs (`npm pack`) into the build context',
  apk:
    'fetch them once while online into the build context (`apk fetch --recursive --output apk-packages PKG…`), COPY that directory ' +
    'into the image and install from it (`apk add --allow-untrusted /apk-packages/*.apk`)',
  file: 'download the file once into the build context and COPY it instead of fetching it in a RUN step or with ADD <url>',
  layer:
    'these are base image layers the builder pulled: pull the image once while online (`docker pull IMAGE`, or `docker load` it on the ' +
    'air-gapped machine); a build finds an image already on the machine without the registry (`offgrid build --offline` checks that it is)',
};

/** Why a tool's downloads miss offgrid's proxy although the build passed it in, and what to change. */
export const AROUND_PROXY: Record<StillFetched['kind'], string> = {
  apt:
    'an `Acquire::http::Proxy` setting in the image (apt.conf.d) wins over the http_proxy build argument offgrid passes, and https:// sources go through ' +
    'a tunnel nothing can cache: drop the setting (or set it from a build argument) and use http:// sources (signed Release files keep them as safe)',
  wheel:
    'an index given in the step or the image (`--index-url`, `-i`, `--extra-index-url`, a pip.conf, PIP_INDEX_URL set with ENV) wins over the ' +
    'PIP_INDEX_URL build argument offgrid passes, and https:// files go through a tunnel nothing can cache: drop the index option, or take it from a build argument',
  npm: 'a `--registry` option or an .npmrc in the image wins over the npm_config_registry build argument offgrid passes: drop it, or take it from a build argument',
  file:
    'https:// URLs go through a tunnel nothing can cache; a tool told to skip proxies (`--noproxy`, `-Y off`, its own proxy option) and a host no_proxy ' +
    'exempts (loopback) go around the proxy',
  apk: 'https:// repositories (the default of recent Alpine images) go through a tunnel nothing can cache: an http:// mirror in /etc/apk/repositories goes through the proxy',
  layer: "the builder pulls base images over the daemon's own network, never through a build's proxy",
};

type TunnelClient = 'pip' | 'npm' | 'apt';

/**
 * What to change when a client's https requests went through a tunnel. pip and npm inside a
 * Dockerfile take offgrid's index from build arguments, which only the predefined proxy
 * variables pass without an ARG line.
 */
export const THROUGH_TUNNEL: Record<TunnelClient | 'other', string> = {
  pip:
    "pip went to its index over https, through a tunnel: the step did not take offgrid's index, which `offgrid build` passes as the build arguments " +
    'PIP_INDEX_URL and PIP_TRUSTED_HOST; a step gets them only where its stage declares them: add `ARG PIP_INDEX_URL` and `ARG PIP_TRUSTED_HOST` ' +
    'before it (a plain `docker build` leaves both unset; `offgrid build` keeps the project\'s proxy port, so the step stays CACHED from one of its builds to the next)',
  npm:
    "npm went to its registry over https, through a tunnel: the step did not take offgrid's registry, which `offgrid build` passes as the build argument " +
    'npm_config_registry; a step gets it only where its stage declares it: add `ARG npm_config_registry` before it (a plain `docker build` leaves it ' +
    'unset; `offgrid build` keeps the project\'s proxy port, so the step stays CACHED from one of its builds to the next)',
  apt: 'apt fetched from an https:// source, through a tunnel: use its http:// address (the signed Release file keeps it as safe) or install from exported archives (`offgrid cache export apt`)',
  other: 'https:// URLs go through a tunnel nothing can cache: download the file once into the build context and COPY it instead',
};

/** How the report names an entry: its kind, or the clients whose https tunnels it lists. */
const KIND_LABEL: Record<StillFetched['kind'], string> = {
  wheel: 'wheel',
  apt: 'apt',
  npm: 'npm',
  apk: 'Alpine packages (apk)',
  file: 'file',
  layer: 'base image layers',
};

export function stillFetchedLabel(f: StillFetched): string {
  if (f.tunnelledBy !== null) return `https tunnels (${f.tunnelledBy.length > 0 ? f.tunnelledBy.join(', ') : 'no index client'})`;
  return KIND_LABEL[f.kind];
}

/** A CONNECT tunnel's record (connect.ts): a host, no content. */
const isTunnel = (r: DownloadRecord): boolean => r.destination?.startsWith('tunnel:') === true;

/** The index clients that opened a tunnel: the one its User-Agent named, else those its step runs. */
function tunnelClients(r: DownloadRecord): TunnelClient[] {
  if (r.tool === 'pip' || r.tool === 'npm' || r.tool === 'apt') return [r.tool];
  return r.step === null ? [] : [...indexClients(r.step.replace(/^RUN\s+/, ''))].sort();
}

function tunnelEntries(tunnels: readonly DownloadRecord[]): StillFetched[] {
  const groups = new Map<string, { clients: TunnelClient[]; items: DownloadRecord[] }>();
  for (const r of tunnels) {
    const clients = tunnelClients(r);
    const group = groups.get(clients.join()) ?? { clients, items: [] };
    group.items.push(r);
    groups.set(clients.join(), group);
  }
  return [...groups.values()].map(({ clients, items }) => ({
    kind: 'file',
    tunnelledBy: clients,
    items,
    howToCache: (clients.length === 0 ? [THROUGH_TUNNEL.other] : clients.map((c) => THROUGH_TUNNEL[c])).join('; '),
    aroundProxy: null,
  }));
}

/** What a record is for the report's "Still fetched": a base image's layer is no file to COPY. */
function stillKind(r: DownloadRecord): StillFetched['kind'] {
  if (r.kind === 'file' && r.tool === 'docker' && r.source === null) return 'layer';
  if (r.kind === 'file' && r.tool === 'apk') return 'apk';
  return r.kind === 'sdist' ? 'wheel' : r.kind;
}

function stillFetched(services: readonly ServiceAnalysis[], throughProxy: boolean): StillFetched[] {
  const out: StillFetched[] = [];
  for (const kind of ['wheel', 'apt', 'npm', 'apk', 'file', 'layer'] as const) {
    const seen = new Set<string>();
    const items = services
      .flatMap((s) => s.records)
      // A registry lookup by the builder is no file to cache; the verdict says what to do about it.
      .filter((r) => !r.cached && stillKind(r) === kind && lookedUpImage(r.source) === null)
      .filter((r) => {
        // apt's log names a package's repository, not its file, as its source.
        const key = `${r.source ?? ''}\u0000${r.filename ?? ''}\u0000${r.name ?? ''}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    const downloads = items.filter((r) => !isTunnel(r));
    if (downloads.length > 0) {
      const around = throughProxy ? downloads.filter((r) => r.evidence === 'log') : [];
      out.push({ kind, tunnelledBy: null, items: downloads, howToCache: HOW_TO_CACHE[kind], aroundProxy: around.length > 0 ? { items: around, why: AROUND_PROXY[kind] } : null });
    }
    out.push(...tunnelEntries(items.filter(isTunnel)));
  }
  return out;
}

const NOT_BUILT: Record<Exclude<ServiceRun['result'], 'success'>, string> = {
  failed: 'failed to build',
  'not-built': 'was not built',
  unfinished: 'did not finish building: its log ends before the build did',
};

function verdict(meta: BuildMetadata, services: readonly ServiceAnalysis[], fetched: readonly StillFetched[]): Verdict {
  const reasons: string[] = [];
  const proved = meta.network === 'none';
  for (const s of services) {
    if (s.run.result !== 'success') reasons.push(`${s.run.name} ${NOT_BUILT[s.run.result]}`);
    const swallowed = s.errors.filter((e) => e.message.includes('succeeded although it failed to reach the network'));
    for (const a of s.attempts) {
      reasons.push(`${s.run.name}: ${a.step === null ? 'a step (seen by the proxy)' : `step ${JSON.stringify(a.step)}`} tried the network: ${a.url_or_host} (${a.tool}: ${a.error})${a.count > 1 ? ` ×${a.count}` : ''}`);
    }
    if (swallowed.length > 0 && s.attempts.length === 0) reasons.push(`${s.run.name}: ${swallowed[0]!.message}`);
    // An ADD source or a frontend lookup, by name; base image layers an online build pulled are counted below.
    for (const r of builderFetches(s)) if (r.source !== null) reasons.push(`${s.run.name}: ${describeBuilderFetch(r)}`);
  }
  const count = fetched.reduce((n, f) => n + f.items.length, 0);
  if (count > 0) reasons.push(`${count} item(s) were fetched from the network in this build (see "Still fetched")`);
  const ok = reasons.length === 0;
  if (ok && !proved) {
    reasons.push(
      meta.mode === 'logs'
        ? 'the logs show no download and no network attempt, but not that the build had no network: prove it with `offgrid verify`'
        : 'every download came from a cache, but the build had network access: prove it with `offgrid verify`',
    );
  }
  if (ok && proved) reasons.push('every service built with --network=none and no step tried the network');
  const warnings = proved ? services.flatMap(quietFetches) : meta.mode === 'logs' ? services.flatMap(cachedRuns) : [];
  return { offlineReady: ok && proved, proved, reasons, warnings };
}

/** pip and apt, which network-steps.ts leaves to the rewrite, and every fetch it names. */
const PIP_OR_APT = /(?:^|[\s;&|(])(?:pip3?|uv|apt-get|apt|aptitude|install_packages)\s/;
/** RUN's own options (`--mount=type=cache,…`, `--network=…`) before its command. */
const RUN_OPTIONS = /^(?:--\S+\s+)*/;
function fetches(instruction: string): boolean {
  if (!instruction.startsWith('RUN ')) return false;
  const command = instruction.slice(4).replace(RUN_OPTIONS, '');
  // A heredoc's script is not in the step's name (`RUN <<EOF (set -eux...)`): it may fetch.
  return command.startsWith('<<') || PIP_OR_APT.test(` ${command}`) || runNetworkUses(command).length > 0;
}

/**
 * RUN steps a saved log shows CACHED: they ran in an earlier build, whose log holds what they
 * downloaded; this one cannot tell.
 */
function cachedRuns(s: ServiceAnalysis): string[] {
  const cached = s.steps.filter((step) => step.status === 'cached' && fetches(labelInstruction(step.name)));
  if (cached.length === 0) return [];
  const named = cached.slice(0, 3).map((step) => `\`${step.name}\``).join(', ');
  return [
    `${s.run.name}: ${cached.length} RUN step(s) that download were CACHED (${named}${cached.length > 3 ? ', …' : ''}): what they downloaded when they ran is in the log of that earlier build, not in this one`,
  ];
}

/**
 * RUN steps that succeeded with no network and printed no failure although their command
 * fetches something (`curl -s URL || true`): either that command did not run, or the step
 * hid a failure nothing printed, which no log can show.
 */
function quietFetches(s: ServiceAnalysis): string[] {
  const tried = new Set(s.attempts.map((a) => a.step));
  return s.steps
    .filter((step) => step.status === 'done' && labelInstruction(step.name).startsWith('RUN ') && !tried.has(step.name))
    .flatMap((step) => {
      const uses = runNetworkUses(labelInstruction(step.name).slice(4));
      if (uses.length === 0) return [];
      return [
        `${s.run.name}: step ${JSON.stringify(step.name)} built without network and printed no failure, yet ${uses.map((u) => u.what).join('; ')}: ` +
          'either that command did not run, or the step hid its failure (curl -s, wget -q, 2>/dev/null and `|| true` leave nothing to see)',
      ];
    });
}

export function analyzeBuild(meta: BuildMetadata, ledger: Ledger): BuildAnalysis {
  const services = meta.services.map((run) => analyzeService(run, ledger, meta.services));
  // An online build passes offgrid's proxy to every step; an offline one has nothing to go around.
  // Saved logs were not written through offgrid's proxy: nothing went around it.
  const fetched = stillFetched(services, meta.mode !== 'logs' && meta.network === 'host' && !meta.offline);
  return { meta, services, shared: sharedPackages(services), stillFetched: fetched, verdict: verdict(meta, services, fetched) };
}

/**
 * What the builder fetches itself: an `ADD <url>` source or a base image's layers. It uses
 * the daemon's network, which `--network=none` does not cut off (it covers RUN steps only),
 * so such a build succeeds on a connected machine and fails on an air-gapped one. An ADD
 * source counts even when its step was CACHED: the builder asks the server again to tell.
 */
export function builderFetches(s: ServiceAnalysis): DownloadRecord[] {
  return s.records.filter((r) => r.tool === 'docker' && (!r.cached || r.source !== null));
}

export function describeBuilderFetch(r: DownloadRecord): string {
  const image = lookedUpImage(r.source);
  if (image !== null) {
    return (
      `the builder looked up ${image} on its registry over its own network, which --network=none does not cut off ` +
      `(a \`# syntax=\` line names this Dockerfile frontend, looked up on every build): ${syntaxNetworkUse(image).instead}`
    );
  }
  const step = r.step === null ? 'the builder' : `step ${JSON.stringify(r.step)}`;
  const what = r.source ?? `image layer ${r.name ?? '(unnamed)'}`;
  return `${step} fetches ${what} over the builder's own network, which --network=none does not cut off`;
}

/** A service passes verification when it built, no step tried the network, and the builder fetched nothing. */
export function servicePassesVerify(s: ServiceAnalysis): boolean {
  return (
    s.run.result === 'success' &&
    s.attempts.length === 0 &&
    builderFetches(s).length === 0 &&
    !s.errors.some((e) => e.message.includes('succeeded although it failed to reach the network'))
  );
}
