// Character-code tests for the parsers' first-character checks (run on every line of a log).

export function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** A lower-case hex digit (Docker's layer and image ids). */
export function isHex(code: number): boolean {
  return isDigit(code) || (code >= 97 && code <= 102);
}
