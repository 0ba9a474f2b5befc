import { z } from "zod";

/** What Hoist reads of Bitbucket's repository JSON when Forge names a repository by UUID. */
export const RepositoryJson = z.object({
  uuid: z.string().max(100),
  slug: z.string().regex(/^[a-z0-9_.-]{1,100}$/i),
  workspace: z.object({ uuid: z.string().max(100), slug: z.string().regex(/^[a-z0-9_.-]{1,100}$/i) }),
  mainbranch: z.object({ name: z.string().min(1).max(1000) }).nullish(),
});

/** `/2.0/repositories/{workspace}/{repository}`, either named by UUID in braces. */
export function repositoryPath(workspace: string, repository: string): string {
  return `/2.0/repositories/${encodeURIComponent(workspace)}/${encodeURIComponent(repository)}`;
}
