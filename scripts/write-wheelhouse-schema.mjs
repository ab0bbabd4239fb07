// Writes schema/wheelhouse-manifest.schema.json from the zod schema in
// src/wheelhouse/manifest.ts (run after tsc, like write-schema.mjs for the ledger).
import { mkdirSync, writeFileSync } from 'node:fs';
import { manifestJsonSchema } from '../dist/src/wheelhouse/manifest.js';

const schema = {
  $id: 'https://offgrid.invalid/schema/wheelhouse-manifest.schema.json',
  title: 'offgrid wheelhouse manifest (wheelhouse/wheelhouse_manifest.json)',
  ...manifestJsonSchema(),
};
mkdirSync('schema', { recursive: true });
writeFileSync('schema/wheelhouse-manifest.schema.json', `${JSON.stringify(schema, null, 2)}\n`);
