// The mirrors remember which upstream URLs their rewritten pages pointed at (only those
// may be fetched). Memory must stay bounded however many pages a long-running proxy serves.

/** A Map that forgets its oldest entries beyond `limit`; setting a key again refreshes it. */
export class BoundedMap<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly limit: number) {}

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.limit) break;
      this.entries.delete(oldest);
    }
  }

  get(key: K): V | undefined {
    return this.entries.get(key);
  }
}
