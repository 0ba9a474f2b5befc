// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { fixtureFetch } from "../dev/fixture-fetch.ts";
import type { ForgeRepository } from "./forge-api.ts";
import { ForgeApp } from "./ForgeApp.tsx";
import { type InvokeRemoteInput, type InvokeRemoteResult, invokeRemoteFetch } from "./invoke-fetch.ts";

afterEach(cleanup);

const UUID = "{6f1c2a9e-1b2c-4d3e-8f90-a1b2c3d4e5f6}";
const REPO_PATH = `/forge/api/repositories/${encodeURIComponent(UUID)}`;

function contextFor(type: string) {
  return { accountId: "{u1}", moduleKey: "hoist", workspaceId: "{w1}", extension: { type, repository: { uuid: UUID } } };
}

/**
 * Forge as the panel sees it: getContext answers for one module; invokeRemote reaches a fake Hoist
 * whose /forge/api/repositories routes answer here and whose panel API is the fixture panel API
 * (moved from /api to /forge/api).
 */
function forge(opts: { type: string; repository?: Partial<ForgeRepository>; connection?: (connected: boolean) => InvokeRemoteResult }) {
  let repository: ForgeRepository = {
    workspace: "acme",
    repo: "website",
    siteId: "acme/website",
    mayChange: true,
    mayAdminister: true,
    connected: true,
    ...opts.repository,
  };
  const panel = fixtureFetch();
  const calls: InvokeRemoteInput[] = [];
  const invoke = async (input: InvokeRemoteInput): Promise<InvokeRemoteResult> => {
    calls.push(input);
    if (input.path === REPO_PATH && input.method === "GET") return { status: 200, headers: {}, body: repository };
    if (input.path === `${REPO_PATH}/connection` && input.method === "PUT") {
      const connected = (input.body as { connected: boolean }).connected;
      const answer = opts.connection?.(connected);
      if (answer) return answer;
      repository = { ...repository, connected };
      return { status: 200, headers: {}, body: { connected } };
    }
    const res = await panel.fetch(input.path.replace(/^\/forge\/api\//, "/api/"), {
      method: input.method,
      body: input.body === undefined ? undefined : JSON.stringify(input.body),
    });
    return { status: res.status, headers: Object.fromEntries([...res.headers].map(([k, v]) => [k, [v]])), body: await res.json() };
  };
  return { calls, fetch: invokeRemoteFetch(invoke), loadContext: async () => contextFor(opts.type) };
}

describe("the Forge app", () => {
  it("shows the full history on the Deploys page, reading the repository by its UUID", async () => {
    const f = forge({ type: "bitbucket:repoMainMenuPage" });
    render(<ForgeApp loadContext={f.loadContext} fetch={f.fetch} />);
    await screen.findByRole("heading", { name: "Deploys" });
    expect(screen.getByRole("main").getAttribute("aria-label")).toBe("Hoist deploys for acme/website");
    expect(f.calls[0]).toEqual({ path: REPO_PATH, method: "GET" });
    expect(f.calls.some((c) => c.path.startsWith("/forge/api/sites/acme/website/deploys?limit=20"))).toBe(true);
  });

  it("shows the narrow panel on the overview card; All deploys opens the Deploys page, or says where it is", async () => {
    const f = forge({ type: "bitbucket:repoCodeOverviewCard" });
    let opened = 0;
    render(
      <ForgeApp
        loadContext={f.loadContext}
        fetch={f.fetch}
        openDeploys={async () => {
          opened += 1;
          throw new Error("navigate is not supported here");
        }}
      />,
    );
    fireEvent.click(await screen.findByRole("button", { name: "All deploys" }));
    expect(opened).toBe(1);
    expect((await screen.findByText(/in the repository menu/)).textContent).toContain("Deploys");
    expect(f.calls.some((c) => c.path.startsWith("/forge/api/sites/acme/website/deploys?limit=5"))).toBe(true);
  });

  it("says the repository is not connected instead of showing an empty history", async () => {
    const f = forge({ type: "bitbucket:repoMainMenuPage", repository: { connected: false } });
    render(<ForgeApp loadContext={f.loadContext} fetch={f.fetch} />);
    await screen.findByRole("heading", { name: "Hoist is not deploying this repository" });
    expect(screen.getByText(/Repository settings → Hoist/)).toBeTruthy();
    expect(f.calls.map((c) => c.path)).toEqual([REPO_PATH]);
  });

  it("lets an admin disconnect and connect again in repository settings", async () => {
    const f = forge({ type: "bitbucket:repoSettingsMenuPage" });
    render(<ForgeApp loadContext={f.loadContext} fetch={f.fetch} />);
    await screen.findByRole("heading", { name: "Hoist for acme/website" });
    expect(screen.getByText("Connected.")).toBeTruthy();
    expect(await screen.findByRole("link", { name: /Open production/ })).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "Disconnect" }));
    await screen.findByText("Not connected.");
    expect(screen.getByText(/pushes no longer deploy/)).toBeTruthy();
    expect(f.calls.at(-1)).toEqual({
      path: `${REPO_PATH}/connection`,
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: { connected: false },
    });

    fireEvent.click(screen.getByRole("button", { name: "Connect" }));
    await screen.findByText("Connected.");
    expect(f.calls.at(-1)?.body).toEqual({ connected: true });
  });

  it("shows the server's refusal as an alert", async () => {
    const f = forge({
      type: "bitbucket:repoSettingsMenuPage",
      connection: () => ({
        status: 403,
        headers: {},
        body: { error: { code: "auth.forbidden", message: "Only a repository admin in Bitbucket can connect or disconnect Hoist." } },
      }),
    });
    render(<ForgeApp loadContext={f.loadContext} fetch={f.fetch} />);
    fireEvent.click(await screen.findByRole("button", { name: "Disconnect" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe("Only a repository admin in Bitbucket can connect or disconnect Hoist.");
    expect(screen.getByText("Connected.")).toBeTruthy();
  });

  it("offers no button to a user who is not a repository admin", async () => {
    const f = forge({ type: "bitbucket:repoSettingsMenuPage", repository: { mayAdminister: false, mayChange: false } });
    render(<ForgeApp loadContext={f.loadContext} fetch={f.fetch} />);
    await screen.findByText(/Only a repository admin in Bitbucket can connect or disconnect Hoist/);
    expect(screen.queryByRole("button", { name: /connect/i })).toBeNull();
  });

  it("says so when Forge's context names no repository", async () => {
    const f = forge({ type: "bitbucket:repoMainMenuPage" });
    render(<ForgeApp loadContext={async () => ({ extension: { type: "bitbucket:repoMainMenuPage" } })} fetch={f.fetch} />);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toMatch(/which repository/);
    await waitFor(() => expect(f.calls).toEqual([]));
  });
});
