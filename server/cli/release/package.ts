import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { bundleDeployer } from "./bundle.ts";
import { type Package, zipReproducibly } from "./zip.ts";

export const DEFAULT_ZIP_PATH = "dist/lambda/deployer.zip";

export type BuiltPackage = Package & { external: string[]; inputs: Record<string, number> };

/** Bundles the deployer and zips it: the deployment package, in memory. */
export async function buildPackage(opts: { bundleSdk?: boolean } = {}): Promise<BuiltPackage> {
  const bundle = await bundleDeployer(opts);
  const pkg = await zipReproducibly(bundle.files);
  return { ...pkg, external: bundle.external, inputs: bundle.inputs };
}

export function writePackage(pkg: Package, path: string = DEFAULT_ZIP_PATH): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, pkg.zip);
}
