// The real apt-get update through a proxy, with a "machine" of its own: apt's sources, its
// apt.conf.d and its state in a temp directory (the machine's apt is untouched), the proxy set
// by offgrid's APT_CONFIG on top. Run asynchronously: the proxy and the repositories a test
// starts answer from the test's own process.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { proxyEnvironment } from '../../src/capture/proxy/env.js';

export interface AptMachine {
  /** The text of sources.list. */
  readonly sourcesList: string;
  /** An apt.conf.d part of the machine, written into `dir` (which it may use for its own files). */
  readonly part?: (dir: string) => Promise<string>;
}

/** Runs `apt-get update` with offgrid's apt configuration for `proxyUrl`; its exit status (apt fails on an empty repository). */
export async function aptUpdateVia(proxyUrl: string, machine: AptMachine): Promise<number | null> {
  const dir = await mkdtemp(join(tmpdir(), 'offgrid-apt-machine-'));
  try {
    for (const sub of ['parts', 'sources.list.d', 'lists/partial', 'cache/archives/partial']) await mkdir(join(dir, sub), { recursive: true });
    if (machine.part) await writeFile(join(dir, 'parts', '30machine'), await machine.part(dir));
    await writeFile(join(dir, 'sources.list'), machine.sourcesList);
    await writeFile(
      join(dir, 'machine.conf'),
      [
        `Dir::Etc::Parts "${join(dir, 'parts')}";`,
        `Dir::Etc::SourceList "${join(dir, 'sources.list')}";`,
        `Dir::Etc::SourceParts "${join(dir, 'sources.list.d')}";`,
        `Dir::State::Lists "${join(dir, 'lists')}";`,
        `Dir::Cache "${join(dir, 'cache')}";`,
        'APT::Sandbox::User "root";',
        'Debug::NoLocking "1";',
        'Acquire::Retries "0";',
        '',
      ].join('\n'),
    );
    const env = await proxyEnvironment(proxyUrl, { aptConfigDir: join(dir, 'offgrid'), existingAptConfig: join(dir, 'machine.conf'), pypi: false, npm: false });
    const update = spawn('apt-get', ['update'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', APT_CONFIG: env.APT_CONFIG!, LC_ALL: 'C' }, stdio: 'ignore' });
    return await new Promise<number | null>((resolve, reject) => update.on('error', reject).on('close', resolve));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
