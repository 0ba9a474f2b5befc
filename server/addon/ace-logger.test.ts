import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { scrub } from "./ace-logger.ts";

describe("the logger handed to ACE", () => {
  it("never prints a shared secret from ACE's installation dump", () => {
    const dump = `Saved tenant details for ari:x to database\n${inspect({ clientKey: "ari:x", sharedSecret: "s3cr3t-value" })}`;
    expect(scrub(dump)).toBe("Saved tenant details for ari:x to database");
    expect(scrub(`settings ${JSON.stringify({ sharedSecret: "s3cr3t-value" })}`)).not.toContain("s3cr3t-value");
    expect(scrub("token eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJ4In0.abc")).not.toContain("eyJhbGci");
  });
});
