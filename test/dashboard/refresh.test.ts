import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSecretKey, SecretBox } from "../../server/dashboard/secret-box.ts";
import { DashboardStore, dashboardTable } from "../../server/dashboard/store.ts";
import { oauthSettings, UserTokens } from "../../server/dashboard/oauth.ts";
import { startDashStack, type DashStack } from "./harness.ts";

/**
 * Refresh tokens rotate on every use: two server processes (two tabs on two of them) refreshing
 * one grant at once must not lose it. Each UserTokens here stands for one process; they share
 * only the table, as real processes do.
 */
describe("refreshing one grant from two processes at once", () => {
  let stack: DashStack;
  beforeAll(async () => {
    stack = await startDashStack();
  });
  afterAll(async () => stack?.close());

  it("both get a working token, and the grant still works afterwards", async () => {
    // Prepare: a signed-in user whose access token has expired.
    const browser = await stack.signIn("sandbox-user");
    const uuid = (await browser.get(`${browser.origin}/dashboard/api/me`)).json().user.uuid as string;
    const config = stack.hoist.config;
    const store = new DashboardStore(stack.hoist.backend.clients.db, dashboardTable(config), new SecretBox(loadSecretKey(config)));
    const grant = (await store.getGrant(uuid))!;
    expect(await store.putGrant({ ...grant, accessExpiresAt: 0 }, grant.version)).toBe(true);
    const settings = oauthSettings(config)!;
    const [processA, processB] = [new UserTokens(store, settings), new UserTokens(store, settings)];
    // Act
    const [a, b] = await Promise.all([processA.token(uuid), processB.token(uuid)]);
    // Assess: both tokens are accepted by Bitbucket, and so is the next one.
    for (const token of [a, b, await processA.token(uuid)]) {
      const res = await fetch(`${settings.apiUrl}/2.0/user`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
    }
    expect((await store.getGrant(uuid))!.version).toBeGreaterThan(grant.version + 1);
  });
});
