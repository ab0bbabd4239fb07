// The port of `offgrid build`'s proxy when no --proxy-port is given: the same for a project
// from one build to the next. Its address reaches the build in build arguments, and a stage
// that declares them (`ARG PIP_INDEX_URL`, `ARG npm_config_registry`) has their values in its
// steps' cache keys: a new port every build would run those steps again every time. The port
// comes from the project's directory, in a range below Linux's ephemeral ports (32768 on),
// and is taken only when it is free.
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';

const FIRST_PORT = 24_000;
const PORTS = 8_000;

/** The project's own port: the same for the same directory, spread over FIRST_PORT…+PORTS. */
export function projectPort(projectDir: string): number {
  return FIRST_PORT + (createHash('sha256').update(projectDir).digest().readUInt32BE(0) % PORTS);
}

/** Whether `port` on 127.0.0.1 can be listened on now. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}
