/** The first 7 hex digits, like Bitbucket shows them; the full hash is one hover away. */
export function shortCommit(commit: string): string {
  return commit.slice(0, 7);
}

export function CommitHash({ commit }: { commit: string }) {
  return (
    <code className="commit" title={commit}>
      {shortCommit(commit)}
    </code>
  );
}
