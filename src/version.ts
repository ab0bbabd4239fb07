import { readFileSync } from 'node:fs';

// package.json sits two levels above this file both in src/ (tests via tsx) and in dist/src/.
function readVersion(): string {
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'offgrid' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}

export const OFFGRID_VERSION = readVersion();
