// The contract between framing (plain output, Docker build logs) and the parsers that
// understand one tool's lines (pip, apt-get, npm, curl/wget).
import type { Attribution, CaptureEvent } from '../events.js';

export interface ToolParser {
  /** One cleaned line (see lines.ts): no newline, no ANSI, progress bars resolved. */
  line(text: string): void;
  /**
   * The stream, or the Docker build step that held these lines, ended: emit what can
   * only be inferred from the whole (e.g. apt packages installed without a `Get:` line
   * came from apt's archive cache).
   */
  end(): void;
}

/**
 * Builds a parser bound to where its lines come from. `emit` receives events whose
 * `service` and `step` are already those of `at`.
 */
export interface ToolParserFactory {
  (emit: (event: CaptureEvent) => void, at: Attribution): ToolParser;
  /**
   * The first characters of every line the parser reads, if it reads only some (a parser
   * that must see every line declares none). Lines are handed out by their first character,
   * so a line reaches only the parsers that may want it: a call per parser per line was the
   * largest cost on big logs.
   */
  readonly firstChars?: string;
}

/** A factory whose parsers read only lines starting with one of `firstChars` (see ToolParserFactory). */
export function readingLinesStartingWith(firstChars: string, create: (emit: (event: CaptureEvent) => void, at: Attribution) => ToolParser): ToolParserFactory {
  return Object.assign(create, { firstChars });
}

/** A table slot for every line whose first character is not ASCII (or that is empty). */
const OTHER = 128;

/** The parsers of `factories` as one, each handed only the lines its `firstChars` admit. */
export function combineToolParsers(
  factories: readonly ToolParserFactory[],
  emit: (event: CaptureEvent) => void,
  at: Attribution,
): ToolParser {
  const parsers = factories.map((factory) => factory(emit, at));
  const table: ((text: string) => void)[][] = Array.from({ length: OTHER + 1 }, () => []);
  parsers.forEach((parser, i) => {
    const line = parser.line.bind(parser);
    const chars = factories[i]?.firstChars;
    if (chars === undefined) {
      for (const slot of table) slot.push(line);
      return;
    }
    const slots = new Set<number>();
    for (let c = 0; c < chars.length; c++) slots.add(Math.min(chars.charCodeAt(c), OTHER));
    slots.add(OTHER);
    for (const slot of slots) table[slot]?.push(line);
  });
  return {
    line(text: string): void {
      const first = text.charCodeAt(0);
      const slot = (first < OTHER ? table[first] : table[OTHER]) as ((text: string) => void)[];
      for (let i = 0; i < slot.length; i++) (slot[i] as (text: string) => void)(text);
    },
    end(): void {
      for (const parser of parsers) parser.end();
    },
  };
}
