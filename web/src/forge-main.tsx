import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ForgeApp } from "./forge/ForgeApp.tsx";
import { type InvokeRemote, invokeRemoteFetch } from "./forge/invoke-fetch.ts";
import "./styles.css";

/**
 * The Forge entry (web/forge/index.html → forge/static/panel). The only module that loads
 * @forge/bridge: the bridge reads `globalThis.__bridge` as it loads and throws without it, and
 * that exists only inside Forge's iframe — so the Connect/dashboard entry (main.tsx) never loads
 * it, and this one loads it only once the bridge is there, saying so otherwise.
 */

async function start() {
  const root = document.getElementById("root");
  if (!root) return;
  if (!(globalThis as { __bridge?: { callBridge?: unknown } }).__bridge?.callBridge) {
    const p = document.createElement("p");
    p.className = "notice notice--error";
    p.setAttribute("role", "alert");
    p.textContent = "This page is Hoist's Forge app: it works only inside Bitbucket, where Forge provides its bridge.";
    root.replaceChildren(p);
    return;
  }
  const { invokeRemote, router, view } = await import("@forge/bridge");
  // On success invokeRemote resolves to { status, headers, body }; on failure to the error itself (invoke-fetch.ts handles both).
  const fetch = invokeRemoteFetch(invokeRemote as InvokeRemote);
  createRoot(root).render(
    <StrictMode>
      <ForgeApp loadContext={() => view.getContext()} fetch={fetch} openDeploys={() => router.navigate({ target: "module", moduleKey: "hoist-deploys" })} />
    </StrictMode>,
  );
}

void start();
