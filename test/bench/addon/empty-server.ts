import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The floor for the webhook figure: a Node HTTP server in its own process that reads each body
 * and answers 204, nothing else. The same client burst against it shows what 50 concurrent
 * requests cost on this machine before Hoist does any work. Prints its port as one IPC message.
 */
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => void res.writeHead(204).end());
});
server.listen(0, "127.0.0.1", () => process.send?.((server.address() as AddressInfo).port));
process.on("disconnect", () => process.exit(0));
