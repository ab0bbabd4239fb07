// Runs the machine's real pip with none of the machine's own pip configuration, so a test
// sees only the index it serves.
import { spawn } from 'node:child_process';

export function isolatedPipEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PIP_')) env[k] = v;
  return { ...env, PIP_CONFIG_FILE: '/dev/null', PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1', ...extra };
}

export function pipCommand(): string[] {
  return ['python3', '-m', 'pip'];
}

export function runPip(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const [cmd, ...pre] = pipCommand();
    const child = spawn(cmd!, [...pre, ...args], { cwd: options.cwd, env: isolatedPipEnv(options.env) });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
