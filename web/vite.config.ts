import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The panel is served by the add-on under a path it chooses (and in the sandbox under another),
// so every asset URL is relative (base "./") and the build lands in <repo>/dist/web.
const webRoot = fileURLToPath(new URL(".", import.meta.url));
const outDir = fileURLToPath(new URL("../dist/web", import.meta.url));

export default defineConfig({
  root: webRoot,
  base: "./",
  plugins: [react()],
  build: {
    outDir,
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
  },
  server: { port: 5173, strictPort: false },
});
