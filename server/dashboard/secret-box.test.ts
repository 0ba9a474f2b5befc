import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadSecretKey, SecretBox } from "./secret-box.ts";

describe("secrets at rest", () => {
  const box = new SecretBox(randomBytes(32));

  it("opens what it sealed, and the sealed form shows nothing of the secret", () => {
    const sealed = box.seal("refresh-token-123", "grant/user-1");
    expect(sealed).not.toContain("refresh-token-123");
    expect(box.open(sealed, "grant/user-1")).toBe("refresh-token-123");
    expect(box.seal("same", "c")).not.toBe(box.seal("same", "c"));
  });

  it("refuses a value moved to another record, tampered with, or sealed under another key", () => {
    const sealed = box.seal("secret", "site/acme/a");
    expect(() => box.open(sealed, "site/acme/b")).toThrow();
    const parts = sealed.split(".");
    parts[3] = Buffer.from("x".repeat(6)).toString("base64url");
    expect(() => box.open(parts.join("."), "site/acme/a")).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed, "site/acme/a")).toThrow();
  });

  it("keeps a generated key in the data folder, owner-only, and refuses production without one", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "hoist-key-"));
    try {
      const key = loadSecretKey({ dataDir, production: false });
      expect(loadSecretKey({ dataDir, production: false }).equals(key)).toBe(true);
      expect(statSync(join(dataDir, "secret.key")).mode & 0o777).toBe(0o600);
      expect(() => loadSecretKey({ dataDir, production: true })).toThrow(/HOIST_SECRET_KEY/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
