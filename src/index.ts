// offgrid as a library: the same parts the CLI is made of.

// The record: ledger schema, events, the pure compiler.
export { Ledger, DownloadRecord, NetworkAttempt, BuildStep, KINDS, type Kind, ledgerJsonSchema } from './ledger/schema.js';
export { compileLedger, type JournalEntry, type SessionHeader, type SessionEnd } from './ledger/compile.js';
export { mergeEvidence } from './ledger/evidence.js';
export { downloadEvent, networkAttemptEvent, errorEvent, type CaptureEvent, type DownloadEvent, type EventSink } from './capture/events.js';

// Capture: tool output parsers and the caching proxy.
export { LineSplitter, cleanLine } from './capture/parsers/lines.js';
export { createLogParser, type LogParser, type LogParserOptions } from './capture/parsers/log-parser.js';
export { TOOL_PARSERS, parseToolLines } from './capture/parsers/tools.js';
export type { ToolParser, ToolParserFactory } from './capture/parsers/tool-parser.js';
export { startProxy, type RunningProxy, type StartProxyOptions } from './capture/proxy/server.js';
export { pypiRoute } from './capture/proxy/pypi.js';
export { npmRoute } from './capture/proxy/npm.js';
export { proxyEnvironment } from './capture/proxy/env.js';
export { resolveUpstreams } from './capture/proxy/upstreams.js';

// Storage.
export * from './cache/index.js';
export { exportCache, importCache } from './cache/archive.js';
export { exportApt } from './cache/apt-repo.js';

// Sessions and reports.
export { Session, type SessionOptions } from './session/session.js';
export { startRecording, defaultCacheDir, type Recording, type RecordingOptions } from './session/recording.js';
export { recoverAbandonedSessions } from './session/recover.js';
export { loadLedgers, selectSessions } from './report/load.js';
export { sessionSummary, toCache, compare, artifacts } from './report/queries.js';

// The guide's workflows.
export { buildWheelhouse } from './wheelhouse/build.js';
export { verifyWheelhouse } from './wheelhouse/verify.js';
export { parseRequirementsText } from './wheelhouse/requirements.js';
export { loadProject } from './docker/project.js';
export { analyzeBuild } from './docker/analysis.js';
export { renderBuildReport } from './docker/render-report.js';
export { makeOfflineReady } from './docker/init.js';
export { verifyOffline } from './sandbox/verify.js';

export { redact } from './redact.js';
export { OffgridError, ERROR_CODES, type ErrorCode } from './errors.js';
