import type { Config } from "../../lambda/core/config.ts";
import type { Logger } from "../../lambda/core/log.ts";

/** `hoist lambda <package|deploy|rollback>` — being built (issue 6). */
export async function runLambdaCommand(_config: Config, _logger: Logger, _args: string[]): Promise<number> {
  process.stderr.write("hoist lambda: not available yet\n");
  return 2;
}
