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
  /**
   * The first characters (UTF-16 code units) of the lines this parser reads. Any other line
   * must leave it exactly as it was, whatever its state: then the pipeline does not call it
   * for such lines, which are most lines of a big log (see tools.ts). Undefined: every line.
   */
  readonly firstChars?: string;
}

/**
 * Builds a parser bound to where its lines come from. `emit` receives events whose
 * `service` and `step` are already those of `at`.
 */
export type ToolParserFactory = (emit: (event: CaptureEvent) => void, at: Attribution) => ToolParser;
