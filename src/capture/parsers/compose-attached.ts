// `docker compose up` names each container's lines. Most names end in a replica number
// (`web-1  | `, ci-prefix.ts takes those off anywhere), but a service with a `container_name`
// of its own is named by it alone (`shop-frontend  | `), which cannot be told from a table's
// `name | value` by its shape. Compose lists the containers it attaches to before their
// first line (`Attaching to shop-frontend, dc_worker_1`): those names, and only those, come off.
import { afterContainerName } from './ci-prefix.js';

const ATTACHING = 'Attaching to ';

export class AttachedContainers {
  private readonly names = new Set<string>();

  /** `text` without the prefix of a container compose attached to; other lines unchanged. */
  strip(text: string): string {
    if (text.startsWith(ATTACHING)) {
      for (const name of text.slice(ATTACHING.length).split(',')) if (name.trim() !== '' && this.names.size < 1000) this.names.add(name.trim());
      return text;
    }
    if (this.names.size === 0) return text;
    const space = text.indexOf(' ');
    if (space < 1 || !this.names.has(text.slice(0, space))) return text;
    return afterContainerName(text, space) ?? text;
  }
}
