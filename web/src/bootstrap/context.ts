/**
 * What the panel needs to start, read once from the page the server rendered:
 *   <meta name="hoist-token" content="<session token>">
 *   <meta name="hoist-context" content='{"workspace","repo","view", …}'>
 * Standalone dev (no server-rendered page) falls back to ?workspace=&repo=&token=&view=.
 * There is no API origin to read: the panel calls the server it was served from (api/client.ts).
 * This is a boundary: everything is checked here, and the rest of the panel trusts the result.
 */
export type PanelView = "panel" | "page";

export type PanelContext = {
  workspace: string;
  repo: string;
  view: PanelView;
  token?: string;
  /** Branch that deploys to production, for the empty state's "Push to main". */
  mainBranch: string;
  /** Where "All deploys" leads from the narrow panel (the Bitbucket repository page). */
  allDeploysUrl?: string;
  /** Bitbucket's origin as the server knows it from the installation; all.js may load only from there. */
  hostBaseUrl?: string;
};

export class ContextError extends Error {
  override name = "ContextError";
}

function meta(doc: Document, name: string): string | undefined {
  const el = doc.querySelector<HTMLMetaElement>(`meta[name="${name}"]`);
  const value = el?.content;
  return value ? value : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** True when the server rendered the dashboard (top-level, signed in with Bitbucket), not a Connect panel. */
export function isDashboard(doc: Document): boolean {
  try {
    return (JSON.parse(meta(doc, "hoist-context") ?? "{}") as { view?: unknown }).view === "dashboard";
  } catch {
    return false;
  }
}

export function readPanelContext(doc: Document, search: string): PanelContext {
  const params = new URLSearchParams(search);
  let injected: Record<string, unknown> = {};
  const raw = meta(doc, "hoist-context");
  if (raw) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) injected = parsed as Record<string, unknown>;
    } catch {
      throw new ContextError("The page's hoist-context tag is not JSON: the add-on must render it with JSON.stringify and HTML attribute escaping.");
    }
  }
  const workspace = str(injected.workspace) ?? str(params.get("workspace"));
  const repo = str(injected.repo) ?? str(params.get("repo"));
  if (!workspace || !repo) {
    throw new ContextError("This panel does not know which repository to show: the add-on must set workspace and repo in the hoist-context tag (or open it with ?workspace=…&repo=…).");
  }
  const viewRaw = str(injected.view) ?? str(params.get("view"));
  const view: PanelView = viewRaw === "panel" ? "panel" : "page";
  return {
    workspace,
    repo,
    view,
    token: meta(doc, "hoist-token") ?? str(params.get("token")),
    mainBranch: str(injected.mainBranch) ?? "main",
    allDeploysUrl: str(injected.allDeploysUrl),
    hostBaseUrl: str(injected.hostBaseUrl),
  };
}
