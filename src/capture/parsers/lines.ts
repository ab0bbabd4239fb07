// Turns a byte stream of tool output into clean text lines, in constant memory.
// Tool output is hostile input: invalid UTF-8, CRLF, ANSI colour, pip's `\r` progress
// bars, and single "lines" of many megabytes (a minified file cat'ed into a log).
import { isAscii } from 'node:buffer';

/** Longest line kept, in bytes; the rest of a longer line is dropped (and counted). */
export const MAX_LINE_BYTES = 64 * 1024;
/** Bytes of whole lines decoded at once (see emitRun). */
const DECODE_PIECE_BYTES = 16 * 1024;

/**
 * CSI (colours), then the string sequences up to BEL or ST — OSC `ESC ]`, DCS `ESC P`, PM
 * `ESC ^` and APC `ESC _`, which Buildkite's raw logs put before each line
 * (`ESC _bk;t=1712345678901 BEL`) — then two-byte escapes.
 */
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|[\]P^_][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;

/**
 * Makes one raw line readable: drops ANSI escapes and keeps what a terminal would show
 * last after carriage returns (a progress bar redraws itself with `\r`).
 */
export function cleanLine(raw: string): string {
  let line = raw;
  if (line.endsWith('\r')) line = line.slice(0, -1);
  if (line.includes('\x1b')) line = line.replace(ANSI, '');
  const cr = line.lastIndexOf('\r');
  if (cr !== -1) {
    // pip redraws "━━━ 1.2/16.4 MB" with \r and ends the bar with the final state;
    // a bare trailing \r (already stripped) must not blank the line.
    const tail = line.slice(cr + 1);
    line = tail.trim() === '' ? line.slice(0, cr) : tail;
    const before = line.lastIndexOf('\r');
    if (before !== -1) line = line.slice(before + 1);
  }
  return line;
}

/** Buildkite's raw job log starts each line with its time: `ESC _bk;t=1712345678901 BEL`. */
const BUILDKITE_TIME = '\x1b_bk;t=';
const BUILDKITE_MARK = /^\x1b(_bk;t=\d{1,16})\x07/;

/**
 * A Buildkite line with its time kept as text (`_bk;t=1712345678901Collecting x`), as a copy
 * that lost the escape's two control characters reads, for the CI prefix reader (ci-prefix.ts)
 * to take off; the rest of the line is cleaned as any other.
 */
function keepBuildkiteTime(raw: string): string {
  const mark = BUILDKITE_MARK.exec(raw);
  return mark === null ? cleanLine(raw) : mark[1]! + cleanLine(raw.slice(mark[0].length));
}

export interface LineSplitterStats {
  lines: number;
  bytes: number;
  /** Lines longer than MAX_LINE_BYTES, cut to that length. */
  truncatedLines: number;
}

/**
 * Splits byte chunks into lines and hands each (cleaned) to `onLine`. Newline bytes never
 * occur inside a multi-byte UTF-8 sequence, so each run of whole lines is decoded at once;
 * invalid bytes become U+FFFD.
 */
export class LineSplitter {
  readonly stats: LineSplitterStats = { lines: 0, bytes: 0, truncatedLines: 0 };
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private overlong = false;

  constructor(private readonly onLine: (line: string) => void) {}

  write(chunk: Buffer): void {
    this.stats.bytes += chunk.length;
    let start = 0;
    const firstNewline = chunk.indexOf(10);
    if (firstNewline === -1) {
      this.keep(chunk);
      return;
    }
    if (this.pendingBytes > 0 || this.overlong) {
      this.keep(chunk.subarray(0, firstNewline));
      this.flushPending();
      start = firstNewline + 1;
    }
    const lastNewline = chunk.lastIndexOf(10);
    if (lastNewline >= start) {
      this.emitRun(chunk.subarray(start, lastNewline));
      start = lastNewline + 1;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
  }

  /** The stream ended: a last line without a newline still counts. */
  end(): void {
    if (this.pendingBytes > 0 || this.overlong) this.flushPending();
  }

  /**
   * Whole lines without their last newline, decoded a piece at a time: most of a log is
   * ASCII, which latin1 turns into a compact one-byte string without UTF-8 decoding. One
   * progress bar or curly quote must not make the rest of a megabyte a two-byte string,
   * which every later regex and search then pays for.
   */
  private emitRun(run: Buffer): void {
    let from = 0;
    while (from <= run.length) {
      const cut = from + DECODE_PIECE_BYTES >= run.length ? run.length : run.indexOf(10, from + DECODE_PIECE_BYTES);
      const end = cut === -1 ? run.length : cut;
      const piece = run.subarray(from, end);
      this.emitText(piece.toString(isAscii(piece) ? 'latin1' : 'utf8'));
      from = end + 1;
    }
  }

  private emitText(text: string): void {
    // One scan of the whole run instead of two per line: most logs have no escapes at all.
    const needsCleaning = text.includes('\r') || text.includes('\x1b');
    let from = 0;
    for (;;) {
      const nl = text.indexOf('\n', from);
      const raw = nl === -1 ? text.slice(from) : text.slice(from, nl);
      this.emitLine(raw.length > MAX_LINE_BYTES ? this.truncate(raw) : raw, needsCleaning);
      if (nl === -1) return;
      from = nl + 1;
    }
  }

  private emitLine(raw: string, mayNeedCleaning = true): void {
    // A log saved on Windows or downloaded from GitHub Actions starts with a byte-order mark.
    if (this.stats.lines++ === 0 && raw.charCodeAt(0) === 0xfeff) raw = raw.slice(1);
    if (!mayNeedCleaning || !(raw.includes('\r') || raw.includes('\x1b'))) this.onLine(raw);
    else this.onLine(raw.startsWith(BUILDKITE_TIME) ? keepBuildkiteTime(raw) : cleanLine(raw));
  }

  private truncate(raw: string): string {
    this.stats.truncatedLines++;
    return raw.slice(0, MAX_LINE_BYTES);
  }

  private keep(part: Buffer): void {
    const room = MAX_LINE_BYTES - this.pendingBytes;
    if (part.length > room) {
      this.overlong = true;
      if (room > 0) {
        this.pending.push(Buffer.from(part.subarray(0, room)));
        this.pendingBytes += room;
      }
      return;
    }
    // Copy: the caller may reuse its buffer.
    this.pending.push(Buffer.from(part));
    this.pendingBytes += part.length;
  }

  private flushPending(): void {
    const text = Buffer.concat(this.pending, this.pendingBytes).toString('utf8');
    if (this.overlong) this.stats.truncatedLines++;
    this.pending = [];
    this.pendingBytes = 0;
    this.overlong = false;
    this.emitLine(text);
  }
}
