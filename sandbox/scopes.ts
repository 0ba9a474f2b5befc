/**
 * Bitbucket Cloud's OAuth scopes ("Scopes for the Bitbucket Cloud REST API"): the names a
 * consumer may ask for, what the consent page says about each, and which scopes a scope
 * implies (repository:write implies repository; repository:admin implies neither).
 */

export const SCOPES = [
  "account",
  "account:write",
  "email",
  "repository",
  "repository:write",
  "repository:admin",
  "repository:delete",
  "pullrequest",
  "pullrequest:write",
  "issue",
  "issue:write",
  "wiki",
  "webhook",
  "snippet",
  "snippet:write",
  "project",
  "project:admin",
  "pipeline",
  "pipeline:write",
  "pipeline:variable",
  "runner",
  "runner:write",
] as const;

export type Scope = (typeof SCOPES)[number];

export const DEFAULT_CONSUMER_SCOPES: Scope[] = ["account", "repository", "repository:write", "repository:admin", "webhook"];

const IMPLIES: Partial<Record<Scope, Scope[]>> = {
  "account:write": ["account"],
  "repository:write": ["repository"],
  pullrequest: ["repository"],
  "pullrequest:write": ["pullrequest", "repository", "repository:write"],
  "issue:write": ["issue"],
  "snippet:write": ["snippet"],
  "project:admin": ["project"],
  "pipeline:write": ["pipeline"],
  "runner:write": ["runner"],
};

const DESCRIPTIONS: Record<Scope, string> = {
  account: "Read your account information",
  "account:write": "Read and modify your account information",
  email: "Read your email addresses",
  repository: "Read your repositories",
  "repository:write": "Read and modify your repositories",
  "repository:admin": "Administer your repositories",
  "repository:delete": "Delete your repositories",
  pullrequest: "Read your repositories and their pull requests",
  "pullrequest:write": "Read and modify your repositories and their pull requests",
  issue: "Read your repositories' issues",
  "issue:write": "Read and modify your repositories' issues",
  wiki: "Read and modify your repositories' wikis",
  webhook: "Read and modify your repositories' webhooks",
  snippet: "Read your snippets",
  "snippet:write": "Read and modify your snippets",
  project: "Read your workspace's projects",
  "project:admin": "Read and modify your workspace's projects",
  pipeline: "Read your pipelines",
  "pipeline:write": "Read and modify your pipelines",
  "pipeline:variable": "Read and modify your pipelines' variables",
  runner: "Read your runners",
  "runner:write": "Read and modify your runners",
};

export function describeScope(scope: string): string {
  return (DESCRIPTIONS as Record<string, string>)[scope] ?? scope;
}

/** True when the granted scopes carry `needed`, directly or by implication. */
export function hasScope(granted: readonly string[], needed: string): boolean {
  return granted.some((s) => s === needed || (IMPLIES[s as Scope] ?? []).includes(needed as Scope));
}
