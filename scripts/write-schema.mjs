// Writes schema/ledger.schema.json from the zod schema in src/ledger/schema.ts (run after tsc).
import { mkdirSync, writeFileSync } from 'node:fs';
import { ledgerJsonSchema } from '../dist/src/ledger/schema.js';

const schema = {
  $id: 'https://offgrid.invalid/schema/ledger.schema.json',
  title: 'offgrid download ledger (logs/build/downloads_YYYYMMDD_HHMMSS.json)',
  ...ledgerJsonSchema(),
};
mkdirSync('schema', { recursive: true });
writeFileSync('schema/ledger.schema.json', `${JSON.stringify(schema, null, 2)}\n`);
