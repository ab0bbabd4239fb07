// A real .deb built with dpkg-deb, and a flat repository index for it (what `offgrid cache
// export apt` writes): for apt-get through offgrid, in a container or on this machine.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './cli.js';

export const DEMO_DEB = 'offgrid-demo_1.0_all.deb';

/** Writes `offgrid-demo_1.0_all.deb` and its `Packages` into `into`. */
export function localAptRepository(t: { after(fn: () => void): void }, into: string): void {
  const root = tempDir(t, 'offgrid-deb-');
  mkdirSync(join(root, 'DEBIAN'));
  mkdirSync(join(root, 'usr/share/offgrid-demo'), { recursive: true });
  writeFileSync(join(root, 'DEBIAN/control'), 'Package: offgrid-demo\nVersion: 1.0\nArchitecture: all\nMaintainer: offgrid tests <tests@example.invalid>\nDescription: a package built by offgrid tests\n');
  writeFileSync(join(root, 'usr/share/offgrid-demo/hello'), 'installed from the local apt repository\n');
  mkdirSync(into, { recursive: true });
  const deb = join(into, DEMO_DEB);
  execFileSync('dpkg-deb', ['--build', '--root-owner-group', root, deb], { stdio: 'ignore' });
  const bytes = readFileSync(deb);
  const control = execFileSync('dpkg-deb', ['-f', deb]).toString().trimEnd();
  writeFileSync(
    join(into, 'Packages'),
    `${control}\nFilename: ./${DEMO_DEB}\nSize: ${statSync(deb).size}\nSHA256: ${createHash('sha256').update(bytes).digest('hex')}\n\n`,
  );
}
