// Child of bench/parsers.ts: parses one file with offgrid's pipeline and prints timing,
// peak RSS and the number of events as JSON.
import { createReadStream } from 'node:fs';
import { LineSplitter } from '../src/capture/parsers/lines.js';
import { createLogParser } from '../src/capture/parsers/log-parser.js';
import { TOOL_PARSERS } from '../src/capture/parsers/tools.js';

const path = process.argv[2];
if (!path) throw new Error('usage: parse-file FILE');
let events = 0;
const parser = createLogParser({ service: null, emit: () => void events++, tools: TOOL_PARSERS });
const splitter = new LineSplitter((line) => parser.line(line));
const started = process.hrtime.bigint();
for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) splitter.write(chunk as Buffer);
splitter.end();
parser.end();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(JSON.stringify({ seconds, peakRssMB: process.resourceUsage().maxRSS / 1024, events }));
