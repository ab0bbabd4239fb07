// `offgrid serve`: the caching proxy in the foreground, for a shell, a CI job or a team.
// It prints the environment lines that point tools at it and, on SIGINT/SIGTERM, writes
// the session ledger of everything it served.
import { once } from 'node:events';
import { OffgridError } from '../../errors.js';
import { say, type CliIO } from '../io.js';
import { recoverQuietly, sessionSummaryLine, startRecordingOrExplain, type ProxyFlags } from './session-common.js';

export interface ServeOptions extends ProxyFlags {
  readonly port: string;
  readonly host: string;
  readonly allowRemote: boolean;
}

export async function serveCommand(options: ServeOptions, io: CliIO): Promise<number> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new OffgridError('EUSAGE', `--port must be a port number, not ${options.port}`);
  if (!options.proxy) throw new OffgridError('EUSAGE', 'serve is the proxy: --no-proxy makes no sense here');
  await recoverQuietly(options.logDir, io);
  const recording = await startRecordingOrExplain(options, ['offgrid', 'serve', ...(options.offline ? ['--offline'] : [])], io, {
    host: options.host,
    port,
    allowRemote: options.allowRemote,
  });
  const proxy = recording.proxy!;
  // One write: whoever reads the banner (a script, a test) gets the whole environment at once.
  say(
    io.stdout,
    [
      `offgrid: caching proxy at ${proxy.url}${options.offline ? ' (offline: cache only)' : ''}`,
      `offgrid: session ${recording.session.id}; stop with Ctrl-C to write its ledger`,
      '# point a shell at it:',
      ...Object.entries(recording.env).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
    ].join('\n'),
  );
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  const ledger = await recording.finish(0);
  say(io.stderr, sessionSummaryLine(ledger, recording.session.paths.ledger));
  return 0;
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
