// The Gradle wrapper (`./gradlew`) fetching the Gradle distribution its
// gradle-wrapper.properties names, the first time it runs on a machine:
//   Downloading https://services.gradle.org/distributions/gradle-8.5-bin.zip
//   .........10%..........20%.........30% … ..........100%          (wrapper ≥ 4.x or so)
//   ........................................                       (older: dots alone, many lines)
// and, when the server cannot be reached, Java's last words instead of the dots:
//   Exception in thread "main" java.net.UnknownHostException: services.gradle.org
// The URL is whatever distributionUrl says (a company mirror too), so the file name tells it:
// `gradle-VERSION-bin.zip` or `gradle-VERSION-all.zip`. pip prints `Downloading URL` too; its
// parser leaves these files alone (a pip sdist is never named `-bin.zip`).
import { downloadEvent, networkAttemptEvent, type Attribution, type CaptureEvent } from '../events.js';
import { readingLinesStartingWith, type ToolParser } from './tool-parser.js';
import { baseName } from './pip-files.js';

const TOOL = 'gradle';
const DISTRIBUTION = /^gradle-(\d[\w.+-]*?)-(?:bin|all)\.zip$/;
/** A row of the wrapper's progress: dots, with a percentage every tenth (`..10%..20%`). */
const PROGRESS = /^\.+(?:\d{1,3}%\.*)*$/;
const EXCEPTION = 'Exception in thread "main" ';

/** The Gradle version of a wrapper's distribution file (`gradle-8.5-bin.zip` → `8.5`), or null. */
export function gradleDistributionVersion(filename: string): string | null {
  return DISTRIBUTION.exec(filename)?.[1] ?? null;
}

export const createGradleWrapperParser = readingLinesStartingWith('D.E', (emit, at) => new GradleWrapperParser(emit, at));

class GradleWrapperParser implements ToolParser {
  /** The distribution announced and not yet reported: a download unless Java's exception follows. */
  private pending: { url: string; filename: string; version: string } | null = null;

  constructor(
    private readonly emit: (event: CaptureEvent) => void,
    private readonly at: Attribution,
  ) {}

  line(text: string): void {
    const first = text.charCodeAt(0);
    if (first === 68 /* D */) {
      if (text.startsWith('Downloading http')) this.announced(text.slice(12).trim());
    } else if (this.pending === null) {
      return;
    } else if (first === 46 /* . */) {
      // The last tenth ends the transfer; an older wrapper's dots say nothing of the end.
      if (text.endsWith('100%') && PROGRESS.test(text)) this.report();
    } else if (text.startsWith(EXCEPTION)) {
      this.failed(text.slice(EXCEPTION.length).trim());
    }
  }

  end(): void {
    this.report();
  }

  private announced(url: string): void {
    if (url.includes(' ')) return;
    const filename = baseName(url);
    const version = gradleDistributionVersion(filename);
    if (version === null) return;
    this.report();
    this.pending = { url, filename, version };
  }

  private report(): void {
    const pending = this.pending;
    if (pending === null) return;
    this.pending = null;
    this.emit(
      downloadEvent({
        ...this.base(),
        kind: 'file',
        cached: false,
        name: 'gradle',
        version: pending.version,
        filename: pending.filename,
        source: pending.url,
      }),
    );
  }

  /** `java.net.UnknownHostException: services.gradle.org`, `java.io.IOException: Server returned HTTP response code: 403 for URL: …`. */
  private failed(exception: string): void {
    const pending = this.pending;
    this.pending = null;
    if (pending === null) return;
    this.emit(networkAttemptEvent({ ...this.base(), url_or_host: pending.url, error: exception }));
  }

  private base() {
    return { tool: TOOL, service: this.at.service, step: this.at.step, timestamp: null };
  }
}
