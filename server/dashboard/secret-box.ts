import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, type Config } from "../../core/config.ts";

/**
 * Secrets at rest (webhook secrets, access tokens, refresh tokens): AES-256-GCM under
 * HOIST_SECRET_KEY, each sealed with a fresh 96-bit IV and bound to a context (the record it
 * belongs to) as additional data, so a sealed value copied into another record does not open.
 * Sealed form: `v1.<iv>.<tag>.<ciphertext>`, base64url.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error("the secret key must be 32 bytes");
  }

  seal(plain: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return ["v1", iv, cipher.getAuthTag(), body].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
  }

  /** The plain text; throws when the value was tampered with, sealed for another context, or under another key. */
  open(sealed: string, context: string): string {
    const [version, iv, tag, body] = sealed.split(".");
    if (version !== "v1" || !iv || !tag || body === undefined) throw new Error("not a sealed secret");
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
  }
}

/**
 * HOIST_SECRET_KEY, or locally a key generated once into `<dataDir>/secret.key` (owner-only) and
 * kept there; production refuses to start without one.
 */
export function loadSecretKey(config: Pick<Config, "secretKey" | "production" | "dataDir">): Buffer {
  if (config.secretKey) return Buffer.from(config.secretKey, "base64");
  if (config.production) throw new ConfigError("HOIST_SECRET_KEY is not set: Hoist encrypts stored tokens and webhook secrets with it. Set it to 32 random bytes in base64 (openssl rand -base64 32) and keep it safe.");
  const file = join(config.dataDir, "secret.key");
  if (existsSync(file)) return Buffer.from(readFileSync(file, "utf8").trim(), "base64");
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(file, key.toString("base64"), { mode: 0o600 });
  return key;
}
