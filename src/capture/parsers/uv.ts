// uv (`uv pip install`, `uv sync`) → events. uv names only its large downloads:
//   Downloading torch (750.9MiB)        …then, once fetched:
//    Downloaded torch
// and reports a failed fetch as a chain of causes, one per line:
//   × Failed to download `watchfiles==0.23.0`           (or `error: Failed to fetch: …`,
//   ├─▶ Failed to fetch:                                  `error: error sending request for url (URL)`
//   │   `https://h/…/watchfiles-0.23.0-….whl`             with `Caused by: …` lines)
//   ├─▶ client error (Connect)
//   ╰─▶ failed to lookup address information: Try again
// The chain is one network attempt at the URL it names, with its last cause; a chain that
// names no network failure (`× No solution found when resolving dependencies`) is an error.
// With `-v`, each try that uv retries is a chain too:
//   DEBUG Transient request failure for https://h/simple/x/, retrying: error sending request for url (…)
//     Caused by: client error (Connect)
//     Caused by: dns error: failed to lookup address information: Name does not resolve
import { downloadEvent, errorEvent, networkAttemptEvent, type Attribution, type CaptureEvent } from '../events.js';
import { normalizeProjectName } from './pip-files.js';
import { readingLinesStartingWith, type ToolParser } from './tool-parser.js';

const TOOL = 'uv';
// uv ≥ 0.5 marks a Python it fetches: `Downloading cpython-3.14.8-linux-aarch64-gnu (download) (28.9MiB)`.
const ANNOUNCED = /^Downloading ([A-Za-z0-9][\w.-]*)(?: \(download\))? \((\d+(?:\.\d+)?)(B|KiB|MiB|GiB)\)$/;
/** ` Downloaded torch`, ` Downloaded cpython-3.14.8-linux-aarch64-gnu (download)`: one name (cargo's `Downloaded x v1.0` has two). */
const DOWNLOADED = /^([A-Za-z0-9][\w.-]*)(?: \(download\))?$/;
const BINARY_UNITS: Readonly<Record<string, number>> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
const NETWORK_CAUSE = /error sending request|HTTP status (?:client|server) error|client error \(Connect\)|dns error|Could not connect|timed out|connection (?:refused|reset)|peer certificate|certificate verify|Request failed after/i;
const MAX_ANNOUNCED = 4096;
const TRANSIENT = /^DEBUG Transient request failure for (\S+?),? retrying: (.*)$/;

interface Chain {
  readonly head: string;
  url: string | null;
  last: string;
  network: boolean;
}

// `×`, `│`, `├─▶`, `╰─▶` are not ASCII: such lines reach every parser that declares first characters.
export const createUvParser = readingLinesStartingWith('Deh ', (emit, at) => new UvParser(emit, at));

class UvParser implements ToolParser {
  private readonly announced = new Map<string, number | null>();
  /** Packages uv fetched, awaiting their version from its ` + name==version` lines. */
  private readonly fetched = new Map<string, Parameters<typeof downloadEvent>[0]>();
  private chain: Chain | null = null;
  /** The index of a `hint: An index URL (URL)` whose status is on the next line (uv wraps its hints). */
  private hintUrl: string | null = null;

  constructor(
    private readonly emit: (event: CaptureEvent) => void,
    private readonly at: Attribution,
  ) {}

  line(raw: string): void {
    let text = raw;
    if (raw.charCodeAt(0) === 32) {
      // uv indents its chains under `×`, and ` Downloaded` by one space. Most indented
      // lines are other tools': reject them before making a new string.
      let i = 1;
      while (raw.charCodeAt(i) === 32) i++;
      const c = raw.charCodeAt(i);
      if (this.chain === null && this.hintUrl === null && c !== 68 /* D */ && c !== 215 /* × */ && c !== 120 /* x */ && c !== 43 /* + */ && c !== 104 /* h */) return;
      text = raw.slice(i);
      if (this.hintUrl !== null) {
        this.hintContinues(text);
        this.hintUrl = null;
      }
      if (this.chain !== null && this.continues(text)) return;
      if (text.startsWith('Downloaded ')) this.downloaded(text.slice(11).trim());
      else if (text.startsWith('+ ')) this.installed(text.slice(2));
      else if (text.charCodeAt(0) === 215 /* × */ || text.startsWith('x ')) this.failure(text.slice(1).trim());
      else if (text.startsWith('hint: An index ')) this.indexHint(text.slice(15));
      else if (this.chain !== null) this.endChain();
      return;
    }
    if (this.chain !== null && this.continues(text)) return;
    if (this.chain !== null) this.endChain();
    this.hintUrl = null;
    switch (text.charCodeAt(0)) {
      case 68: // D
        if (text.startsWith('Downloading ')) this.announce(text);
        else if (text.startsWith('DEBUG Transient ')) this.transient(text);
        return;
      case 215: // ×
        this.failure(text.slice(1).trim());
        return;
      case 104: // h
        if (text.startsWith('hint: An index ')) this.indexHint(text.slice(15));
        return;
      case 101: // e
        // `Failed to install cpython-3.11.10-macos-aarch64-none`: `uv python install` could not fetch a Python.
        if (text.startsWith('error: ') && /^error: (?:Failed to (?:fetch|download|install cpython-|install pypy-)|error sending request|Request failed)/.test(text)) {
          this.startChain(text.slice(7));
        }
        return;
      default:
        return;
    }
  }

  end(): void {
    if (this.chain !== null) this.endChain();
    for (const project of [...this.fetched.keys()]) this.release(project, null);
    this.announced.clear();
  }

