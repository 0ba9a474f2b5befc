import * as jwt from "atlassian-jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bitbucketJwt, startStack, type Stack } from "./harness.ts";

/** Hostile webhook deliveries: each is refused before its body means anything, and nothing is recorded. */
describe("repo:push webhook security", () => {
  let stack: Stack;
  let inst: { clientKey: string; sharedSecret: string };
  const path = "/webhooks/repo-push";
  let workspaceUuid: string | undefined;
  const payload = (hash = "a".repeat(40)) => ({
    repository: { full_name: "acme/site", mainbranch: { name: "main" }, workspace: { uuid: workspaceUuid, slug: "acme" } },
    push: { changes: [{ new: { type: "branch", name: "main", target: { hash } } }] },
  });
  const sign = (over: Partial<Parameters<typeof bitbucketJwt>[0]> = {}) =>
    bitbucketJwt({ clientKey: inst.clientKey, secret: inst.sharedSecret, method: "POST", url: `${stack.hoist.url}${path}`, baseUrl: stack.hoist.url, ...over });
  const post = (opts: { token?: string; query?: string; body?: string; uuid?: string }) =>
    fetch(`${stack.hoist.url}${path}${opts.query ?? ""}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-event-key": "repo:push",
        "x-request-uuid": opts.uuid ?? crypto.randomUUID(),
        ...(opts.token ? { authorization: `JWT ${opts.token}` } : {}),
      },
      body: opts.body ?? JSON.stringify(payload()),
    });
  const recorded = async () => (await stack.hoist.hoist.records.list("acme/site")).deploys.length;

  beforeAll(async () => {
    stack = await startStack();
    inst = await stack.install("acme");
    workspaceUuid = (await stack.hoist.hoist.installations.get(inst.clientKey))?.workspaceUuid;
    await stack.repo("acme", "site");
  });
  afterAll(async () => stack?.close());

  const now = () => Math.floor(Date.now() / 1000);
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const hostile: [string, () => { token?: string; query?: string; body?: string }][] = [
    ["no JWT", () => ({})],
    ["a JWT signed with the wrong secret", () => ({ token: sign({ secret: "not-the-secret" }) })],
    ["alg none", () => ({ token: `${b64({ alg: "none", typ: "JWT" })}.${b64(jwt.decodeSymmetric(sign(), "", jwt.SymmetricAlgorithm.HS256, true))}.` })],
    ["RS256 on an HS256 endpoint", () => ({ token: `${b64({ alg: "RS256", typ: "JWT" })}.${b64(jwt.decodeSymmetric(sign(), "", jwt.SymmetricAlgorithm.HS256, true))}.c2ln` })],
    ["an expired JWT", () => ({ token: sign({ iat: now() - 600, exp: now() - 1 }) })],
    ["a JWT issued in the future", () => ({ token: sign({ iat: now() + 600, exp: now() + 780 }) })],
    ["a qsh of another path", () => ({ token: sign({ url: `${stack.hoist.url}/installed` }) })],
    ["a qsh of another method", () => ({ token: sign({ method: "GET" }) })],
    ["an unknown clientKey", () => ({ token: sign({ clientKey: "ari:cloud:bitbucket::app/{00000000-0000-0000-0000-000000000000}/hoist-deploys" }) })],
    ["a token in both query and body", () => {
      const token = sign();
      return { query: `?jwt=${token}`, body: JSON.stringify({ ...payload(), jwt: token }) };
    }],
  ];
  for (const [name, make] of hostile) {
    it(`answers 401 to ${name} and records nothing`, async () => {
      const res = await post(make());
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { code: string } };
      expect(body.error.code).toBe("auth.invalid");
      await stack.settle();
      expect(await recorded()).toBe(0);
    });
  }

  it("answers 413 to a body over 256 KB, signed or not, and records nothing", async () => {
    const big = JSON.stringify({ ...payload(), padding: "x".repeat(300 * 1024) });
    expect((await post({ token: sign(), body: big })).status).toBe(413);
    expect((await post({ body: big })).status).toBe(413);
    expect(await recorded()).toBe(0);
  });

  it("answers 400 to a signed body that is not JSON, or not a repo:push", async () => {
    expect((await post({ token: sign(), body: "{not json" })).status).toBe(400);
    const missing = await post({ token: sign(), body: JSON.stringify({ repository: { full_name: "acme/site" } }) });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain("push");
    await stack.settle();
    expect(await recorded()).toBe(0);
  });

  it("answers a good delivery and deploys once, however often it is redelivered", async () => {
    const uuid = crypto.randomUUID();
    const res = await post({ token: sign(), uuid });
    expect(res.status).toBe(204);
    await post({ token: sign(), uuid });
    await post({ token: sign(), uuid });
    await stack.settle();
    const { deploys } = await stack.hoist.hoist.records.list("acme/site");
    expect(deploys).toHaveLength(1);
    // The pushed commit is not the branch's tip in Bitbucket (the branch does not exist): nothing goes live, and the deploy says why.
    expect(deploys[0]).toMatchObject({ status: "superseded", reason: "deploy.superseded", deliveryId: uuid, reasonMessage: expect.stringContaining("no longer exists") });
  });

  it("deploys nothing for a repository outside the installation's own workspace, whatever the body claims", async () => {
    const before = await recorded();
    const noWorkspace = { repository: { full_name: "acme/fresh", mainbranch: { name: "main" } }, push: payload().push };
    const otherSlug = { ...noWorkspace, repository: { ...noWorkspace.repository, full_name: "other/fresh", workspace: { uuid: workspaceUuid, slug: "other" } } };
    const otherUuid = { ...noWorkspace, repository: { ...noWorkspace.repository, workspace: { uuid: "{99999999-9999-9999-9999-999999999999}", slug: "acme" } } };
    for (const body of [noWorkspace, otherSlug, otherUuid]) expect((await post({ token: sign(), body: JSON.stringify(body) })).status).toBe(204);
    await stack.settle();
    expect(await recorded()).toBe(before);
    for (const siteId of ["acme/fresh", "other/fresh"]) {
      expect(await stack.hoist.hoist.sites.listStages(siteId)).toEqual([]);
      expect((await stack.hoist.hoist.records.list(siteId)).deploys).toEqual([]);
    }
  });
});
