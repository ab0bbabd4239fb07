// logs/docker_build/build_report.md from a BuildAnalysis. Pure.
import { formatBytes, formatSeconds } from '../report/format.js';
import { type BuildAnalysis, type ServiceAnalysis, type StepDownloads, type Tally, stillFetchedLabel } from './analysis.js';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string): string => `\`${text.replace(/`/g, "'")}\``;

function tally(t: Tally): string {
  if (t.fetched === 0 && t.cached === 0) return '–';
  const parts: string[] = [];
  if (t.fetched > 0) parts.push(`${t.fetched} fetched (${bytes(t.bytesFetched, t.fetched, t.unsizedFetched)})`);
  if (t.cached > 0) parts.push(`${t.cached} cached (${bytes(t.bytesCached, t.cached, t.unsizedCached)})`);
  return parts.join(', ');
}

/** A total that leaves out items of unknown size says so, rather than count them as 0 B. */
function bytes(total: number, count: number, unsized: number): string {
  if (unsized === 0) return formatBytes(total);
  if (unsized === count) return 'size unknown';
  return `${formatBytes(total)} + ${unsized} of unknown size`;
}

function downloadsTable(rows: readonly StepDownloads[]): string[] {
  if (rows.length === 0) return ['No downloads were recorded.'];
  return [
    '| step | apt packages | wheels | npm | other files |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${cell(code(r.step))} | ${tally(r.apt)} | ${tally(r.wheels)} | ${tally(r.npm)} | ${tally(r.other)} |`),
  ];
}

const RESULT: Record<ServiceAnalysis['run']['result'], string> = {
  success: 'success',
  failed: '**FAILED**',
  'not-built': '**not built**',
  unfinished: '**unfinished** (the log ends before the build did)',
};

function service(s: ServiceAnalysis, fromLogs: boolean): string[] {
  const r = s.run;
  const out = [`## ${r.name}`, ''];
  out.push(`- result: ${RESULT[r.result]}${r.exit_code !== null && r.exit_code !== 0 ? ` (docker exit ${r.exit_code})` : ''}`);
  // A saved log names no image or Dockerfile, and its build's duration is not known.
  if (!fromLogs) {
    out.push(
      `- image: ${code(r.image)}${r.image_size !== null ? `, ${formatBytes(r.image_size)}` : ''}`,
      `- Dockerfile: ${code(r.dockerfile)} (context ${code(r.context)}); log: ${r.log === null ? 'none (not started)' : code(r.log)}`,
      `- duration: ${r.duration_seconds === null ? '–' : formatSeconds(r.duration_seconds)}`,
    );
  } else out.push(`- log: ${r.log === null ? 'none' : code(r.log)}`);
  out.push(
    `- steps (FROM not counted): ${s.stepsRun} run, ${s.stepsCached} CACHED`,
    `- network attempts: ${s.attempts.reduce((n, a) => n + a.count, 0)}`,
    '',
  );
  if (r.error !== null) out.push(`**Error:** ${r.error}`, '');
  if (s.steps.length === 0 && fromLogs && r.result === 'success') {
    // `docker compose build` of services with one Dockerfile: BuildKit runs each shared step once.
    out.push(`No step was printed under ${r.name}: BuildKit runs a step several services share once, under one of their names.`, '');
  }
  if (s.steps.length > 0) {
    out.push('### Steps', '', '| # | step | status | time |', '| --- | --- | --- | --- |');
    s.steps.forEach((st, i) => {
      const status = st.status === 'cached' ? 'CACHED' : st.status;
      out.push(`| ${st.position ?? i + 1} | ${cell(code(st.name))} | ${status} | ${st.duration_seconds === null ? '–' : formatSeconds(st.duration_seconds)} |`);
    });
    out.push('');
  }
  if (s.slowest.length > 0) {
    out.push('Slowest steps: ' + s.slowest.map((st) => `${code(st.name)} (${formatSeconds(st.duration_seconds ?? 0)})`).join('; '), '');
  }
  out.push('### Downloads per step', '', ...downloadsTable(s.downloads), '');
  if (s.attempts.length > 0) {
    out.push('### Network attempts', '', '| step | tool | URL or host | error | times |', '| --- | --- | --- | --- | --- |');
    for (const a of s.attempts) out.push(`| ${cell(code(a.step ?? '–'))} | ${a.tool} | ${cell(a.url_or_host)} | ${cell(a.error)} | ${a.count} |`);
    out.push('');
  }
  if (s.errors.length > 0 || s.failedSteps.length > 0) {
    out.push('### Errors', '');
    for (const st of s.failedSteps) out.push(`- failing step ${code(st.name)}: ${st.error ?? 'no reason given'}`);
    for (const e of s.errors) {
      const [first, ...rest] = e.message.split('\n');
      out.push(`- ${first}`);
      if (rest.length > 0) out.push('', '  ```', ...rest.map((l) => `  ${l}`), '  ```');
    }
    if (r.last_lines.length > 0 && r.result !== 'success') out.push('', '  Last lines of the build:', '', '  ```', ...r.last_lines.map((l) => `  ${l}`), '  ```');
    out.push('');
  }
  return out;
}

