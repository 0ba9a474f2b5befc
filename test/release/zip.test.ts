import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { codeSha256, zipReproducibly } from "../../server/cli/release/zip.ts";

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, "../..");

const files = () =>
  new Map([
    ["package.json", Buffer.from('{"type":"commonjs"}\n')],
    ["index.js", Buffer.from("exports.handler = async () => 'ok';\n")],
  ]);

describe("reproducible zip", () => {
  it("same files in any insertion order → same bytes and CodeSha256", async () => {
    const a = await zipReproducibly(files());
    const b = await zipReproducibly(new Map([...files()].reverse()));

    expect(b.zip.equals(a.zip)).toBe(true);
    expect(b.codeSha256).toBe(a.codeSha256);
    expect(a.codeSha256).toBe(codeSha256(a.zip));
    expect(a.files.map((f) => f.name)).toEqual(["index.js", "package.json"]);
  });

  it("different content → different CodeSha256", async () => {
    const changed = files().set("index.js", Buffer.from("exports.handler = async () => 'changed';\n"));
    expect((await zipReproducibly(changed)).codeSha256).not.toBe((await zipReproducibly(files())).codeSha256);
  });

  it("the bytes do not depend on the machine's time zone", async () => {
    const script = `import { zipReproducibly } from "./server/cli/release/zip.ts";
      const p = await zipReproducibly(new Map([["index.js", Buffer.from("x")]]));
      process.stdout.write(p.codeSha256);`;
    const inZone = async (tz: string) =>
      (await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: REPO, env: { ...process.env, TZ: tz } })).stdout;

    const [kiritimati, honolulu] = await Promise.all([inZone("Pacific/Kiritimati"), inZone("Pacific/Honolulu")]);

    expect(kiritimati).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(honolulu).toBe(kiritimati);
  });
});
