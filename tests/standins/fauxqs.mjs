// Starts fauxqs (S3 + SQS) on 127.0.0.1:PORT without its per-request log.
// Usage: node fauxqs.mjs NODE_MODULES_DIR PORT
import { pathToFileURL } from "node:url";
import { join } from "node:path";
const [modules, port] = process.argv.slice(2);
const { startFauxqs } = await import(pathToFileURL(join(modules, "fauxqs/dist/app.js")).href);
await startFauxqs({ port: Number(port), logger: false });
