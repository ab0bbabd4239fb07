// `offgrid verify SERVICE…`: the guide's `docker build --network=none` check done
// properly. Each service is built with --network=none --no-cache and the proxy offline;
// it passes only when the build succeeds AND no step tried the network, so a step that
// hid a failed download (`apt-get … || true`) fails, named with its step and URL.
import { EXIT_FAILED, EXIT_OK } from '../../errors.js';
import { builderFetches, describeBuilderFetch, servicePassesVerify, stillFetchedLabel } from '../../docker/analysis.js';
import { reportPath } from '../../docker/metadata.js';
import { say, type CliIO } from '../io.js';
import { jsonResult, runDockerBuilds, type DockerRunOptions } from './docker-build.js';

/** `compose` and `builder` may be absent: the `verify` dispatcher passes the proxy flags, services and --json. */
export type VerifyServicesOptions = Omit<DockerRunOptions, 'offline' | 'noCache' | 'proxyPort' | 'compose' | 'builder'> & {
  readonly compose?: readonly string[];
  readonly builder?: DockerRunOptions['builder'];
};

export async function verifyServices(options: VerifyServicesOptions, io: CliIO): Promise<number> {
  const { analysis } = await runDockerBuilds(
    { ...options, compose: options.compose ?? [], builder: options.builder ?? null, offline: true, noCache: true, proxyPort: null },
    'verify',
    ['offgrid', 'verify', ...options.services],
    io,
  );
  const passed = analysis.services.every(servicePassesVerify);
  if (options.json) {
    say(io.stdout, jsonResult(analysis, { passed }));
    return passed ? EXIT_OK : EXIT_FAILED;
  }
  for (const s of analysis.services) {
    if (servicePassesVerify(s)) {
      say(io.stdout, `PASS ${s.run.name}: built with --network=none --no-cache; no step tried the network`);
      continue;
    }
    const why = s.attempts.length > 0 || builderFetches(s).length === 0 ? 'built, but a step tried the network' : 'built, but the builder fetched from the network';
    say(io.stdout, `FAIL ${s.run.name}: ${s.run.result === 'success' ? why : (s.run.error ?? 'did not build')}`);
    for (const r of builderFetches(s)) say(io.stdout, `  ${describeBuilderFetch(r)}`);
    for (const a of s.attempts) {
      say(io.stdout, `  step ${JSON.stringify(a.step ?? '(outside a step)')} tried ${a.url_or_host} (${a.tool}: ${a.error})${a.count > 1 ? ` ×${a.count}` : ''}`);
    }
    for (const st of s.failedSteps) say(io.stdout, `  failing step ${JSON.stringify(st.name)}: ${st.error ?? ''}`);
  }
  for (const w of analysis.verdict.warnings) say(io.stdout, `warning: ${w}`);
  for (const f of analysis.stillFetched) say(io.stdout, `to cache (${stillFetchedLabel(f)}): ${f.howToCache}`);
  if (!passed) {
    const kinds = new Set(analysis.services.flatMap((s) => s.attempts.map((a) => a.tool)));
    if (kinds.has('apt')) say(io.stdout, 'to cache (apt): export the packages into the build context as a local apt repository (`offgrid cache export apt --out CONTEXT` writes CONTEXT/apt-archives/) and run `offgrid init docker`');
    if (kinds.has('pip')) say(io.stdout, 'to cache (wheels): `offgrid wheelhouse -r requirements.txt`, then `offgrid init docker`');
  }
  say(io.stdout, `${passed ? 'offline-ready' : 'NOT offline-ready'}; details in ${reportPath(options.logDir)}`);
  return passed ? EXIT_OK : EXIT_FAILED;
}
