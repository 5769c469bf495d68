/**
 * `node dns-lookup.ts <server> <host> <timeoutMs>`: one DNS lookup through one server, for the DNS
 * probe of a simulated node (run inside the node's namespace with `ip netns exec`). Self-contained
 * (node:dns only) so it starts fast. Prints a short answer and exits 0, or prints the error and exits 1.
 */
import { Resolver } from 'node:dns/promises';

const [server, host, timeout] = process.argv.slice(2);
if (!server || !host) {
  process.stderr.write('usage: dns-lookup.ts <server> <host> [timeoutMs]\n');
  process.exit(2);
}
const resolver = new Resolver({ timeout: Number(timeout ?? 2000), tries: 1 });
resolver.setServers([server]);
try {
  let answer: string;
  if (host === 'root-servers.net') answer = `NS ${(await resolver.resolveNs(host)).length} records`;
  else {
    try {
      answer = `A ${(await resolver.resolve4(host)).join(',')}`;
    } catch {
      answer = `AAAA ${(await resolver.resolve6(host)).join(',')}`;
    }
  }
  process.stdout.write(`${answer}\n`);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
