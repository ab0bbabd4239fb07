// Times as the guide's files show them, including when one millisecond stamps many records.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoLocal, sessionStamp } from '../../src/session/time.js';

describe('isoLocal', () => {
  it('writes local time to the millisecond with the offset that instant had', () => {
    const at = new Date(2026, 0, 9, 14, 22, 33, 120);
    const offset = -at.getTimezoneOffset();
    const zone = `${offset >= 0 ? '+' : '-'}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')}:${String(Math.abs(offset) % 60).padStart(2, '0')}`;
    assert.equal(isoLocal(at), `2026-01-09T14:22:33.120${zone}`);
    assert.equal(sessionStamp(at), '20260109_142233');
  });
  it('gives each millisecond its own text, the same text within one', () => {
    const base = new Date(2026, 5, 30, 23, 59, 59, 998).getTime();
    const texts = [base, base, base + 1, base + 2, base].map((ms) => isoLocal(new Date(ms)));
    assert.equal(texts[0], texts[1]);
    assert.match(texts[2]!, /T23:59:59\.999/);
    assert.match(texts[3]!, /^2026-07-01T00:00:00\.000/);
    assert.equal(texts[4], texts[0]);
  });
});
