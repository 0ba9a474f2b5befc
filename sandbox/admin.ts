import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { z } from "zod";
import type { SandboxCore } from "./core.ts";
import { faultsSchema } from "./faults.ts";
import { param } from "./route-params.ts";

const workspaceBody = z.object({ slug: z.string(), name: z.string().max(255).optional() });
const repoBody = z.object({ workspace: z.string(), slug: z.string() });
const installBody = z.object({ descriptorUrl: z.url(), workspace: z.string() });
const repoTokenBody = z.object({ scopes: z.array(z.enum(["repository", "repository:write"])).min(1).optional() });
const repoWebhookBody = z.object({ url: z.url(), secret: z.string().min(1).max(1024).optional(), events: z.array(z.string()).min(1).optional() });
const userBody = z.object({ nickname: z.string(), displayName: z.string().min(1).max(255).optional() });
const permissionBody = z.object({ permission: z.enum(["read", "write", "admin", "none"]) });
const forgeInstallBody = z.object({ manifestPath: z.string().min(1), workspace: z.string(), remoteBaseUrl: z.url().optional() });
const forgeTokenBody = z.object({
  workspace: z.string(),
  user: z.string().optional(),
  repo: z.string().optional(),
  moduleKey: z.string().optional(),
  overrides: z.record(z.string(), z.unknown()).optional(),
});
const forgeProductTokenBody = z.discriminatedUnion("kind", [
  z.object({ workspace: z.string(), kind: z.literal("system") }),
  z.object({ workspace: z.string(), kind: z.literal("user"), user: z.string() }),
]);
const forgeInvokeBody = z.object({
  workspace: z.string(),
  repo: z.string(),
  user: z.string().optional(),
  moduleKey: z.string().optional(),
  path: z.string(),
  method: z.string(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.unknown().optional(),
});
const consumerBody = z.object({ name: z.string().optional(), callbackUrl: z.string(), scopes: z.array(z.string()).optional() });

type Handler = (req: Request, res: Response) => Promise<unknown> | unknown;

/** Express 4 drops rejected promises: route them to the error handler. */
const route = (handler: Handler) => (req: Request, res: Response, next: NextFunction) =>
  Promise.resolve(handler(req, res)).catch(next);

/**
 * The test and local-mode control panel under `/_sandbox/`. It is not part of
 * Bitbucket's API; the sandbox binds to loopback only, so it carries no auth.
 */
export function adminRouter(core: SandboxCore): Router {
  const router = express.Router();
  router.use(express.json({ limit: "256kb" }));
  router.get("/health", (_req, res) => res.json({ ok: true, url: core.origin }));

  router.post("/workspaces", route((req, res) => {
    const body = workspaceBody.parse(req.body);
    res.status(201).json(core.createWorkspace(body.slug, body.name));
  }));
  router.post("/repos", route(async (req, res) => {
    const body = repoBody.parse(req.body);
    res.status(201).json(await core.createRepo(body.workspace, body.slug));
  }));
  router.get("/repos", (_req, res) => res.json(Object.values(core.state.data.repos)));
  router.post("/repos/:ws/:repo/access-tokens", route((req, res) => {
    const body = repoTokenBody.parse(req.body ?? {});
    res.status(201).json({ token: core.createRepoAccessToken(param(req, "ws"), param(req, "repo"), body.scopes) });
  }));
  router.post("/repos/:ws/:repo/webhooks", route((req, res) => {
    const body = repoWebhookBody.parse(req.body);
    res.status(201).json(core.addRepoWebhook(param(req, "ws"), param(req, "repo"), body));
  }));

  router.get("/repos/:ws/:repo/webhooks", route((req, res) => res.json(core.repoWebhooks(param(req, "ws"), param(req, "repo")))));
  router.put("/repos/:ws/:repo/permissions/:nickname", route((req, res) => {
    const body = permissionBody.parse(req.body);
    core.setRepoPermission(param(req, "ws"), param(req, "repo"), param(req, "nickname"), body.permission);
    res.json({ workspace: param(req, "ws"), repo: param(req, "repo"), nickname: param(req, "nickname"), permission: body.permission });
  }));

  router.get("/users", (_req, res) => res.json(core.users()));
  router.post("/users", route((req, res) => {
    const body = userBody.parse(req.body);
    res.status(201).json(core.createUser(body.nickname, body.displayName));
  }));
  router.delete("/users/:nickname/grants", route((req, res) => {
    core.revokeUserGrants(param(req, "nickname"));
    res.status(204).end();
  }));
  router.post("/oauth-consumers", route((req, res) => {
    res.status(201).json(core.createOAuthConsumer(consumerBody.parse(req.body)));
  }));

  router.get("/installations", (_req, res) => res.json(core.installations()));
  router.post("/installations", route(async (req, res) => {
    const body = installBody.parse(req.body);
    res.status(201).json(await core.install(body.descriptorUrl, body.workspace));
  }));
  router.delete("/installations/:clientKey", route(async (req, res) => {
    await core.uninstall(param(req, "clientKey"));
    res.status(204).end();
  }));

  // `?wait=1` first lets in-flight deliveries (and their retries) finish.
  router.get("/deliveries", route(async (req, res) => {
    if (req.query.wait) await core.webhooks.settled();
    res.json(core.webhooks.list());
  }));
  router.delete("/deliveries", (_req, res) => {
    core.webhooks.clear();
    res.status(204).end();
  });

  router.get("/statuses/:ws/:repo/:commit", route(async (req, res) => {
    res.json(await core.statuses(param(req, "ws"), param(req, "repo"), param(req, "commit")));
  }));

  // Forge: installations per workspace, FITs and product tokens on demand, key rotation, deliveries.
  router.get("/forge/installations", (_req, res) => res.json(core.forge.installations()));
  router.post("/forge/installations", route(async (req, res) => {
    res.status(201).json(await core.forge.install(forgeInstallBody.parse(req.body)));
  }));
  router.delete("/forge/installations/:ws", route(async (req, res) => {
    await core.forge.uninstall({ workspace: param(req, "ws") });
    res.status(204).end();
  }));
  router.post("/forge/tokens", route(async (req, res) => {
    res.status(201).json({ token: await core.forge.token(forgeTokenBody.parse(req.body)) });
  }));
  router.post("/forge/product-tokens", route((req, res) => {
    res.status(201).json({ token: core.forge.productToken(forgeProductTokenBody.parse(req.body)) });
  }));
  router.post("/forge/keys/rotate", route(async (req, res) => {
    await core.forge.keys.rotate({ keepOld: z.object({ keepOld: z.boolean().optional() }).parse(req.body ?? {}).keepOld });
    res.json(await core.forge.keys.jwks());
  }));
  router.post("/forge/invoke", route(async (req, res) => {
    res.json(await core.forge.invoke(forgeInvokeBody.parse(req.body)));
  }));
  router.get("/forge/deliveries", route(async (req, res) => {
    if (req.query.wait) await core.webhooks.settled();
    res.json(core.forge.deliveries());
  }));
  router.delete("/forge/deliveries", (_req, res) => {
    core.forge.events.clear();
    res.status(204).end();
  });

  router.get("/faults", (_req, res) => res.json(core.faults));
  router.put("/faults", route((req, res) => res.json(core.setFaults(faultsSchema.parse(req.body)))));
  return router;
}
