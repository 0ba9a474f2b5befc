import type { Config } from "../../core/config.ts";

/**
 * The Connect descriptor served at `/atlassian-connect.json`: the checked-in file with ACE's
 * `{{localBaseUrl}}` filled in, and the key taken from HOIST_ADDON_KEY so one code base can run
 * as several add-ons (staging, production) side by side.
 */
export function transformDescriptor(descriptor: Record<string, unknown>, config: Pick<Config, "addonKey" | "baseUrl">): Record<string, unknown> {
  return { ...descriptor, key: config.addonKey, baseUrl: config.baseUrl };
}

/** The paths the descriptor's modules point at, relative to the add-on's baseUrl. */
export const ROUTES = {
  installed: "/installed",
  uninstalled: "/uninstalled",
  repoPush: "/webhooks/repo-push",
  panel: "/panel",
  page: "/page",
  descriptor: "/atlassian-connect.json",
} as const;
