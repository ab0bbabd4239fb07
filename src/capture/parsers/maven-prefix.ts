// Maven (and the plugins that run `docker build` inside it: Quarkus's container-image-docker,
// the fabric8/jib-era docker plugins) puts its level and often the logger before every line
// of the build's output:
//   [INFO] [io.quarkus.container.image.docker.deployment.DockerProcessor] #8 [linux/amd64 2/5] COPY …
//   [INFO] [io.quarkus.container.image.docker.deployment.DockerProcessor]      (an empty line)
// The prefix comes off once a line under it is Docker build framing (a BuildKit vertex, a
// legacy `Step N/M :`, the terminal display's header); then every line under the same logger
// loses it, whatever its level. Maven's own lines (`[INFO] BUILD SUCCESS`) keep theirs.

const BRACKET = 91;
/** `[INFO] ` and the logger in brackets, before Docker build framing. */
const FRAMED = /^\[(?:INFO|WARNING|WARN|ERROR|DEBUG)\] (\[[\w.$-]+\] )?(?=#\d+ \[|Step \d+(?:\/\d+)? : |\[\+\] Building \d)/;
const LEVEL = /^\[(?:INFO|WARNING|WARN|ERROR|DEBUG)\] /;

export class MavenPrefix {
  /** The logger (`[io.quarkus…DockerProcessor] `) whose lines are the build's; '' for level alone. */
  private logger: string | null = null;

  /** The line without Maven's prefix, or the line itself when it carries none of the build's. */
  strip(line: string): string {
    if (line.charCodeAt(0) !== BRACKET) return line;
    if (this.logger === null) {
      const framed = FRAMED.exec(line);
      if (framed === null) return line;
      this.logger = framed[1] ?? '';
      return line.slice(framed[0].length);
    }
    const level = LEVEL.exec(line);
    if (level === null) return line;
    const rest = line.slice(level[0].length);
    if (this.logger === '') return rest;
    if (rest.startsWith(this.logger)) return rest.slice(this.logger.length);
    // The logger with the blank after it trimmed away: an empty line of the build.
    return rest === this.logger.trimEnd() ? '' : line;
  }
}
