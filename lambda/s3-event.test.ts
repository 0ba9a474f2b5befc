import { describe, expect, it } from "vitest";
import { decodeEventKey, parseS3Event } from "./s3-event.ts";

const record = (key: string, eventName = "ObjectCreated:Put", bucket = "hoist-staging") => ({
  eventVersion: "2.1",
  eventSource: "aws:s3",
  eventName,
  s3: { bucket: { name: bucket }, object: { key, size: 10 } },
});

describe("parseS3Event", () => {
  it("reads bucket and key of every ObjectCreated record", () => {
    const event = { Records: [record("deploys/acme/site/01J00000000000000000000001.tar.gz"), record("deploys/a/b/01J00000000000000000000002.tar.gz", "ObjectCreated:CompleteMultipartUpload")] };
    expect(parseS3Event(event)).toEqual([
      { bucket: "hoist-staging", key: "deploys/acme/site/01J00000000000000000000001.tar.gz", eventName: "ObjectCreated:Put" },
      { bucket: "hoist-staging", key: "deploys/a/b/01J00000000000000000000002.tar.gz", eventName: "ObjectCreated:CompleteMultipartUpload" },
    ]);
  });

  it("accepts s3rver's ObjectCreated:Post for multipart completions, and skips other events", () => {
    const event = { Records: [record("k1", "ObjectCreated:Post"), record("k2", "ObjectRemoved:Delete")] };
    expect(parseS3Event(event).map((r) => r.key)).toEqual(["k1"]);
  });

  it("decodes S3's URL-encoded keys (+ for space, %XX), and leaves s3rver's raw keys alone", () => {
    expect(parseS3Event({ Records: [record("deploys/my+site/caf%C3%A9%2B1.tar.gz")] })[0]!.key).toBe("deploys/my site/café+1.tar.gz");
    expect(parseS3Event({ Records: [record("deploys/acme/site/01J00000000000000000000001.tar.gz")] })[0]!.key).toBe("deploys/acme/site/01J00000000000000000000001.tar.gz");
    expect(decodeEventKey("a%2Fb")).toBe("a/b");
    expect(decodeEventKey("100%")).toBe("100%");
    expect(decodeEventKey("bad%E0%A4%A.tar.gz")).toBe("bad%E0%A4%A.tar.gz");
  });

  it.each([
    ["nothing", undefined],
    ["a string", "ObjectCreated"],
    ["no records", { Records: [] }],
    ["a record without s3", { Records: [{ eventName: "ObjectCreated:Put" }] }],
    ["an empty key", { Records: [record("")] }],
    ["a non-S3 source", { Records: [{ ...record("k"), eventSource: "aws:sqs" }] }],
    ["an SQS-shaped event", { Records: [{ body: "{}", eventSource: "aws:sqs" }] }],
  ])("throws on %s", (_name, event) => {
    expect(() => parseS3Event(event)).toThrow();
  });
});
