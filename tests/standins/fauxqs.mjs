// Starts fauxqs (S3 + SQS) on 127.0.0.1:PORT without its per-request log.
// Usage: node fauxqs.mjs NODE_MODULES_DIR PORT
// fauxqs' own startFauxqs() listens on every interface (0.0.0.0); the app is built here and
// listened on the loopback address only, so the stand-ins are never reachable from outside.
import { pathToFileURL } from "node:url";
import { join } from "node:path";
const [modules, port] = process.argv.slice(2);
const { buildApp } = await import(pathToFileURL(join(modules, "fauxqs/dist/app.js")).href);
const app = buildApp({ logger: false });
await app.listen({ port: Number(port), host: "127.0.0.1" });
