import { type SafeHtml, html } from "./html.ts";
import type { OAuthConsumer } from "./oauth-consumers.ts";
import { describeScope } from "./scopes.ts";
import type { User } from "./state.ts";

/** The page carries no script at all; its CSP says so. */
export const CONSENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'";

const STYLE = html`<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #172b4d; }
  header { background: #0052cc; color: #fff; padding: 12px 24px; }
  main { max-width: 560px; margin: 24px auto; padding: 0 24px; }
  li code { color: #6b778c; margin-left: 6px; }
  label { display: block; margin: 16px 0 4px; font-weight: 600; }
  select { min-width: 240px; padding: 4px; }
  .actions { margin-top: 20px; display: flex; gap: 8px; }
  button { padding: 6px 14px; border-radius: 3px; border: 1px solid #c1c7d0; background: #f4f5f7; cursor: pointer; }
  button[value="grant"] { background: #0052cc; border-color: #0052cc; color: #fff; }
  .error { color: #de350b; }
</style>`;

function page(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} · Bitbucket sandbox</title>${STYLE}</head>
<body><header><strong>Bitbucket sandbox</strong></header><main>${body}</main></body></html>`.value;
}

export interface ConsentView {
  consumer: Pick<OAuthConsumer, "key" | "name" | "scopes">;
  users: User[];
  state?: string;
  redirectUri?: string;
}

/** "<consumer> wants access": its scopes, who to sign in as, grant or deny. */
export function consentPage(view: ConsentView): string {
  const { consumer } = view;
  const hidden = (name: string, value: string | undefined) => (value === undefined ? "" : html`<input type="hidden" name="${name}" value="${value}">`);
  return page(
    `Authorize ${consumer.name}`,
    html`<h1>Authorize <span data-consumer>${consumer.name}</span></h1>
<p>${consumer.name} is requesting access to your Bitbucket account. It will be able to:</p>
<ul data-scopes>${consumer.scopes.map((s) => html`<li data-scope="${s}">${describeScope(s)}<code>${s}</code></li>`)}</ul>
<form method="post" action="/site/oauth2/authorize">
  ${hidden("client_id", consumer.key)}${hidden("response_type", "code")}${hidden("state", view.state)}${hidden("redirect_uri", view.redirectUri)}
  <label for="user">Sign in as</label>
  <select id="user" name="user">${view.users.map((u) => html`<option value="${u.nickname}">${u.displayName} (${u.nickname})</option>`)}</select>
  <div class="actions">
    <button type="submit" name="decision" value="grant">Grant access</button>
    <button type="submit" name="decision" value="deny">Deny</button>
  </div>
</form>`,
  );
}

/** An authorization request that cannot go on; nothing redirects anywhere. */
export function authorizeErrorPage(message: string): string {
  return page("Authorization failed", html`<h1>Authorization failed</h1><p class="error" role="alert">${message}</p>`);
}
