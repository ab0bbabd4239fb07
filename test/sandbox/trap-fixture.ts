// Run inside a fresh network namespace by net-trap.test.ts: starts verify's network trap,
// runs real clients against it (asynchronously: the trap answers from this event loop),
// and prints what they did and what the trap recorded, as JSON on stdout.
// argv: names of tools to hide from the trap (e.g. `iptables` forces the fallback mode).
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { systemProbe } from '../../src/sandbox/isolation.js';
import { startNetTrap, type TrapAttempt } from '../../src/sandbox/net-trap.js';

const hidden = new Set(process.argv.slice(2));
const probe = systemProbe(process.env);
const recorded: TrapAttempt[] = [];
const trap = await startNetTrap({ which: (name) => (hidden.has(name) ? null : probe.which(name)), record: (a) => recorded.push(a) });

// A server of the build's own on loopback (as offgrid's proxy is): must keep working.
const local = createServer((s) => s.end('local-ok'));
await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
const localPort = (local.address() as AddressInfo).port;

function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const py = (code: string) => ['python3', '-c', code];
const results = {
  connect4: await run(py("import socket; socket.create_connection(('203.0.113.5', 80), 5)")),
  connect6: await run(py("import socket; socket.create_connection(('2001:db8::5', 443), 5)")),
  getent: await run(['getent', 'hosts', 'some.host.invalid']),
  gethostbyname: await run(py("import socket; socket.gethostbyname('py.host.invalid')")),
  curl: await run(['curl', '-sS', '--noproxy', '*', 'http://192.0.2.7:80/pkgs/left_pad-1.0.tar.gz']),
  loopback: await run(py(`import socket; s=socket.create_connection(('127.0.0.1', ${localPort}), 5); print(s.recv(100).decode())`)),
};
await trap.close();
local.close();
process.stdout.write(JSON.stringify({ mode: trap.mode, notes: trap.notes, results, recorded }));
