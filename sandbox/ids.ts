import { randomBytes, randomUUID } from "node:crypto";

/** Bitbucket writes UUIDs in braces: "{b4434b4d-6a0e-4f57-8d75-e02a824abeb0}". */
export function bracedUuid(): string {
  return `{${randomUUID()}}`;
}

/** Shared secrets and access tokens: 256 bits, URL-safe. */
export function randomSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** Bitbucket account ids look like "557058:<uuid>"; any opaque stable string will do. */
export function accountId(): string {
  return `557058:${randomUUID()}`;
}
