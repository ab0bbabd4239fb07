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
export type ToolParserFactory = (emit: (event: CaptureEvent) => void, at: Attribution) => ToolParser;
