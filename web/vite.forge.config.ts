import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The Forge app's Custom UI resource: the same panel, booted from Forge's context (src/forge-main.tsx),
// built into <repo>/forge/static/panel (forge/manifest.yml `resources[panel]`). Forge serves it from
// its own CDN under a path of its choosing, so every asset URL is relative (base "./"). The root is
// web/forge so the page lands as index.html, the entry Forge requires. `npm run build:forge`.
const forgeRoot = fileURLToPath(new URL("./forge", import.meta.url));
const outDir = fileURLToPath(new URL("../forge/static/panel", import.meta.url));

export default defineConfig({
  root: forgeRoot,
  base: "./",
  plugins: [react()],
  build: {
    outDir,
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    // Forge's CSP allows no inline script: keep the module preload polyfill out of the page.
    modulePreload: { polyfill: false },
  },
});
