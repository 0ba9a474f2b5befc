/** Owner key of a Forge installation's sites and deploys (docs/architecture.md, "Owners"). */
const FORGE_OWNER_PREFIX = "forge:";

export function forgeOwnerKey(installationId: string): string {
  return `${FORGE_OWNER_PREFIX}${installationId}`;
}

export function isForgeOwner(owner: string): boolean {
  return owner.startsWith(FORGE_OWNER_PREFIX);
}

export function installationOf(owner: string): string {
  return owner.slice(FORGE_OWNER_PREFIX.length);
}
