// `offgrid verify [options] -- CMD ARGS…`: run any build command in a fresh network
// namespace where only offgrid's offline cache answers; pass only when it succeeds and
// tried no network. Exit 0 passed, 1 failed, 2 when the network cannot be cut here.
import type { VerifyServicesOptions } from './verify-docker.js';
import { isAbsolute, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { OffgridError, EXIT_FAILED, EXIT_OK } from '../../errors.js';
import { defaultCacheDir } from '../../session/recording.js';
import { systemProbe, type IsolationProbe } from '../../sandbox/isolation.js';
import { describeAlternative, type Verdict } from '../../sandbox/verdict.js';
import { verifyOffline } from '../../sandbox/verify.js';
import { composeOption } from '../compose-option.js';
import { say, type CliIO } from '../io.js';
import { addProxyOptions, proxyFlags, type ProxyOptionValues } from '../proxy-options.js';
import { recoverQuietly, sessionSummaryLine, type ProxyFlags } from './session-common.js';

export interface VerifyCommandOptions extends ProxyFlags {
  readonly service: string | null;
  readonly command: readonly string[];
  readonly json: boolean;
  /** Test seam: how isolation is probed (default: the real machine). */
  readonly probe?: IsolationProbe;
}

export async function verifyCommand(options: VerifyCommandOptions, io: CliIO): Promise<number> {
  if (options.command.length === 0) throw new OffgridError('EUSAGE', 'nothing to verify: give the command after --, e.g. offgrid verify -- make build');
  if (!options.proxy) throw new OffgridError('EUSAGE', 'verify needs the offline cache: --no-proxy makes no sense here');
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(io.cwd, p));
  await recoverQuietly(abs(options.logDir), io);
  const outcome = await verifyOffline({
    spec: {
      logDir: abs(options.logDir),
      cacheDir: abs(options.cacheDir ?? defaultCacheDir(io.env)),
      pypiUpstream: [...options.pypiUpstream],
      npmUpstream: options.npmUpstream,
      allowHost: [...options.allowHost],
      command: [...options.command],
      cwd: io.cwd,
      service: options.service,
      debug: options.debug,
    },
    env: io.env,
    stdout: io.stdout,
    stderr: io.stderr,
    probe: options.probe ?? systemProbe(io.env),
  });
  if (outcome.type === 'no-isolation') {
    const lines = outcome.tried.map((t) => `  ${t.label}: ${t.reason}`);
    throw new OffgridError(
      'ENOSANDBOX',
      `cannot cut the network on this machine, so nothing can be verified offline. Tried:\n${lines.join('\n')}\n` +
        'Run as root, enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1), or install bubblewrap.',
    );
  }
  if (outcome.type === 'no-result') {
    throw new OffgridError('ESANDBOX', `the offline run inside ${outcome.isolation.label} ended (exit ${outcome.code}) without recording a session; see the messages above`);
  }
  const { verdict, ledger, result, isolation } = outcome;
  if (options.json) {
    say(io.stdout, JSON.stringify({ passed: verdict.passed, isolation: isolation.label, session_id: result.sessionId, ledger: result.ledgerPath, ...verdictJson(verdict) }, null, 2));
  } else {
    for (const line of renderVerdict(verdict, isolation.label, options.command)) say(io.stderr, line);
  }
  say(io.stderr, sessionSummaryLine(ledger, result.ledgerPath));
  return verdict.passed ? EXIT_OK : EXIT_FAILED;
}

function verdictJson(v: Verdict) {
  return {
    exit_code: v.exitCode,
    served_from_cache: v.servedFromCache,
    reasons: v.reasons,
    network_attempts: v.attempts.map((a) => ({
      tool: a.tool,
      url_or_host: a.url_or_host,
      error: a.error,
      count: a.count,
      service: a.service,
      step: a.step,
      in_cache_as: a.alternatives.map((alt) => ({ relation: alt.relation, key: alt.item.key, url: alt.item.url, name: alt.item.identity.name, version: alt.item.identity.version, filename: alt.item.identity.filename })),
    })),
  };
}

export function renderVerdict(v: Verdict, isolation: string, command: readonly string[]): string[] {
  const shown = command.join(' ');
  if (v.passed) {
    return [`offgrid verify: PASSED: \`${shown}\` succeeded with the network cut (${isolation}); no network attempt; ${v.servedFromCache} item(s) came from offgrid's cache.`];
  }
  const lines = [`offgrid verify: FAILED: \`${shown}\` is not offline-ready (${isolation}):`];
  for (const reason of v.reasons) lines.push(`  - ${reason}`);
  for (const a of v.attempts) {
    lines.push(`  ${a.tool}: ${a.url_or_host}${a.count > 1 ? ` (${a.count} times)` : ''}: ${a.error}${a.step ? ` [step ${a.step}]` : ''}`);
    if (a.alternatives.length === 0) lines.push('      not in the cache under any name or version');
    for (const alt of a.alternatives) lines.push(`      ${describeAlternative(alt)}`);
  }
  if (v.attempts.length > 0) lines.push('  Run the build once online (offgrid run -- …) so offgrid caches what it fetches, or pin the versions the cache holds.');
  return lines;
}

/**
 * Registers `offgrid verify`: `verify [options] -- CMD…` is this file's command; `verify
 * SERVICE…` (no `--`) is Docker's (verify-docker.ts, loaded only when the services form is used).
 */
export function registerVerify(program: Command, io: CliIO, argv: readonly string[], debug: boolean, setResult: (result: Promise<number>) => void): void {
  const at = argv.indexOf('verify');
  const commandForm = at >= 0 && argv.indexOf('--', at) > at;
  const command = program
    .command('verify')
    .description('prove a build works offline: `verify -- CMD…` runs any command in a fresh network namespace with only offgrid\'s cache; `verify SERVICE…` builds Docker services with --network=none')
    .option('--service <name>', 'attribute the downloads to this service')
    .option('--json', 'print the verdict as JSON', false)
    .addOption(composeOption('services form: the compose file (default: compose.yaml, docker-compose.yml, …)'))
    .addOption(new Option('--builder <builder>', 'services form: buildkit or legacy').choices(['buildkit', 'legacy']))
    .argument('<args...>', 'the command after --, or the services to build')
    .passThroughOptions()
    .action((args: string[], o: ProxyOptionValues & { service?: string; json: boolean; compose: string[]; builder?: 'buildkit' | 'legacy' }) => {
      const flags = proxyFlags(o, debug);
      // passThroughOptions keeps what follows the first argument as arguments: `verify api --log-dir X` would name a service --log-dir.
      const at = commandForm ? -1 : args.findIndex((a) => a.startsWith('-'));
      if (at > 0) {
        const fixed = [...args.slice(at), ...args.slice(0, at)].join(' ');
        setResult(Promise.reject(new OffgridError('EUSAGE', `${args[at]} comes after the services, where verify reads only service names: give the options first (offgrid verify ${fixed})`)));
        return;
      }
      setResult(
        commandForm
          ? verifyCommand({ ...flags, service: o.service ?? null, command: args, json: o.json }, io)
          : verifyServicesOf({ ...flags, services: args, json: o.json, compose: o.compose, builder: o.builder ?? null }, io),
      );
    });
  addProxyOptions(command, io);
  command.addOption(new Option('--log-dir <dir>', "the guide's logs/ directory").default(io.env.OFFGRID_LOG_DIR ?? 'logs'));
}

async function verifyServicesOf(options: VerifyServicesOptions, io: CliIO): Promise<number> {
  // The Docker form loads only when services are named.
  const { verifyServices } = await import('./verify-docker.js');
  return verifyServices(options, io);
}
