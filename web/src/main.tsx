import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ApiClient, type FetchLike } from "./api/client.ts";
import { App } from "./App.tsx";
import { allowedHostOrigin, loadConnectJs, resizeIframeToContent } from "./bootstrap/connect.ts";
import { ContextError, isDashboard, type PanelContext, readPanelContext } from "./bootstrap/context.ts";
import "./styles.css";

const LOCAL_HOST = /^(localhost|127\.0\.0\.1|\[::1\])$/;

/** Dev aid: `?fixtures=1` under `vite` serves sample data without an API. Not in production builds. */
async function devFetch(params: URLSearchParams): Promise<FetchLike | undefined> {
  if (!import.meta.env.DEV || !params.has("fixtures")) return undefined;
  const { fixtureFetch } = await import("./dev/fixture-fetch.ts");
  return fixtureFetch({ scenario: params.get("fixtures") ?? "", now: Date.now(), delayMs: 150 }).fetch;
}

function renderFatal(root: HTMLElement, message: string) {
  const p = document.createElement("p");
  p.className = "notice notice--error";
  p.textContent = message;
  root.replaceChildren(p);
}

async function start() {
  const root = document.getElementById("root");
  if (!root) return;
  const params = new URLSearchParams(window.location.search);
  if (isDashboard(document)) {
    const { Dashboard } = await import("./dashboard/Dashboard.tsx");
    const { DashboardClient } = await import("./dashboard/dashboard-client.ts");
    createRoot(root).render(
      <StrictMode>
        <Dashboard client={new DashboardClient()} />
      </StrictMode>,
    );
    return;
  }
  let context: PanelContext;
  try {
    context = readPanelContext(document, window.location.search);
  } catch (err) {
    renderFatal(root, err instanceof ContextError ? err.message : String(err));
    return;
  }

  const host = allowedHostOrigin(params.get("xdm_e"), context.hostBaseUrl, LOCAL_HOST.test(window.location.hostname));
  if (host) void loadConnectJs(host);
  resizeIframeToContent(root);

  const client = new ApiClient({
    workspace: context.workspace,
    repo: context.repo,
    token: context.token,
    fetch: await devFetch(params),
  });
  createRoot(root).render(
    <StrictMode>
      <App client={client} context={context} />
    </StrictMode>,
  );
}

void start();
