import { loadConfig } from "../../../core/config.ts";
import { createLogger } from "../../../core/log.ts";
import { runHoist } from "../../../server/hoist-server.ts";

/**
 * The Hoist server under test, in its own process: `runHoist` as `npm start` runs it in
 * production (add-on + hosting gateway on one port, site hosts answered before Express), with
 * HOIST_BACKEND=aws and S3 + DynamoDB elsewhere — here the bench process's embedded s3rver and
 * dynalite, reached over loopback like a remote S3. Settings come from the environment the bench
 * gives this process (the gateway's cache settings at their defaults unless it sets them).
 * Tells its parent the port it listens on (one IPC message), and stops when the parent goes.
 */

const config = loadConfig(process.env);
const logger = createLogger({ level: config.log.level, name: "hoist-bench-gateway", stderr: true });
const running = await runHoist(config, logger);
process.send?.({ port: running.listening.port, sitesDomain: running.config.sitesDomain });
process.on("disconnect", () => {
  running.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
