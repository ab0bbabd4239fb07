// Request coalescing: many concurrent requests for one uncached key make ONE upstream fetch
// (BaGetter#290 answered 24 of 25 parallel requests with 404 for lack of this).
//
// How the proxy uses it:
//   const flight = flights.fetch(key, () => openUpstream(request));   // synchronous
//   const { metadata, size } = await flight.response;                 // send headers
//   await (await flight.body()).writeTo(clientResponse);               // send the body
//
// The first caller for a key is the leader: its flight re-checks the store (a request that
// arrives just after a download finished is a hit, not a second fetch; `skipStoreCheck`
// when the caller knows the stored copy is outdated, `missedAt` when the caller has just
// looked and nothing was committed since), else opens the upstream once and
// pipes it into a cache writer. Every caller, leader included, reads the body through a
// LiveReader (live-reader.ts): from memory as chunks arrive while it keeps up, from the
// writer's temp file when it falls behind, so followers that join late still get every
// byte, memory stays bounded, and the last byte is released only after size and sha256
// were checked. If the upstream fails, every caller's
// `response` or body fails with the same error, nothing is stored, and the flight is
// forgotten so the next request retries. A flight keeps downloading when its callers go
// away: the result still fills the cache.
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import type { CacheEntry, EntryMetadata } from './entry.js';
import { CacheError } from './errors.js';
import { contentPath } from './layout.js';
import { ChunkWindow, type LiveWrite, LiveReader, tapInto } from './live-reader.js';
import { Signal } from './signal.js';
import type { CacheStore } from './store.js';
import type { DeclaredDigest, VerifiedContent } from './writer.js';

export interface UpstreamResponse {
  readonly body: Readable;
  /** Content-Length, when upstream declared one. */
  readonly expectedSize?: number | null;
  /** A hash upstream declared (e.g. PyPI's `#sha256=` fragment), when known. */
  readonly expectedSha256?: string | null;
  /** A digest upstream declared in another algorithm (npm's sha512), when known. */
  readonly declaredDigest?: DeclaredDigest | null;
  readonly metadata: EntryMetadata;
}

export type OpenUpstream = () => Promise<UpstreamResponse>;

export interface FlightResponse {
  /** 'cache' when the entry was already stored, 'upstream' when this flight downloads it. */
  readonly from: 'cache' | 'upstream';
  readonly metadata: EntryMetadata;
  /** Body length when known in advance (stored size, or upstream's Content-Length). */
  readonly size: number | null;
}

export interface FetchOptions {
  /**
   * Go to the upstream even if the store has an entry for the key (the caller revalidated
   * it and upstream sent something new). The old entry stays until the new one replaces it.
   */
  readonly skipStoreCheck?: boolean;
  /**
   * `commits` as it was when the caller looked the key up and found nothing: the flight
   * looks again only if a download was committed since. (A commit by another process on
   * the same cache in that instant costs a second download of identical bytes, no harm.)
   */
  readonly missedAt?: number;
}

export interface Flight {
  readonly key: string;
  /** True for the caller whose request started the flight. */
  readonly leader: boolean;
  readonly response: Promise<FlightResponse>;
  /** The stored entry once the body is committed. */
  readonly done: Promise<CacheEntry>;
  /**
   * Size and sha256 once every byte is in and checked — before the commit of `done`, and
   * before a body with `endWhenVerified` releases its last byte.
   */
  readonly verified: Promise<VerifiedContent>;
  /**
   * A new stream of the whole body for this caller. It ends after the entry is committed,
   * or with `endWhenVerified` right after the last (verified) byte: see LiveReader.
   */
  body(options?: { endWhenVerified?: boolean }): Promise<FlightBody>;
}

/** A body as a stream, or written straight into a Writable (cheaper: see LiveReader.writeTo). */
export type FlightBody = Readable & { writeTo(sink: Writable): Promise<void> };

interface FlightState {
  readonly response: Promise<FlightResponse>;
  readonly done: Promise<CacheEntry>;
  readonly verified: Promise<VerifiedContent>;
  cached: CacheEntry | null;
  live: LiveWrite | null;
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // callers observe it; an unobserved one must not crash the process
  return { promise, resolve, reject };
}

export class SingleFlight {
  private readonly flights = new Map<string, FlightState>();
  private committed = 0;

  constructor(private readonly store: CacheStore) {}

  /** Downloads committed through this SingleFlight so far (see FetchOptions.missedAt). */
  get commits(): number {
    return this.committed;
  }

