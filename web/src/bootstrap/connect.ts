/**
 * The Connect host's JS API. Bitbucket passes its origin as `xdm_e`; its all.js gives the
 * iframe `AP.resize()`. Loading a script named by a query parameter is an XSS door, so the
 * origin must be Bitbucket's, the installation's base URL the server vouched for, or (when the panel itself runs locally)
 * localhost.
 */
declare global {
  interface Window {
    AP?: { resize?: (width?: string, height?: string) => void };
  }
}

const BITBUCKET = "https://bitbucket.org";

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:" ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

/** `trustLocal`: the panel itself runs on localhost (vite dev, local mode), so a local host is too. */
export function allowedHostOrigin(xdmE: string | null, hostBaseUrl: string | undefined, trustLocal: boolean): string | undefined {
  const origin = originOf(xdmE ?? undefined);
  if (!origin) return undefined;
  if (origin === BITBUCKET || origin === originOf(hostBaseUrl)) return origin;
  if (trustLocal && /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?$/.test(origin)) return origin;
  return undefined;
}

export function loadConnectJs(origin: string, doc: Document = document): Promise<void> {
  return new Promise((resolve) => {
    const script = doc.createElement("script");
    script.src = `${origin}/atlassian-connect/all.js`;
    script.async = true;
    // The panel works without AP (it just cannot resize its iframe), so a failed load is not fatal.
    script.onload = () => resolve();
    script.onerror = () => resolve();
    doc.head.appendChild(script);
  });
}

/** Calls AP.resize() whenever the panel's content changes size, once per animation frame. */
export function resizeIframeToContent(root: HTMLElement): () => void {
  let frame = 0;
  const resize = () => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => window.AP?.resize?.());
  };
  const observer = new ResizeObserver(resize);
  observer.observe(root);
  resize();
  return () => {
    observer.disconnect();
    cancelAnimationFrame(frame);
  };
}
