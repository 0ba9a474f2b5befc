import type { ForgeInstallation } from "./forge-installs.ts";
import { installationUuid } from "./forge-installs.ts";
import type { ForgeUiModule } from "./forge-manifest.ts";
import { html, SafeHtml } from "./html.ts";
import type { Repo, User, Workspace } from "./state.ts";

/** One Custom UI iframe on a sandbox page, and what its parent answers the bridge with. */
export interface ForgeFrameView {
  moduleKey: string;
  title: string;
  src: string;
  /** Full-page modules fill the width and start tall; the card starts short. */
  fullPage: boolean;
  /** JSON in `data-forge`: the frame's workspace, repo, module, user and getContext answer. */
  frame: string;
}

export function forgeFrameView(origin: string, inst: ForgeInstallation, module: ForgeUiModule, ws: Workspace, repo: Repo, user: User, fullPage: boolean): ForgeFrameView {
  const context = {
    accountId: user.uuid,
    cloudId: ws.uuid,
    moduleKey: module.key,
    localId: `${module.key}/${repo.uuid}`,
    locale: "en-US",
    timezone: "UTC",
    environmentType: "DEVELOPMENT",
    environmentId: inst.environmentId,
    siteUrl: origin,
    workspaceId: ws.uuid,
    extension: { type: module.type, repository: { uuid: repo.uuid } },
  };
  const frame = { workspace: repo.workspace, repo: repo.slug, moduleKey: module.key, user: user.nickname, context };
  const src = `/forge-resources/${installationUuid(inst)}/${encodeURIComponent(module.resourceKey)}/index.html`;
  return { moduleKey: module.key, title: module.title, src, fullPage, frame: JSON.stringify(frame) };
}

export function forgeFrame(view: ForgeFrameView): SafeHtml {
  const style = view.fullPage ? "width:100%;min-height:600px;height:600px" : "height:150px";
  return html`<iframe class="forge-frame" data-forge="${view.frame}" data-module="${view.moduleKey}" title="${view.title}" style="${style}" src="${view.src}"></iframe>`;
}

/** Where the bridge script is served (an external script: Custom UI pages may forbid inline ones, as Forge's CSP does). */
export const BRIDGE_PATH = "/forge/bridge.js";

/**
 * Loaded first by a Custom UI's index.html: `globalThis.__bridge.callBridge(name, payload)`
 * posts `{forgeBridge, kind: "call", id, name, payload}` to the parent page and resolves with its
 * reply; only replies from the parent window, at this origin, count. It also posts the document's
 * height whenever it changes, so the parent can size the iframe to its content.
 */
export const BRIDGE_SCRIPT = `(function () {
  var origin = window.location.origin;
  var pending = {};
  var seq = 0;
  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || event.origin !== origin) return;
    var msg = event.data;
    if (!msg || msg.forgeBridge !== true || msg.kind !== "reply") return;
    var call = pending[msg.id];
    if (!call) return;
    delete pending[msg.id];
    if (msg.ok) call.resolve(msg.result);
    else call.reject(new Error(msg.error || "the Forge bridge call failed"));
  });
  globalThis.__bridge = {
    callBridge: function (name, payload) {
      return new Promise(function (resolve, reject) {
        var id = ++seq;
        pending[id] = { resolve: resolve, reject: reject };
        window.parent.postMessage({ forgeBridge: true, kind: "call", id: id, name: name, payload: payload }, origin);
      });
    },
  };
  var last = 0;
  function postHeight() {
    var body = document.body;
    if (!body) return;
    var style = window.getComputedStyle(body);
    var height = Math.ceil(body.getBoundingClientRect().height + parseFloat(style.marginTop) + parseFloat(style.marginBottom));
    if (height === last) return;
    last = height;
    window.parent.postMessage({ forgeBridge: true, kind: "resize", height: height }, origin);
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (typeof ResizeObserver !== "undefined") new ResizeObserver(postHeight).observe(document.body);
    postHeight();
  });
})();`;

/**
 * Puts the bridge before anything else the page runs: a classic (blocking) script right after
 * <head> (or <html>, or at the very start), so it has run before the app's module scripts.
 */
export function injectBridge(indexHtml: string): string {
  const tag = `<script data-forge-bridge src="${BRIDGE_PATH}"></script>`;
  const at = /<head(\s[^>]*)?>/i.exec(indexHtml) ?? /<html(\s[^>]*)?>/i.exec(indexHtml);
  if (!at) return tag + indexHtml;
  const end = at.index + at[0].length;
  return indexHtml.slice(0, end) + tag + indexHtml.slice(end);
}

/**
 * The parent side: answers `getContext` from the frame's `data-forge`, `invoke` by POSTing to
 * the sandbox's `/forge/invoke` (which signs the FIT and calls the remote), anything else with
 * undefined; resizes a frame to the height it reports. Only messages from one of the page's
 * Forge iframes, at this origin, are answered.
 */
const PARENT_SCRIPT = `(function () {
  var origin = window.location.origin;
  function frameOf(source) {
    var frames = document.querySelectorAll("iframe[data-forge]");
    for (var i = 0; i < frames.length; i++) if (frames[i].contentWindow === source) return frames[i];
    return undefined;
  }
  function answer(frame, name, payload) {
    if (name === "getContext") return Promise.resolve(frame.context);
    if (name === "invoke") {
      return fetch("/forge/invoke", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ workspace: frame.workspace, repo: frame.repo, moduleKey: frame.moduleKey, user: frame.user, request: payload }),
      }).then(function (res) {
        return res.json();
      });
    }
    return Promise.resolve(undefined);
  }
  window.addEventListener("message", function (event) {
    var msg = event.data;
    if (!msg || msg.forgeBridge !== true || event.origin !== origin) return;
    var element = frameOf(event.source);
    if (!element) return;
    if (msg.kind === "resize") {
      var height = Number(msg.height);
      var min = parseInt(element.style.minHeight || "0", 10) || 0;
      if (height > 0 && height < 20000) element.style.height = Math.max(height, min) + "px";
      return;
    }
    if (msg.kind !== "call") return;
    var frame = JSON.parse(element.getAttribute("data-forge"));
    var source = event.source;
    function reply(ok, result, error) {
      source.postMessage({ forgeBridge: true, kind: "reply", id: msg.id, ok: ok, result: result, error: error }, origin);
    }
    answer(frame, msg.name, msg.payload).then(
      function (result) { reply(true, result); },
      function (err) { reply(false, undefined, String((err && err.message) || err)); }
    );
  });
})();`;

export function forgeParentScript(): SafeHtml {
  return html`<script>${new SafeHtml(PARENT_SCRIPT)}</script>`;
}
