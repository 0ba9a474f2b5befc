import type { Logger } from "pino";
import { userJson } from "./bitbucket-json.ts";
import { signAddonRequest } from "./connect-jwt.ts";
import { type Descriptor, addonUrl, fetchDescriptor } from "./descriptor.ts";
import { InstallError, NotFoundError } from "./errors.ts";
import type { Faults } from "./faults.ts";
import { readCapped } from "./http-client.ts";
import { randomSecret } from "./ids.ts";
import type { Installation, SandboxState, Workspace } from "./state.ts";
import type { AccessTokens } from "./tokens.ts";

export interface InstallDeps {
  state: SandboxState;
  tokens: AccessTokens;
  origin: string;
  faults: () => Faults;
  log: Logger;
}

/** Bitbucket's clientKey is opaque to add-ons; this one is stable per workspace + add-on. */
export function clientKeyFor(workspace: Workspace, addonKey: string): string {
  return `ari:cloud:bitbucket::app/${workspace.uuid}/${addonKey}`;
}

/**
 * Installs (or re-installs) an add-on into a workspace, following Connect:
 * the first install is unsigned (trust on first use); a re-install is signed with
 * the previous shared secret and hands over a new one. "Previous" outlives an
 * uninstall: an add-on that kept its record (ACE does) demands a signed
 * re-install. The installation is kept only if the add-on answers 2xx.
 */
export async function installAddon(deps: InstallDeps, descriptorUrl: string, workspaceSlug: string): Promise<Installation> {
  const workspace = deps.state.data.workspaces[workspaceSlug];
  if (!workspace) throw new NotFoundError("workspace.not_found", `no workspace "${workspaceSlug}": create it first`);
  const descriptor = await fetchDescriptor(descriptorUrl);
  const clientKey = clientKeyFor(workspace, descriptor.key);
  const previous = deps.state.data.installations[clientKey];
  const previousSecret = previous?.sharedSecret ?? deps.state.data.retiredSecrets?.[clientKey];
  const signer = previousSecret ? { clientKey, sharedSecret: previousSecret } : undefined;
  const installation: Installation = {
    clientKey,
    addonKey: descriptor.key,
    workspace: workspaceSlug,
    descriptorUrl,
    descriptor,
    sharedSecret: randomSecret(),
    installedAt: new Date().toISOString(),
  };
  const url = addonUrl(descriptor, descriptor.lifecycle.installed);
  const body = lifecyclePayload(deps, installation, workspace, "installed");
  await postLifecycle(deps, url, body, descriptor, signer);
  deps.state.data.installations[clientKey] = installation;
  delete deps.state.data.retiredSecrets?.[clientKey];
  deps.state.save();
  deps.log.info({ clientKey, addonKey: descriptor.key, workspace: workspaceSlug, reinstall: !!signer }, "add-on installed");
  return installation;
}

/**
 * Uninstalls: tells the add-on (signed with the current secret) if it declared an
 * `uninstalled` hook, then forgets the installation and its tokens whatever the
 * add-on answered, as Bitbucket does.
 */
export async function uninstallAddon(deps: InstallDeps, clientKey: string): Promise<void> {
  const installation = deps.state.data.installations[clientKey];
  if (!installation) throw new NotFoundError("installation.not_found", `no installation with clientKey ${clientKey}`);
  const workspace = deps.state.workspace(installation.workspace);
  const hook = installation.descriptor.lifecycle.uninstalled;
  delete deps.state.data.installations[clientKey];
  deps.state.data.retiredSecrets = { ...deps.state.data.retiredSecrets, [clientKey]: installation.sharedSecret };
  deps.state.save();
  deps.tokens.revokeInstallation(clientKey);
  if (hook) {
    const body = lifecyclePayload(deps, installation, workspace, "uninstalled");
    const url = addonUrl(installation.descriptor, hook);
    await postLifecycle(deps, url, body, installation.descriptor, installation).catch((err: Error) =>
      deps.log.warn({ clientKey, err: err.message }, "add-on failed its uninstalled hook; uninstalled anyway"),
    );
  }
  deps.log.info({ clientKey }, "add-on uninstalled");
}

function lifecyclePayload(deps: InstallDeps, inst: Installation, ws: Workspace, eventType: string) {
  return {
    key: inst.addonKey,
    clientKey: inst.clientKey,
    sharedSecret: inst.sharedSecret,
    serverVersion: "sandbox",
    pluginsVersion: "sandbox",
    baseUrl: deps.origin,
    baseApiUrl: deps.origin,
    productType: "bitbucket",
    description: "Hoist's local Bitbucket Cloud sandbox",
    eventType,
    principal: {
      type: "team",
      uuid: ws.uuid,
      username: ws.slug,
      display_name: ws.name,
      links: { html: { href: `${deps.origin}/${ws.slug}/` } },
    },
    user: userJson(deps.origin, deps.state.data.user),
  };
}

/** POSTs a lifecycle event; signed with `signer`'s shared secret when there is one. */
async function postLifecycle(
  deps: InstallDeps,
  url: string,
  body: object,
  descriptor: Descriptor,
  signer: Pick<Installation, "clientKey" | "sharedSecret"> | undefined,
): Promise<void> {
  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "Bitbucket-Connect" };
  if (signer) {
    const token = signAddonRequest({
      clientKey: signer.clientKey,
      sharedSecret: signer.sharedSecret,
      method: "POST",
      url,
      baseUrl: descriptor.baseUrl,
      skewSeconds: deps.faults().clockSkewSeconds,
    });
    headers.authorization = `JWT ${token}`;
  }
  let res: Response;
  try {
    res = await fetch(url, { method: "POST", headers, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new InstallError("install.addon_unreachable", `could not POST to ${url} (${(err as Error).message})`);
  }
  if (!res.ok) {
    const excerpt = await readCapped(res, 64 * 1024).catch(() => "");
    throw new InstallError(
      "install.refused_by_addon",
      `the add-on answered ${res.status} to ${url}: ${excerpt.slice(0, 300)}`,
    );
  }
}
