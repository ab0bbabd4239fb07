// Index pages and packuments as text. A TextDecoder drops a leading byte-order mark, which
// JSON.parse would reject: RFC 8259 §8.1 lets a parser ignore one, and Windows tools write it.
const UTF8 = new TextDecoder();

export function decodeUtf8(bytes: Uint8Array): string {
  return UTF8.decode(bytes);
}
