import { openEmbeddedWorldAt } from "./test/deployer/fixtures/harness.ts";
const w = await openEmbeddedWorldAt(process.argv[2]!);
const { deploys } = await w.records.list("acme/big", { limit: 5 });
for (const d of deploys) console.log(d.deployId, d.status, d.continuations, JSON.stringify(d.runs));
await w.close();
