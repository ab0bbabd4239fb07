// `JSON.stringify(value, null, 2)`, handed out in pieces. A ledger is one JSON document the
// guide's jq reads whole, but a proxy serving hits for a day records millions of them, and
// their text outgrows the longest string V8 can make (~512 MB: "Invalid string length").
// Objects are walked; each element of an array is stringified on its own and re-indented,
// which gives the same bytes because JSON text never holds a raw newline inside a string.
// (A ledger's arrays hold small records; walking those too cost four times JSON.stringify.)

export function* prettyJsonPieces(value: unknown, indent = ''): Generator<string> {
  if (value === null || typeof value !== 'object' || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    yield reindent(JSON.stringify(value, null, 2), indent);
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      yield '[]';
      return;
    }
    for (let i = 0; i < value.length; i++) {
      // JSON.stringify writes null for what it cannot write in an array (undefined, functions).
      const item: unknown = value[i];
      const text = item === undefined || typeof item === 'function' ? 'null' : reindent(JSON.stringify(item, null, 2), inner);
      yield `${i === 0 ? '[' : ','}\n${inner}${text}`;
    }
    yield `\n${indent}]`;
    return;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol');
  if (entries.length === 0) {
    yield '{}';
    return;
  }
  for (let i = 0; i < entries.length; i++) {
    const [key, item] = entries[i]!;
    yield `${i === 0 ? '{' : ','}\n${inner}${JSON.stringify(key)}: `;
    yield* prettyJsonPieces(item, inner);
  }
  yield `\n${indent}}`;
}

function reindent(text: string, indent: string): string {
  return indent === '' ? text : text.replaceAll('\n', `\n${indent}`);
}
