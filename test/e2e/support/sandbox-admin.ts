/**
 * The sandbox Bitbucket's admin API (`/_sandbox/…`, see sandbox/README.md), over HTTP as a
 * person or script drives it: workspaces, repositories, installs, deliveries, build statuses.
 */

export type Installation = { clientKey: string; addonKey: string; workspace: string; descriptorUrl: string; installedAt: string };
export type BuildStatus = { key: string; state: "INPROGRESS" | "SUCCESSFUL" | "FAILED" | "STOPPED"; url: string; name: string; description: string; commit: string };
export type Delivery = { requestUuid: string; event: string; clientKey: string; repository: string; outcome: "pending" | "delivered" | "failed" | "dropped" };

export class SandboxAdmin {
  constructor(readonly url: string) {}

  createWorkspace(slug: string): Promise<unknown> {
    return this.call("POST", "/workspaces", { slug });
  }

  /** The repository's webhooks as Bitbucket lists them (secrets left out). */
  async webhooks(workspace: string, repo: string): Promise<{ uuid: string; url: string; events: string[] }[]> {
    return (await this.call("GET", `/repos/${workspace}/${repo}/webhooks`)) as { uuid: string; url: string; events: string[] }[];
  }

  async createRepo(workspace: string, slug: string): Promise<{ cloneUrl: string }> {
    return (await this.call("POST", "/repos", { workspace, slug })) as { cloneUrl: string };
  }

  async installations(): Promise<Installation[]> {
    return (await this.call("GET", "/installations")) as Installation[];
  }

  async install(descriptorUrl: string, workspace: string): Promise<Installation> {
    return (await this.call("POST", "/installations", { descriptorUrl, workspace })) as Installation;
  }

  async uninstall(clientKey: string): Promise<void> {
    await this.call("DELETE", `/installations/${encodeURIComponent(clientKey)}`);
  }

  /** Every webhook delivery so far, after in-flight ones (and their retries) have ended. */
  async deliveries(): Promise<Delivery[]> {
    return (await this.call("GET", "/deliveries?wait=1")) as Delivery[];
  }

  async statuses(workspace: string, repo: string, commit: string): Promise<BuildStatus[]> {
    return (await this.call("GET", `/statuses/${workspace}/${repo}/${commit}`)) as BuildStatus[];
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.url}/_sandbox${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`sandbox ${method} ${path} answered ${res.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  }
}
