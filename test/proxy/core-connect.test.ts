// CONNECT tunnels to a local plain-TCP echo server: piped both ways and logged with byte counts.
import assert from 'node:assert/strict';
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseConnectTarget } from '../../src/capture/proxy/connect.js';
import { type TestProxy, sleep, startTestProxy } from '../helpers/upstream-proxy.js';

/** Opens a tunnel through the proxy, sends `payload`, returns the proxy's reply line and what came back. */
/** Opens a tunnel and sends `payload`; `echoed` is what came back through it, or the refusal's body. */
function tunnel(proxyPort: number, target: string, payload: string): Promise<{ head: string; echoed: string }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(proxyPort, '127.0.0.1', () => socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\nUser-Agent: curl/8.0\r\n\r\n`));
    let buffer = '';
    let head: string | null = null;
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      if (head === null && buffer.includes('\r\n\r\n')) {
        head = buffer.slice(0, buffer.indexOf('\r\n\r\n'));
        buffer = buffer.slice(buffer.indexOf('\r\n\r\n') + 4);
        if (head.startsWith('HTTP/1.1 200')) socket.write(payload);
        else socket.once('end', () => resolve({ head: head!, echoed: buffer })); // a refusal closes the connection
      }
      if (head?.startsWith('HTTP/1.1 200') && buffer.length >= payload.length) {
        socket.end();
        resolve({ head, echoed: buffer });
      }
    });
    socket.on('error', reject);
  });
}

describe('CONNECT tunnels', () => {
  let echo: Server;
  let echoPort: number;
  let t: TestProxy;
  before(async () => {
    echo = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    echoPort = (echo.address() as AddressInfo).port;
    t = await startTestProxy();
  });
  after(async () => {
    await t.close();
    await new Promise((resolve) => echo.close(resolve));
  });

  it('pipes both ways and records host, port, bytes each way and duration', async () => {
    const payload = 'x'.repeat(10_000);
    const { head, echoed } = await tunnel(t.proxy.port, `127.0.0.1:${echoPort}`, payload);
    assert.match(head, /^HTTP\/1\.1 200/);
    assert.equal(echoed, payload);
    let event;
    for (let i = 0; i < 50 && !event; i++) {
      event = t.downloads().find((d) => d.source === `https://127.0.0.1:${echoPort}`);
      if (!event) await sleep(20);
    }
    assert.ok(event, 'the tunnel was recorded');
    assert.equal(event.kind, 'file');
    assert.equal(event.tool, 'curl');
    assert.equal(event.size, 10_000);
    assert.equal(event.cached, false);
    assert.equal(event.cache_status, null);
    assert.equal(event.sha256, null);
    assert.match(event.destination ?? '', /content not visible.*10000 bytes sent, 10000 bytes received/);
    assert.ok((event.duration_ms ?? -1) >= 0);
  });

  it('refuses a host not on the allow-list with 403 and records it', async () => {
    const { head, echoed } = await tunnel(t.proxy.port, 'not-allowed.invalid:443', 'x');
    assert.match(head, /^HTTP\/1\.1 403/);
    assert.match(echoed, /not-allowed\.invalid is not on the proxy's allow-list .*pass --allow-host not-allowed\.invalid$/m);
    assert.ok(t.attempts().some((a) => a.url_or_host === 'https://not-allowed.invalid:443' && a.error === 'host not on the allow-list'));
  });

  it('answers 502 and records an attempt when the target refuses the connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { head } = await tunnel(t.proxy.port, `127.0.0.1:${port}`, 'x');
    assert.match(head, /^HTTP\/1\.1 502/);
    assert.ok(t.attempts().some((a) => a.url_or_host === `https://127.0.0.1:${port}` && /CONNECT failed/.test(a.error)));
  });

  it('unit: parseConnectTarget', () => {
    assert.deepEqual(parseConnectTarget('example.invalid:443'), { host: 'example.invalid', port: 443 });
    assert.deepEqual(parseConnectTarget('[::1]:8443'), { host: '::1', port: 8443 });
    for (const bad of ['noport', 'h:0', 'h:70000', 'a b:1', 'h:1/x', undefined]) assert.equal(parseConnectTarget(bad), null);
  });
});
