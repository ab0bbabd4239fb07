// A saved log in UTF-16 (Windows PowerShell 5's `>` and `Out-File` write UTF-16LE with a
// byte-order mark) has a NUL byte beside every character: no line would match a parser.
// Such input is re-encoded to UTF-8 before it is split into lines; anything else passes
// through untouched (the line splitter deals with invalid UTF-8 itself).

export interface Utf8Input {
  /** The next chunk of the log, as UTF-8. */
  push(chunk: Buffer): Buffer;
  /** The log ended: what is still held back. */
  end(): Buffer;
}

export function toUtf8(): Utf8Input {
  /** undefined until the first two bytes decide; null for input that is not UTF-16. */
  let decoder: TextDecoder | null | undefined;
  let head = Buffer.alloc(0);
  const decode = (chunk: Buffer): Buffer => (decoder ? Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8') : chunk);
  return {
    push(chunk) {
      if (decoder !== undefined) return decode(chunk);
      head = Buffer.concat([head, chunk]);
      if (head.length < 2) return Buffer.alloc(0);
      const encoding = bomEncoding(head);
      decoder = encoding === null ? null : new TextDecoder(encoding);
      return decode(head);
    },
    end() {
      if (decoder === undefined) return head;
      return decoder === null ? Buffer.alloc(0) : Buffer.from(decoder.decode(), 'utf8');
    },
  };
}

function bomEncoding(bytes: Buffer): 'utf-16le' | 'utf-16be' | null {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return null;
}