export function renderBuildReport(a: BuildAnalysis): string {
  const m = a.meta;
  const fromLogs = m.mode === 'logs';
  const mode =
    m.mode === 'verify'
      ? 'offgrid verify (--network=none --no-cache, proxy offline)'
      : fromLogs
        ? 'build logs saved without offgrid, read by offgrid build-analyze'
        : `offgrid build${m.offline ? ' --offline' : ''}${m.no_cache ? ' --no-cache' : ''}`;
  const ok = a.services.filter((s) => s.run.result === 'success').length;
  const out = [
    '# Docker build report',
    '',
    `- run: ${mode}; session ${code(m.session_id)} (ledger ${code(m.ledger)})`,
    fromLogs
      ? `- read ${m.started_at}; builder (from the logs): ${m.builder === 'legacy' ? 'legacy' : 'BuildKit'}; what network the build had is not known`
      : `- started ${m.started_at}, ended ${m.ended_at}; builder: ${m.builder}; network: ${m.network}`,
    `- services: ${ok} of ${a.services.length} built${a.services.length > ok ? ` (${a.services.filter((s) => s.run.result !== 'success').map((s) => s.run.name).join(', ')} did not)` : ''}`,
    '',
    '## Verdict',
    '',
    a.verdict.offlineReady ? '**Offline-ready.**' : a.verdict.proved ? '**Not offline-ready.**' : '**Not proved offline-ready.**',
    '',
    ...a.verdict.reasons.map((r) => `- ${r}`),
    '',
    ...(a.verdict.warnings.length === 0 ? [] : ['Not seen, so not counted:', '', ...a.verdict.warnings.map((w) => `- ${w}`), '']),
  ];
  for (const s of a.services) out.push(...service(s, fromLogs));
  out.push('## Across services', '', '### Shared dependencies', '');
  if (a.shared.length === 0) out.push('No package was installed by more than one service.', '');
  else {
    out.push('| kind | package | services |', '| --- | --- | --- |');
    for (const p of a.shared) out.push(`| ${p.kind} | ${cell(p.name)} | ${p.services.join(', ')} |`);
    out.push('', 'Shared packages are cached once: one wheelhouse and one apt archive serve every service that needs them.', '');
  }
  out.push('### Still fetched from the network', '');
  if (a.stillFetched.length === 0) out.push('Nothing: every recorded download came from a cache.', '');
  for (const f of a.stillFetched) {
    out.push(`- **${stillFetchedLabel(f)}** (${f.items.length}): ${f.items.slice(0, 10).map((r) => code(r.filename ?? r.name ?? r.source ?? '?')).join(', ')}${f.items.length > 10 ? ', …' : ''}`);
    out.push(`  - to cache: ${f.howToCache}`);
    const around = f.aroundProxy;
    if (around) {
      const names = around.items.slice(0, 5).map((r) => code(r.filename ?? r.name ?? r.source ?? '?')).join(', ');
      out.push(`  - not through offgrid's proxy, so not in its cache either (${around.items.length === f.items.length ? 'all' : `${around.items.length} of ${f.items.length}`}: ${names}${around.items.length > 5 ? ', …' : ''}): ${around.why}`);
    }
  }
  out.push('');
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
