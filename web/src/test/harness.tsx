import { render } from "@testing-library/react";
import { ApiClient, type FetchLike } from "../api/client.ts";
import { App } from "../App.tsx";
import type { PanelContext } from "../bootstrap/context.ts";
import { type FixtureOptions, fixtureFetch } from "../dev/fixture-fetch.ts";

export type AppHarness = ReturnType<typeof renderApp>;

/** Renders the whole panel against the fake API; the fake `fetch` is the only seam. */
export function renderApp(opts: FixtureOptions & { view?: "panel" | "page"; token?: string; wrapFetch?: (f: FetchLike) => FetchLike } = {}) {
  const fake = fixtureFetch(opts);
  const context: PanelContext = {
    workspace: "acme",
    repo: "website",
    view: opts.view ?? "page",
    token: opts.token ?? "initial-token",
    mainBranch: "main",
  };
  const client = new ApiClient({
    workspace: context.workspace,
    repo: context.repo,
    token: context.token,
    fetch: opts.wrapFetch ? opts.wrapFetch(fake.fetch) : fake.fetch,
  });
  const view = render(<App client={client} context={context} />);
  return { ...view, calls: fake.calls, client };
}
