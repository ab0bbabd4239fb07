// The process `offgrid verify -- CMD` starts INSIDE the fresh network namespace: offgrid's
// proxy in offline mode on the namespace's loopback, the command with its environment
// pointed at it, the session recorded as usual. It reports back through a file, because
// its stdout and stderr belong to the command. Started as `node inside-entry.js SPEC.json`.
import * as z from 'zod';
import { errorEvent, networkAttemptEvent } from '../capture/events.js';
import { ChildStartError, runChild } from '../capture/run-child.js';
import { type Recording, startRecording } from '../session/recording.js';
import { isoLocal, systemClock } from '../session/time.js';
import { systemProbe } from './isolation.js';
import { startNetTrap } from './net-trap.js';

export const InsideSpec = z.object({
  logDir: z.string(),
  cacheDir: z.string(),
  pypiUpstream: z.array(z.string()),
  npmUpstream: z.string().nullable(),
  allowHost: z.array(z.string()),
  command: z.array(z.string()).min(1),
  cwd: z.string(),
  service: z.string().nullable(),
  debug: z.boolean(),
  resultPath: z.string(),
});
export type InsideSpec = z.infer<typeof InsideSpec>;

export const InsideResult = z.object({
  sessionId: z.string(),
  ledgerPath: z.string(),
  exitCode: z.number().int().nullable(),
  /** Why the command could not be started (not found, not executable), else null. */
  spawnError: z.string().nullable(),
});
export type InsideResult = z.infer<typeof InsideResult>;

export async function runInside(spec: InsideSpec): Promise<InsideResult> {
  const say = (m: string) => process.stderr.write(`offgrid: ${m}\n`);
  const recording = await startRecording({
    logDir: spec.logDir,
    command: spec.command,
    offline: true,
    cacheDir: spec.cacheDir,
    upstreams: { pypi: spec.pypiUpstream, ...(spec.npmUpstream ? { npm: spec.npmUpstream } : {}) },
    clock: systemClock,
    log: { debug: (m) => spec.debug && say(`debug: ${m}`), warn: (m) => say(`warning: ${m}`) },
    env: process.env,
    allowHosts: spec.allowHost,
  });
  // Programs that ignore the proxy settings must not connect unseen: trap every address.
  const trap = await startNetTrap({
    which: (name) => systemProbe(process.env).which(name),
    record: (attempt) => recording.session.record(networkAttemptEvent({ ...attempt, evidence: 'proxy', timestamp: isoLocal(systemClock.now()) })),
  });
  if (spec.debug) say(`debug: network trap: ${trap.mode}`);
  for (const note of trap.notes) say(`warning: ${note}`);
  let outcome: { exitCode: number | null; spawnError: string | null };
  try {
    outcome = await runCommand(spec, recording);
  } finally {
    // Every trapped attempt is recorded before the ledger is compiled.
    await trap.close();
  }
  const { exitCode, spawnError } = outcome;
  await recording.finish(exitCode);
  return { sessionId: recording.session.id, ledgerPath: recording.session.paths.ledger, exitCode, spawnError };
}

async function runCommand(spec: InsideSpec, recording: Recording): Promise<{ exitCode: number | null; spawnError: string | null }> {
  const [file, ...args] = spec.command;
  try {
    const exitCode = await runChild(file!, args, {
      cwd: spec.cwd,
      env: { ...process.env, ...recording.env },
      stdout: process.stdout,
      stderr: process.stderr,
      capture: recording.capture(spec.service),
      inheritStdin: false,
    });
    return { exitCode, spawnError: null };
  } catch (error) {
    if (!(error instanceof ChildStartError)) throw error;
    recording.session.record(errorEvent({ message: error.message, tool: 'offgrid' }));
    return { exitCode: null, spawnError: error.message };
  }
}