  private base() {
    return { tool: TOOL, service: this.at.service, step: this.at.step, timestamp: null };
  }

  private announce(text: string): void {
    const m = ANNOUNCED.exec(text);
    if (m === null) return;
    if (this.announced.size >= MAX_ANNOUNCED) this.announced.clear();
    this.announced.set(m[1] ?? '', Math.round(Number(m[2]) * (BINARY_UNITS[m[3] ?? ''] ?? 1)));
  }

  /** uv prints ` Downloaded x` once x has arrived; its `Downloading x (size)` line may be cut off (`| tail`). */
  private downloaded(text: string): void {
    const name = DOWNLOADED.exec(text)?.[1];
    if (name === undefined) return;
    const size = this.announced.get(name) ?? null;
    this.announced.delete(name);
    // uv also fetches Python itself (`cpython-3.12.3-linux-x86_64-gnu`).
    const python = name.startsWith('cpython-') || name.startsWith('pypy-');
    if (python) {
      this.emit(downloadEvent({ ...this.base(), kind: 'file', cached: false, name, size }));
      return;
    }
    // The version comes later, in the summary of what was installed (` + torch==2.5.1+cu121`).
    const project = normalizeProjectName(name);
    if (this.fetched.size >= MAX_ANNOUNCED) this.release(this.fetched.keys().next().value ?? '', null);
    this.fetched.set(project, { ...this.base(), kind: 'wheel', cached: false, name: project, size });
  }

  /** ` + torchvision==0.20.1+cu121`: the version of a package uv fetched. */
  private installed(requirement: string): void {
    const m = /^([A-Za-z0-9][\w.-]*)==(\S+)$/.exec(requirement.trim());
    if (m !== null) this.release(normalizeProjectName(m[1] ?? ''), m[2] ?? null);
  }

  private release(project: string, version: string | null): void {
    const fields = this.fetched.get(project);
    if (fields === undefined) return;
    this.fetched.delete(project);
    this.emit(downloadEvent({ ...fields, version }));
  }

  /** `× Failed to download \`x==1.0\``: uv's; pip's `×` lines (`× Preparing metadata …`) are not. */
  private failure(head: string): void {
    if (head.startsWith('Failed to download') || head.startsWith('Failed to fetch')) this.startChain(head);
  }

  /**
   * uv's hint that an index refused it, which is all uv says of it (the resolution then fails):
   * `hint: An index URL (URL) could not be queried due to a lack of valid authentication
   * credentials (401 Unauthorized).`, `hint: An index (URL) returned a 403 Forbidden error.`
   */
  private indexHint(rest: string): void {
    const m = /^(?:URL )?\((https?:\/\/[^\s)]+)\)(.*)$/.exec(rest);
    if (m === null) return;
    this.hintUrl = m[1] ?? null;
    this.hintContinues(m[2] ?? '');
  }

  /** The status of the index `hintUrl`, on its hint's line or the next: a failed attempt there. */
  private hintContinues(text: string): void {
    const status = /\b[45]\d\d(?: [A-Z][a-z]+)+/.exec(text)?.[0];
    if (status === undefined) return;
    const url = this.hintUrl ?? '';
    this.hintUrl = null;
    this.emit(networkAttemptEvent({ ...this.base(), url_or_host: url, error: `HTTP status ${status}` }));
  }

  /** A try uv retries: a network failure by uv's own account, whatever its causes say. */
  private transient(text: string): void {
    const m = TRANSIENT.exec(text);
    if (m === null) return;
    this.startChain(m[2] ?? '');
    if (this.chain !== null) {
      this.chain.url = m[1] ?? null;
      this.chain.network = true;
    }
  }

  private startChain(head: string): void {
    if (this.chain !== null) this.endChain();
    this.chain = { head, url: urlIn(head), last: head, network: NETWORK_CAUSE.test(head) };
  }

  /**
   * A cause (`├─▶ …`, `╰─▶ …`, `Caused by: …`) or its continuation (`│   …`): true if it was one.
   * A console without Unicode (Windows') gets `x`, `|->`, `` `-> `` and `|` instead.
   */
  private continues(text: string): boolean {
    const chain = this.chain;
    if (chain === null) return false;
    let cause: string;
    if (text.startsWith('├─▶ ') || text.startsWith('╰─▶ ') || text.startsWith('|-> ') || text.startsWith('`-> ')) cause = text.slice(4);
    else if (text.startsWith('Caused by: ')) cause = text.slice(11);
    else if (text.startsWith('│') || text.startsWith('| ')) {
      chain.url ??= urlIn(text);
      return true;
    } else return false;
    chain.url ??= urlIn(cause);
    chain.last = cause.trim();
    if (NETWORK_CAUSE.test(cause)) chain.network = true;
    return true;
  }

  private endChain(): void {
    const chain = this.chain;
    this.chain = null;
    if (chain === null) return;
    if (chain.network && chain.url !== null) this.emit(networkAttemptEvent({ ...this.base(), url_or_host: chain.url, error: chain.last }));
    else this.emit(errorEvent({ ...this.base(), message: chain.head === chain.last ? chain.head : `${chain.head}: ${chain.last}` }));
  }
}

/** The URL `text` names, without its fragment (an index's `#sha256=…`: the same file, as pip's attempts name it). */
function urlIn(text: string): string | null {
  return /https?:\/\/[^\s`)'"#]+/.exec(text)?.[0] ?? null;
}
