// `JSON.stringify(value, null, 2)`, handed out in pieces. A ledger is one JSON document the
// guide's jq reads whole, but a proxy serving hits for a day records millions of them, and
// their text outgrows the longest string V8 can make (~512 MB: "Invalid string length").
// Containers near the top are walked here; each element of an array is stringified on its
// own and re-indented, which gives the same bytes because JSON text never holds a raw
// newline inside a string.

/** Containers nested deeper than this are stringified whole (a record is small). */
const WALK_DEPTH = 3;

export function* prettyJsonPieces(value: unknown, indent = '', depth = 0): Generator<string> {
  if (depth >= WALK_DEPTH || value === null || typeof value !== 'object' || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    yield reindent(JSON.stringify(value, null, 2), indent);
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      yield '[]';
      return;
    }
    yield '[';
    for (let i = 0; i < value.length; i++) {
      yield `${i === 0 ? '' : ','}\n${inner}`;
      // JSON.stringify writes null for what it cannot write in an array (undefined, functions).
      const item: unknown = value[i];
      yield* item === undefined || typeof item === 'function' ? ['null'] : prettyJsonPieces(item, inner, depth + 1);
    }
    yield `\n${indent}]`;
    return;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol');
  if (entries.length === 0) {
    yield '{}';
    return;
  }
  yield '{';
  for (let i = 0; i < entries.length; i++) {
    const [key, item] = entries[i]!;
    yield `${i === 0 ? '' : ','}\n${inner}${JSON.stringify(key)}: `;
    yield* prettyJsonPieces(item, inner, depth + 1);
  }
  yield `\n${indent}}`;
}

function reindent(text: string, indent: string): string {
  return indent === '' ? text : text.replaceAll('\n', `\n${indent}`);
}
