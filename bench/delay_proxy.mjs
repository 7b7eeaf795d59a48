// delay_proxy.mjs - a TCP proxy on 127.0.0.1 that delays every chunk by DELAY ms each way, so a
// benchmark sees a network round trip (2 x DELAY) in front of the local stand-ins.
// Usage: node delay_proxy.mjs LISTEN_PORT UPSTREAM_PORT DELAY_MS
import net from "node:net";

const [listenPort, upstreamPort, delayMs] = process.argv.slice(2).map(Number);
if (!listenPort || !upstreamPort || Number.isNaN(delayMs)) {
  console.error("usage: node delay_proxy.mjs LISTEN_PORT UPSTREAM_PORT DELAY_MS");
  process.exit(2);
}

// Chunks keep their order: each is written DELAY ms after it arrived, behind the ones before it.
function relay(from, to) {
  from.on("data", (chunk) => {
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, delayMs);
  });
  from.on("end", () => setTimeout(() => to.end(), delayMs));
  from.on("error", () => to.destroy());
}

const server = net.createServer((client) => {
  client.setNoDelay(true);
  const upstream = net.connect({ host: "127.0.0.1", port: upstreamPort });
  upstream.setNoDelay(true);
  relay(client, upstream);
  relay(upstream, client);
  client.on("close", () => upstream.destroy());
  upstream.on("close", () => client.destroy());
});
server.listen(listenPort, "127.0.0.1");
