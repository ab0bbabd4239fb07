// A saved log in UTF-16 (Windows PowerShell 5's `>` and `Out-File` write UTF-16LE with a
// byte-order mark; .NET's Encoding.Unicode without one) has a NUL byte beside every
// character: no line would match a parser.
// Such input is re-encoded to UTF-8 before it is split into lines; anything else passes
// through untouched (the line splitter deals with invalid UTF-8 itself).

export interface Utf8Input {
  /** The next chunk of the log, as UTF-8. */
  push(chunk: Buffer): Buffer;
  /** The log ended: what is still held back. */
  end(): Buffer;
}

/** Bytes looked at to tell UTF-16 without a byte-order mark. */
const SNIFF_BYTES = 8;

export function toUtf8(): Utf8Input {
  /** undefined until the first bytes decide; null for input that is not UTF-16. */
  let decoder: TextDecoder | null | undefined;
  let head = Buffer.alloc(0);
  const decode = (chunk: Buffer): Buffer => (decoder ? Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8') : chunk);
  const decide = (): void => {
    const encoding = utf16Encoding(head);
    decoder = encoding === null ? null : new TextDecoder(encoding);
  };
  return {
    push(chunk) {
      if (decoder !== undefined) return decode(chunk);
      head = Buffer.concat([head, chunk]);
      if (head.length < SNIFF_BYTES) return Buffer.alloc(0);
      decide();
      return decode(head);
    },
    end() {
      if (decoder === undefined) {
        decide();
        return decoder === null ? head : Buffer.concat([decode(head), Buffer.from(decoder!.decode(), 'utf8')]);
      }
      return decoder === null ? Buffer.alloc(0) : Buffer.from(decoder.decode(), 'utf8');
    },
  };
}

/**
 * UTF-16 by its byte-order mark, or without one by the NUL beside each of four ASCII
 * characters (`G\0e\0t\0:\0` little-endian, `\0G\0e\0t\0:` big-endian); null for anything else.
 */
export function utf16Encoding(bytes: Buffer): 'utf-16le' | 'utf-16be' | null {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  if (bytes.length < SNIFF_BYTES) return null;
  const nulBeside = (nul: number): boolean => [0, 2, 4, 6].every((i) => bytes[i + nul] === 0 && bytes[i + 1 - nul] !== 0);
  if (nulBeside(1)) return 'utf-16le';
  if (nulBeside(0)) return 'utf-16be';
  return null;
}
