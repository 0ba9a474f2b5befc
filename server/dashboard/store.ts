import { createHash } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure, updateIf } from "../../core/conditional.ts";
import type { Config } from "../../core/config.ts";
import { ensureTable, stringKeyedTable } from "../../core/setup.ts";
import type { SecretBox } from "./secret-box.ts";

/**
 * The dashboard's table, `<prefix>dashboard` (pk + sk), and the only module that writes it
 * (docs/architecture.md, "Data"). Three kinds of item:
 *
 *   session#<sha256 of the session id>   a signed-in browser: the user, its CSRF token, when it ends.
 *                                        Only the hash is stored: the table never holds a cookie.
 *   grant#<user uuid>                    the user's OAuth grant: access and refresh token, sealed
 *                                        (secret-box.ts), and a version. Refresh tokens rotate on
 *                                        every use, so a refresh writes the new pair only if the
 *                                        version is still the one it read:
 *                                          t0 A and B read version 3, both see the access token expired
 *                                          t1 A refreshes first: Bitbucket answers the new pair; A writes version 4
 *                                          t2 B's refresh with the old token is refused; B reads again, finds 4, uses it
 *   site#<workspace>/<repo>              a repository connected from the dashboard: its webhook, the
 *                                        webhook secret and an optional repository access token (sealed),
 *                                        who connected it, and whether it is connected now.
 *
 * Expiring items carry `expiresAt` (seconds): a DynamoDB TTL deletes them in AWS, and every read
 * here ignores an expired one (dynalite has no TTL).
 */

export type Session = { userUuid: string; nickname: string; displayName: string; csrf: string; expiresAt: number };
export type Grant = { userUuid: string; accessToken: string; accessExpiresAt: number; refreshToken: string; scopes: string[]; version: number };
export type Connection = {
  siteId: string;
  state: "connected" | "disconnected";
  webhookUuid?: string;
  webhookSecret: string;
  /** A repository access token the admin pasted; absent = the connecting user's grant is used. */
  accessToken?: string;
  connectedBy: { uuid: string; nickname: string };
  connectedAt: string;
  /** Set when Bitbucket rejected the site's credentials: what to do about it. */
  attention?: string;
};

export function dashboardTable(config: Pick<Config, "tables">): string {
  return `${config.tables.prefix}dashboard`;
}

export async function ensureDashboardTable(dynamo: DynamoDBClient, config: Pick<Config, "tables">): Promise<void> {
  await ensureTable(dynamo, stringKeyedTable(dashboardTable(config), "pk", "sk"));
}

const hash = (s: string) => createHash("sha256").update(s).digest("hex");
const nowSeconds = () => Math.floor(Date.now() / 1000);

export class DashboardStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly box: SecretBox,
  ) {}

  // ── sessions ──

  async putSession(id: string, session: Session): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: `session#${hash(id)}`, sk: "-", ...session }, ConditionExpression: "attribute_not_exists(pk)" }));
  }

  async getSession(id: string): Promise<Session | undefined> {
    const item = await this.get(`session#${hash(id)}`, "-");
    return item && (item.expiresAt as number) > nowSeconds() ? (item as unknown as Session) : undefined;
  }

  async endSession(id: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: `session#${hash(id)}`, sk: "-" } }));
  }

  // ── grants ──

  async getGrant(userUuid: string): Promise<Grant | undefined> {
    const item = await this.get(`grant#${userUuid}`, "-");
    if (!item) return undefined;
    const context = `grant/${userUuid}`;
    return {
      userUuid,
      accessToken: this.box.open(item.accessToken as string, context),
      refreshToken: this.box.open(item.refreshToken as string, context),
      accessExpiresAt: item.accessExpiresAt as number,
      scopes: item.scopes as string[],
      version: item.version as number,
    };
  }

  /** Writes a grant. `previousVersion`: only if the stored one still has it (see the timeline); undefined: any. */
  async putGrant(grant: Omit<Grant, "version">, previousVersion?: number): Promise<boolean> {
    const context = `grant/${grant.userUuid}`;
    const item = {
      pk: `grant#${grant.userUuid}`,
      sk: "-",
      userUuid: grant.userUuid,
      accessToken: this.box.seal(grant.accessToken, context),
      refreshToken: this.box.seal(grant.refreshToken, context),
      accessExpiresAt: grant.accessExpiresAt,
      scopes: grant.scopes,
      version: (previousVersion ?? 0) + 1,
    };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ...(previousVersion === undefined ? {} : { ConditionExpression: "version = :v", ExpressionAttributeValues: { ":v": previousVersion } }),
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  // ── connections ──

  async getConnection(siteId: string): Promise<Connection | undefined> {
    const item = await this.get(`site#${siteId}`, "connection");
    if (!item) return undefined;
    const context = `site/${siteId}`;
    return {
      ...(item as unknown as Connection),
      webhookSecret: this.box.open(item.webhookSecret as string, context),
      accessToken: item.accessToken ? this.box.open(item.accessToken as string, context) : undefined,
    };
  }

  async putConnection(connection: Connection): Promise<void> {
    const context = `site/${connection.siteId}`;
    const { accessToken, webhookSecret, ...rest } = connection;
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: `site#${connection.siteId}`,
          sk: "connection",
          ...rest,
          webhookSecret: this.box.seal(webhookSecret, context),
          ...(accessToken ? { accessToken: this.box.seal(accessToken, context) } : {}),
        },
      }),
    );
  }

  async setConnectionState(siteId: string, state: Connection["state"], attention?: string): Promise<boolean> {
    return updateIf(this.db, {
      TableName: this.table,
      Key: { pk: `site#${siteId}`, sk: "connection" },
      UpdateExpression: attention ? "SET #state = :s, attention = :a" : "SET #state = :s REMOVE attention",
      ConditionExpression: "attribute_exists(pk)",
      ExpressionAttributeNames: { "#state": "state" },
      ExpressionAttributeValues: { ":s": state, ...(attention ? { ":a": attention } : {}) },
    });
  }

  private async get(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk, sk }, ConsistentRead: true }));
    return out.Item;
  }
}
