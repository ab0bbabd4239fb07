// What a long-running proxy remembers per URL (which upstream URLs the mirrors' pages pointed
// at, how a URL is classified, how it reads redacted) must stay bounded however many URLs
// it sees.

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
