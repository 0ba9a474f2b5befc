import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "../../core/conditional.ts";
import type { Config } from "../../core/config.ts";
import { ensureTable, stringKeyedTable } from "../../core/setup.ts";
import type { Fit } from "./fit.ts";

/**
 * The Forge table, `<prefix>forge` (pk + sk), and the only module that writes it (docs/forge.md,
 * "What Hoist stores"). Two kinds of item, neither holding a secret (Forge's product tokens are
 * never stored):
 *
 *   installation#<installation id>   the workspace the installation belongs to, and whether it is
 *                                    installed. The first verified FIT of an installation binds it
 *                                    to the workspace that FIT names; a FIT of the same installation
 *                                    naming another workspace is refused from then on:
 *                                      t0 FIT(inst A, ws X) → put if absent → A is X's
 *                                      t1 FIT(inst A, ws Y) → stored X ≠ Y → 403, nothing read
 *   disconnected#<site id>           a repository whose Forge deploys a workspace admin stopped on the
 *                                    app's settings page (absent = deploys on push, like Connect).
 *   repository#<repository uuid>     the slugs Bitbucket last gave for a repository Forge names by
 *                                    UUID, so a push whose token Bitbucket refuses is still recorded
 *                                    (failed, `fetch.unauthorized`) on the right site, never dropped.
 */

export type ForgeInstallation = { installationId: string; workspaceUuid: string; state: "installed" | "uninstalled"; since: string };

export type KnownRepository = { uuid: string; workspaceUuid: string; workspace: string; repo: string; mainBranch?: string };

export function forgeTable(config: Pick<Config, "tables">): string {
  return `${config.tables.prefix}forge`;
}

export async function ensureForgeTable(dynamo: DynamoDBClient, config: Pick<Config, "tables">): Promise<void> {
  await ensureTable(dynamo, stringKeyedTable(forgeTable(config), "pk", "sk"));
}

export class ForgeStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * The installation a verified FIT speaks for, bound to the FIT's workspace (see the timeline), or
   * undefined when that installation belongs to another workspace.
   */
  async bind(fit: Fit): Promise<ForgeInstallation | undefined> {
    const known = await this.get(fit.installationId);
    if (known) return known.workspaceUuid === fit.workspaceUuid ? known : undefined;
    const fresh: ForgeInstallation = { installationId: fit.installationId, workspaceUuid: fit.workspaceUuid, state: "installed", since: new Date().toISOString() };
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: `installation#${fit.installationId}`, sk: "-", ...fresh }, ConditionExpression: "attribute_not_exists(pk)" }));
      return fresh;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const raced = await this.get(fit.installationId);
      return raced?.workspaceUuid === fit.workspaceUuid ? raced : undefined;
    }
  }

  async get(installationId: string): Promise<ForgeInstallation | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `installation#${installationId}`, sk: "-" }, ConsistentRead: true }));
    return out.Item ? (out.Item as unknown as ForgeInstallation) : undefined;
  }

  /** Installed or uninstalled, for an installation already bound to its workspace. */
  async setState(installation: ForgeInstallation, state: ForgeInstallation["state"]): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: `installation#${installation.installationId}`, sk: "-", ...installation, state, since: new Date().toISOString() },
        ConditionExpression: "workspaceUuid = :ws",
        ExpressionAttributeValues: { ":ws": installation.workspaceUuid },
      }),
    );
  }

  async rememberRepository(repo: KnownRepository): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: `repository#${repo.uuid.toLowerCase()}`, sk: "-", ...repo } }));
  }

  async repository(uuid: string): Promise<KnownRepository | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `repository#${uuid.toLowerCase()}`, sk: "-" }, ConsistentRead: true }));
    return out.Item ? (out.Item as unknown as KnownRepository) : undefined;
  }

  async isDisconnected(siteId: string): Promise<boolean> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `disconnected#${siteId}`, sk: "-" }, ConsistentRead: true }));
    return out.Item !== undefined;
  }

  async setConnected(siteId: string, connected: boolean, by: string): Promise<void> {
    const Key = { pk: `disconnected#${siteId}`, sk: "-" };
    if (connected) await this.db.send(new DeleteCommand({ TableName: this.table, Key }));
    else await this.db.send(new PutCommand({ TableName: this.table, Item: { ...Key, siteId, by, at: new Date().toISOString() } }));
  }
}
