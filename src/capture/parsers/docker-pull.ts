// Image layers the Docker daemon pulled, as `docker pull`, the legacy builder's `FROM` step,
// `docker-compose` v1 and `docker compose pull` print them (BuildKit's own pulls are its
// `#N sha256:… done` lines, docker-buildkit.ts):
//   3.11-slim: Pulling from library/python
//   a2abf6c4d29d: Pull complete                 a layer fetched (after `Download complete`)
//   57df1a1f1ad8: Already exists                a layer the daemon had
//    ✔ a2b20f6fb1f6 Pull complete     4.7s      compose v2
import { downloadEvent, type Attribution, type CaptureEvent } from '../events.js';
import { readingLinesStartingWith, type ToolParser } from './tool-parser.js';
import { isHex } from './char-codes.js';

const TOOL = 'docker';
/** Docker's short layer id: 12 hex digits. */
const LAYER_ID_LENGTH = 12;
const CHECK_MARK = 0x2714; // ✔

export const createDockerPullParser = readingLinesStartingWith('0123456789abcdef ', (emit, at) => new DockerPullParser(emit, at));

class DockerPullParser implements ToolParser {
  constructor(
    private readonly emit: (event: CaptureEvent) => void,
    private readonly at: Attribution,
  ) {}

  line(text: string): void {
    const first = text.charCodeAt(0);
    if (isHex(first)) {
      // `a2abf6c4d29d: Pull complete` (with a trailing space when not on a terminal)
      if (text.charCodeAt(LAYER_ID_LENGTH) === 58 /* : */ && text.charCodeAt(LAYER_ID_LENGTH + 1) === 32) {
        this.status(text.slice(0, LAYER_ID_LENGTH), text.slice(LAYER_ID_LENGTH + 2).trimEnd());
      }
    } else if (first === 32) {
      let i = 1;
      while (i < 8 && text.charCodeAt(i) === 32) i++;
      if (text.charCodeAt(i) === CHECK_MARK && text.charCodeAt(i + 1) === 32) {
        const id = text.slice(i + 2, i + 2 + LAYER_ID_LENGTH);
        if (text.charCodeAt(i + 2 + LAYER_ID_LENGTH) === 32) this.status(id, text.slice(i + 3 + LAYER_ID_LENGTH).trim());
      }
    }
  }

  end(): void {}

  private status(id: string, status: string): void {
    if (!/^[0-9a-f]{12}$/.test(id)) return;
    const fetched = status.startsWith('Pull complete');
    if (!fetched && !status.startsWith('Already exists')) return;
    this.emit(
      downloadEvent({ tool: TOOL, kind: 'file', cached: !fetched, name: id, service: this.at.service, step: this.at.step }),
    );
  }
}