  /** Keys with a flight in progress. */
  get inFlight(): number {
    return this.flights.size;
  }

  fetch(key: string, openUpstream: OpenUpstream, options: FetchOptions = {}): Flight {
    const existing = this.flights.get(key);
    const lookAgain = !options.skipStoreCheck && options.missedAt !== this.committed;
    const state = existing ?? this.start(key, openUpstream, !lookAgain);
    return {
      key,
      leader: existing === undefined,
      response: state.response,
      done: state.done,
      verified: state.verified,
      body: (options) => this.body(key, state, options?.endWhenVerified ?? false),
    };
  }

  private start(key: string, openUpstream: OpenUpstream, skipStoreCheck: boolean): FlightState {
    const response = deferred<FlightResponse>();
    const done = deferred<CacheEntry>();
    const verified = deferred<VerifiedContent>();
    const state: FlightState = { response: response.promise, done: done.promise, verified: verified.promise, cached: null, live: null };
    this.flights.set(key, state);
    // Forgotten before `done` settles: whoever awaits it and asks again starts afresh.
    const forget = (): void => {
      if (this.flights.get(key) === state) this.flights.delete(key);
    };
    this.run(key, openUpstream, skipStoreCheck, state, response.resolve, verified.resolve, (entry) => {
      this.committed++;
      forget();
      verified.resolve({ size: entry.size, sha256: entry.sha256 });
      done.resolve(entry);
    }).catch((error: Error) => {
      forget();
      response.reject(error);
      verified.reject(error);
      done.reject(error);
    });
    return state;
  }

  /**
   * The commit of a download whose bytes are all in and verified (its clients may already
   * have them all), or null. A request arriving then waits for the entry rather than
   * joining a flight that is over.
   */
  settling(key: string): Promise<CacheEntry> | null {
    const state = this.flights.get(key);
    return state?.live && state.live.outcome.size !== null ? state.done : null;
  }

  private async run(
    key: string,
    openUpstream: OpenUpstream,
    skipStoreCheck: boolean,
    state: FlightState,
    respond: (response: FlightResponse) => void,
    verify: (content: VerifiedContent) => void,
    finish: (entry: CacheEntry) => void,
  ): Promise<void> {
    const cached = skipStoreCheck ? null : await this.store.get(key);
    if (cached && (await this.store.hasContent(cached.sha256))) {
      state.cached = cached;
      respond({ from: 'cache', metadata: cached.metadata, size: cached.size });
      finish(cached);
      return;
    }
    const upstream = await openUpstream();
    const writer = this.store.writer(key, { expectedSize: upstream.expectedSize ?? null, expectedSha256: upstream.expectedSha256 ?? null, declaredDigest: upstream.declaredDigest ?? null, metadata: upstream.metadata });
    const live: LiveWrite = {
      writer,
      window: new ChunkWindow(),
      signal: new Signal(),
      outcome: { size: null, entry: null, error: null },
      openContent: (entry) => open(contentPath(this.store.root, entry.sha256), 'r'),
    };
    writer.on('progress', (durable: number) => {
      live.window.trim(durable);
      live.signal.notify();
    });
    void writer.verified.then((content) => {
      // Before the live readers may release their last byte (they wait for the signal).
      verify(content);
      live.outcome.size = content.size;
      live.signal.notify();
    });
    state.live = live;
    respond({ from: 'upstream', metadata: upstream.metadata, size: upstream.expectedSize ?? null });
    // pipeline destroys the writer when the upstream body fails, which stores nothing.
    const piped = pipeline(upstream.body, tapInto(live.window, live.signal), writer);
    try {
      const [entry] = await Promise.all([writer.done, piped]);
      live.outcome.entry = entry;
      finish(entry);
    } catch (error) {
      live.outcome.error = error as Error;
      // pipeline reports the upstream's failure before the writer has removed its temp file.
      await writer.done.catch(() => {});
      throw error;
    } finally {
      live.signal.notify();
    }
  }

  private async body(key: string, state: FlightState, endWhenVerified: boolean): Promise<FlightBody> {
    await state.response;
    if (state.live) return new LiveReader(state.live, endWhenVerified);
    const cached = state.cached;
    const stream = cached ? await this.store.open(cached) : null;
    if (!stream) {
      throw new CacheError('ECACHECORRUPT', `cached content for ${key} vanished while it was being served (pruned meanwhile); retry the request`, { key });
    }
    return stream;
  }
}
