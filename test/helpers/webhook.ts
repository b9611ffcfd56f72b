// A loopback webhook receiver for tests: records the `id` of every alert POSTed to it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function receiver(): Promise<{ url: string; ids: string[]; close: () => void }> {
  const ids: string[] = [];
  const srv: Server = createServer((req, res) => {
    let b = '';
    req.on('data', (d) => (b += d));
    req.on('end', () => {
      ids.push((JSON.parse(b) as { id: string }).id);
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`, ids, close: () => srv.close() };
}
