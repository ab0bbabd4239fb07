// The ceiling a Node.js server has on this machine, for the proxy benchmark's "why": the
// least a Node HTTP server can do for each of the two measured jobs, with nothing of
// offgrid in it. Run as its own process: `node dist/bench/node-peer.js MODE PORT [ARG]`.
//   static PORT FILE   answers every request with FILE's bytes, read once at start (4 KB hits);
//   relay PORT         forward proxy that pipes the upstream's body straight to the client,
//                      no hashing, no disk (a cold fetch without a cache).
import { readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';

const [mode, portArg, file] = process.argv.slice(2);
const port = Number(portArg);

const server =
  mode === 'static'
    ? (() => {
        const body = readFileSync(file!);
        return createServer((_req, res) => {
          res.writeHead(200, { 'content-type': 'text/html', 'content-length': String(body.length) });
          res.end(body);
        });
      })()
    : createServer((req, res) => {
        const upstream = request(req.url!, { headers: { 'user-agent': req.headers['user-agent'] ?? 'peer' } }, (response) => {
          res.writeHead(response.statusCode ?? 502, { 'content-length': response.headers['content-length'] ?? '' });
          response.pipe(res);
        });
        upstream.on('error', () => res.destroy());
        upstream.end();
      });

if (mode !== 'static' && mode !== 'relay') throw new Error(`node-peer: unknown mode ${mode}`);
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
