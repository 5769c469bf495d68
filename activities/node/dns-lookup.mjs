/**
 * `node dns-lookup.mjs <server> <host> <timeoutMs>`: one DNS lookup through one server, for the DNS
 * probe of a simulated node (run inside the node's namespace with `ip netns exec`). Prints a short
 * answer and exits 0, or prints the error and exits 1.
 *
 * Plain JavaScript with node:dns only, on purpose: it starts as a process of its own for every DNS
 * probe, and a TypeScript file would make Node load its type stripper first, which doubled the
 * helper's CPU (about 80 ms instead of 37 ms per lookup on the benchmark machine). The in-process
 * lookup of a real node (probes.ts, `inProcessDnsLookup`) asks the same questions.
 */
import { Resolver } from 'node:dns/promises';

const [server, host, timeout] = process.argv.slice(2);
if (!server || !host) {
  process.stderr.write('usage: dns-lookup.mjs <server> <host> [timeoutMs]\n');
  process.exit(2);
}
const resolver = new Resolver({ timeout: Number(timeout ?? 2000), tries: 1 });
resolver.setServers([server]);
try {
  let answer;
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
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
