import { defineConfig } from "vitest/config";

// Unit and integration tests. Browser end-to-end tests live in test/e2e and run under Playwright.
export default defineConfig({
  test: {
    include: ["{core,server,lambda,sandbox,test,web}/**/*.test.{ts,tsx}"],
    exclude: ["test/e2e/**", "node_modules/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
