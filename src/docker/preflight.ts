// Checks made before a service's build starts, so bad input gets a clear message that
// names the service and what to do, instead of a builder error deep in its log.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { DockerfileSyntaxError, type Platform, baseImages, parseDockerfile, stageNames } from './dockerfile.js';
import type { Builder } from './engine.js';
import type { ServiceSpec } from './service.js';
import { redact } from '../redact.js';

export interface PreflightIO {
  readonly cwd: string;
  /** What the build targets (BuildKit's TARGETARCH etc. in FROM lines). */
  readonly platform: Platform;
  /** Whether the client passes `--build-context` (buildx does; the BuildKit built into clients before 23 does not). */
  readonly buildContexts: boolean;
  imageExists(image: string): Promise<boolean>;
}

/** null when the service can be built; otherwise why not, with what to do. */
export async function preflight(spec: ServiceSpec, offline: boolean, builder: Builder, io: PreflightIO): Promise<string | null> {
  const show = (p: string): string => relative(io.cwd, p) || '.';
  // `image: ghcr.io/open-webui/open-webui:${WEBUI_DOCKER_TAG-main}` with WEBUI_DOCKER_TAG set empty
  // ends in `:`, which docker build refuses as a tag after reading the whole context.
  const badTag = [spec.image, ...spec.options.tags].find((tag) => !IMAGE_REFERENCE.test(tag));
  if (badTag !== undefined) {
    return (
      `service ${spec.name}: the image is to be tagged ${JSON.stringify(badTag)}, which is not a valid image name ` +
      `(lower-case name, then :TAG): fix ${badTag === spec.image ? 'image:' : 'build.tags'} in the compose file, or the variable in it that is empty`
    );
  }
  if (!existsSync(spec.context) || !statSync(spec.context).isDirectory()) {
    return `service ${spec.name}: the build context ${show(spec.context)} is not a directory: fix build.context`;
  }
  if (!existsSync(spec.dockerfile)) {
    return `service ${spec.name}: the Dockerfile ${show(spec.dockerfile)} does not exist: fix build.dockerfile (it is relative to the context)`;
  }
  let file;
  try {
    file = parseDockerfile(readFileSync(spec.dockerfile, 'utf8'));
  } catch (error) {
    if (!(error instanceof DockerfileSyntaxError)) throw error;
    return `service ${spec.name}: ${show(spec.dockerfile)} does not parse: ${error.message}`;
  }
  if (spec.target !== null && !stageNames(file).includes(spec.target.toLowerCase())) {
    return `service ${spec.name}: build.target ${spec.target} is not a stage of ${show(spec.dockerfile)} (stages: ${stageNames(file).join(', ') || 'none named'})`;
  }
  const named = Object.keys(spec.additionalContexts);
  if (named.length > 0 && !io.buildContexts) {
    return (
      `service ${spec.name}: build.additional_contexts (${named.join(', ')}) needs docker build --build-context, which only buildx has ` +
      `and this Docker client (with the ${builder === 'buildkit' ? 'BuildKit built into it' : 'legacy builder'}) does not: ` +
      'install the buildx plugin, or copy what the Dockerfile takes from those contexts into the build context'
    );
  }
  if (builder === 'legacy' && (spec.ssh.length > 0 || spec.secrets.length > 0)) {
    return (
      `service ${spec.name}: build.${spec.ssh.length > 0 ? 'ssh' : 'secrets'} needs BuildKit (docker build --${spec.ssh.length > 0 ? 'ssh' : 'secret'}), ` +
      'and this build uses the legacy builder: let offgrid use BuildKit (unset DOCKER_BUILDKIT=0)'
    );
  }
  const images = baseImages(file, spec.args, spec.target, builder, io.platform, named);
  if (images.some((image) => image.trim() === '')) {
    return (
      `service ${spec.name}: a FROM (or COPY --from) in ${show(spec.dockerfile)} names no image once its ARGs are filled in ` +
      '(an ARG with no value, as in FROM ${BASE:-}): give the ARG a default, or set it in build.args'
    );
  }
  // `ARG PYTHON_VERSION` with no default and no build arg: `FROM python:${PYTHON_VERSION}` is `python:`,
  // which BuildKit rejects as an invalid reference; offline it would be reported as missing instead.
  const invalid = images.find((image) => !IMAGE_REFERENCE.test(image));
  if (invalid !== undefined) {
    return (
      `service ${spec.name}: FROM (or COPY --from) ${invalid} in ${show(spec.dockerfile)} is not a valid image name once its ARGs are filled in ` +
      '(an ARG with no default and no value in build.args leaves a part of it empty): give the ARG a default, or set it in build.args'
    );
  }
  // Online, the builder pulls a missing base image itself (and pullFailureHint explains a failure).
  if (!offline) return null;
  // A named context the builder fetches (a URL, a git repository) needs the network whatever --network says.
  const fetched = Object.entries(spec.additionalContexts).find(([, value]) => /^[a-z][a-z0-9+.-]*:\/\//i.test(value) && !value.startsWith('docker-image://'));
  if (fetched !== undefined) {
    return (
      `service ${spec.name}: build.additional_contexts ${fetched[0]} is ${redact(fetched[1])}, which the builder fetches over the network, and this build has none: ` +
      'clone or download it next to the project and name the directory instead'
    );
  }
  // An image given as a named context is pulled like a base image when it is not here.
  const contextImages = Object.values(spec.additionalContexts).flatMap((value) => (value.startsWith('docker-image://') ? [value.slice('docker-image://'.length)] : []));
  const missing: string[] = [];
  for (const image of [...images, ...contextImages]) if (!missing.includes(image) && !(await io.imageExists(image))) missing.push(image);
  if (missing.length > 0) {
    return (
      `service ${spec.name}: base image ${missing.join(', ')} is not on this machine and this build has no network: ` +
      `pull it online first (docker pull ${missing[0]}), or load it from a saved archive (docker load -i FILE.tar)`
    );
  }
  return null;
}

/**
 * An image reference as Docker's reference grammar (distribution/reference) allows it:
 * [domain[:port]/]path[:tag][@digest], the path in lower case.
 */
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN = String.raw`(?:\[[0-9A-Fa-f:]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::\d+)?/`;
const IMAGE_REFERENCE = new RegExp(
  String.raw`^(?:${DOMAIN})?${COMPONENT}(?:/${COMPONENT})*(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`,
);

/** A hint for a builder failure whose cause is a base image (or a `# syntax=` frontend) that could not be pulled. */
export function pullFailureHint(lines: readonly string[], service: string): string | null {
  const text = lines.join('\n');
  // BuildKit's error summary names the failed lookup: ` > resolve image config for docker.io/docker/dockerfile:1:`.
  const frontend = /^ ?> resolve image config for (\S+?):?$/m.exec(text);
  if (frontend) {
    return (
      `service ${service}: the Dockerfile frontend ${frontend[1]} that the Dockerfile's \`# syntax=\` line names could not be looked up on its registry: ` +
      "remove the line to build with the builder's own frontend, or make that registry reachable (BuildKit looks the frontend up on every build)"
    );
  }
  const m = /(?:pull access denied for|failed to resolve source metadata for|manifest for|repository does not exist[^:]*:|not found: manifest unknown)\s*([^\s,:]+(?::[^\s,]+)?)?/i.exec(text);
  if (!m) return null;
  return `service ${service}: a base image could not be pulled${m[1] ? ` (${m[1]})` : ''}: check the name in FROM, docker login if it is private, or load it with docker load -i FILE.tar`;
}

const ARCH: Record<string, [string, string]> = { x64: ['amd64', ''], arm64: ['arm64', ''], arm: ['arm', 'v7'], ia32: ['386', ''], ppc64: ['ppc64le', ''] };

/** The platform `docker build` targets: DOCKER_DEFAULT_PLATFORM when set, else Linux on this machine's architecture. */
export function buildPlatform(arch: string, env: NodeJS.ProcessEnv): Platform {
  const [os, a, variant] = (env.DOCKER_DEFAULT_PLATFORM ?? '').split('/');
  if (os && a) return { os, arch: a, variant: variant ?? '' };
  const [mapped, v] = ARCH[arch] ?? [arch, ''];
  return { os: 'linux', arch: mapped, variant: v };
}

/** `linux/arm64`, `linux/arm/v7` as a Platform (what compose's build.platforms names). */
export function parsePlatform(name: string): Platform {
  const [os = '', arch = '', variant = ''] = name.split('/');
  return { os, arch, variant };
}
