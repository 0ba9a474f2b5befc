import { useCallback, useEffect, useRef, useState } from "react";
import type { ApiClient } from "../api/client.ts";
import { ApiRequestError } from "../api/errors.ts";
import { type DeployView, isActiveStatus, type SiteResponse } from "../api/types.ts";
import { appendPage, mergeFirstPage } from "./merge.ts";

export const POLL_MS = 2000;
/** With nothing in flight, a new push is still seen within this. */
export const IDLE_POLL_MS = 10_000;

type Site = SiteResponse["site"];

export type HistoryState =
  | { phase: "loading" }
  | { phase: "error"; error: ApiRequestError }
  | { phase: "ready"; site: Site; deploys: DeployView[]; nextCursor?: string };

function asApiError(err: unknown): ApiRequestError {
  if (err instanceof ApiRequestError) return err;
  return new ApiRequestError(0, "panel.unexpected", err instanceof Error ? err.message : String(err));
}

/**
 * The site and its deploy history: first load, "Load more", and a poll every 2 s while something
 * on screen is queued or running, every 10 s otherwise, none while the tab is hidden. Poll failures keep what is shown and say so
 * (`pollError`) instead of replacing the panel with an error.
 */
export function useDeployHistory(client: ApiClient, pageSize: number) {
  const [state, setState] = useState<HistoryState>({ phase: "loading" });
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<string>();
  const [pollError, setPollError] = useState<string>();
  const generation = useRef(0);

  const load = useCallback(async () => {
    const gen = ++generation.current;
    setState({ phase: "loading" });
    try {
      const [siteRes, page] = await Promise.all([client.site(), client.deploys({ limit: pageSize })]);
      if (gen !== generation.current) return;
      setState({ phase: "ready", site: siteRes.site, deploys: page.deploys, nextCursor: page.nextCursor });
    } catch (err) {
      if (gen !== generation.current) return;
      setState({ phase: "error", error: asApiError(err) });
    }
  }, [client, pageSize]);

  /** Re-reads the site and the first page, keeping rows loaded further down. */
  const refresh = useCallback(async () => {
    const gen = generation.current;
    try {
      const [siteRes, page] = await Promise.all([client.site(), client.deploys({ limit: pageSize })]);
      if (gen !== generation.current) return;
      setPollError(undefined);
      setState((s) => {
        if (s.phase !== "ready") return { phase: "ready", site: siteRes.site, deploys: page.deploys, nextCursor: page.nextCursor };
        const keepCursor = s.deploys.length > page.deploys.length;
        return {
          phase: "ready",
          site: siteRes.site,
          deploys: mergeFirstPage(s.deploys, page.deploys),
          nextCursor: keepCursor ? s.nextCursor : page.nextCursor,
        };
      });
    } catch (err) {
      if (gen === generation.current) setPollError(asApiError(err).message);
    }
  }, [client, pageSize]);

  const loadMore = useCallback(async () => {
    if (state.phase !== "ready" || !state.nextCursor || loadingMore) return;
    const gen = generation.current;
    setLoadingMore(true);
    setMoreError(undefined);
    try {
      const page = await client.deploys({ limit: pageSize, cursor: state.nextCursor });
      if (gen !== generation.current) return;
      setState((s) => (s.phase === "ready" ? { ...s, deploys: appendPage(s.deploys, page.deploys), nextCursor: page.nextCursor } : s));
    } catch (err) {
      if (gen === generation.current) setMoreError(asApiError(err).message);
    } finally {
      setLoadingMore(false);
    }
  }, [client, pageSize, state, loadingMore]);

  /** Shows a deploy the panel itself started (redeploy) before the next poll sees it. */
  const addDeploy = useCallback((deploy: DeployView) => {
    setState((s) => (s.phase === "ready" ? { ...s, deploys: mergeFirstPage(s.deploys, [deploy]) } : s));
  }, []);

  const setSite = useCallback((site: Site) => {
    setState((s) => (s.phase === "ready" ? { ...s, site } : s));
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const active =
    state.phase === "ready" &&
    (state.deploys.some((d) => isActiveStatus(d.status)) ||
      state.site.stages.some((st) => st.live !== undefined && isActiveStatus(st.live.status)));

  useEffect(() => {
    if (state.phase !== "ready") return;
    // A chain of timeouts, not an interval: a slow answer never overlaps the next request. Fast
    // while a deploy is queued or running, slow otherwise (a push may start one), paused while the
    // tab is hidden.
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const delay = active ? POLL_MS : IDLE_POLL_MS;
    const tick = async () => {
      if (typeof document === "undefined" || document.visibilityState !== "hidden") await refresh();
      if (!stopped) timer = setTimeout(tick, delay);
    };
    timer = setTimeout(tick, delay);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [active, refresh, state.phase]);

  return { state, load, refresh, loadMore, loadingMore, moreError, pollError, addDeploy, setSite };
}
