import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Starts `server` on `port` (0 = any free one) and resolves with the port it got. */
export function listen(server: Server, port: number): Promise<number> {
  return new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(port, () => {
      server.off("error", fail);
      done((server.address() as AddressInfo).port);
    });
  });
}
