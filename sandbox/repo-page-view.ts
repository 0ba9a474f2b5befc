import { type ForgeFrameView, forgeFrame, forgeParentScript } from "./forge-ui-view.ts";
import type { CommitInfo } from "./git.ts";
import { SafeHtml, html, safeHref } from "./html.ts";
import type { BuildStatus } from "./state.ts";

export interface PanelView {
  addonKey: string;
  moduleKey: string;
  title: string;
  src: string;
}

export interface RepoPageView {
  fullName: string;
  cloneUrl: string;
  mainbranch: string;
  repoPages: { title: string; href: string }[];
  panels: PanelView[];
  /** The Forge app's repoCodeOverviewCard modules (Custom UI iframes). */
  forgeCards?: ForgeFrameView[];
  commits: { commit: CommitInfo; statuses: BuildStatus[] }[];
}

const STYLE = `
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #172b4d; }
  header { background: #0052cc; color: #fff; padding: 12px 24px; }
  header a { color: #fff; }
  main { display: flex; gap: 24px; padding: 16px 24px; }
  nav { min-width: 180px; } nav a { display: block; margin: 4px 0; }
  section { flex: 1; min-width: 0; }
  code { background: #f4f5f7; padding: 2px 4px; }
  iframe { border: 1px solid #dfe1e6; width: 100%; height: 150px; display: block; }
  .commit { border-bottom: 1px solid #ebecf0; padding: 6px 0; }
  .status { margin-left: 8px; padding: 1px 6px; border-radius: 3px; font-size: 12px; color: #fff; }
  .SUCCESSFUL { background: #00875a; } .FAILED { background: #de350b; }
  .INPROGRESS { background: #0065ff; } .STOPPED { background: #6b778c; }
`;

/**
 * The parent side of the all.js stub: resize the iframe that posted the message.
 * Sizes are checked against a strict pattern before they touch a style.
 */
const PARENT_SCRIPT = `
  window.addEventListener("message", function (event) {
    var msg = event.data;
    if (!msg || msg.sandboxConnect !== true) return;
    var frames = document.querySelectorAll("iframe[data-addon]");
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      if (frame.contentWindow !== event.source) continue;
      if (new URL(frame.src).origin !== event.origin) return;
      var ok = /^\\d{1,5}(px|%)?$/;
      if (msg.type === "resize") {
        if (ok.test(msg.data.height)) frame.style.height = /\\d$/.test(msg.data.height) ? msg.data.height + "px" : msg.data.height;
        if (ok.test(msg.data.width)) frame.style.width = /\\d$/.test(msg.data.width) ? msg.data.width + "px" : msg.data.width;
      } else if (msg.type === "sizeToParent") {
        frame.style.width = "100%";
        frame.style.height = Math.max(150, window.innerHeight - frame.getBoundingClientRect().top - 16) + "px";
      }
    }
  });
`;

export function renderPage(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} · Bitbucket sandbox</title>
<style>${new SafeHtml(STYLE)}</style></head>
<body>${body}<script>${new SafeHtml(PARENT_SCRIPT)}</script></body></html>`.value;
}

export function panelFrame(panel: PanelView): SafeHtml {
  return html`<h3>${panel.title}</h3>
<iframe data-addon="${panel.addonKey}" data-module="${panel.moduleKey}" title="${panel.title}" src="${panel.src}"></iframe>`;
}

export function repoOverview(view: RepoPageView): SafeHtml {
  return html`<header><strong>${view.fullName}</strong></header>
<main>
  <nav><a href="#">Source</a>${view.repoPages.map((p) => html`<a href="${p.href}">${p.title}</a>`)}</nav>
  <section>
    <p>Push: <code>git push ${view.cloneUrl} ${view.mainbranch}</code></p>
    ${view.panels.map(panelFrame)}
    ${(view.forgeCards ?? []).map((card) => html`<h3>${card.title}</h3>${forgeFrame(card)}`)}
    <h2>Recent commits</h2>
    ${view.commits.length === 0 ? html`<p>No commits yet.</p>` : view.commits.map(commitRow)}
  </section>
</main>${view.forgeCards?.length ? forgeParentScript() : ""}`;
}

function commitRow({ commit, statuses }: RepoPageView["commits"][number]): SafeHtml {
  const subject = commit.message.split("\n")[0];
  return html`<div class="commit" data-commit="${commit.hash}"><code>${commit.hash.slice(0, 12)}</code>
 ${subject} — ${commit.authorName}, ${commit.date}
 ${statuses.map((s) => html`<a class="status ${s.state}" href="${safeHref(s.url)}" title="${s.description}">${s.name}: ${s.state}</a>`)}</div>`;
}
