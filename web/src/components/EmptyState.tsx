/** A repository that has never deployed: the one step that starts it. */
export function EmptyState({ mainBranch }: { mainBranch: string }) {
  const command = `git push origin ${mainBranch}`;
  return (
    <section className="empty" aria-labelledby="empty-heading">
      <h2 id="empty-heading" className="empty__title">
        Push to {mainBranch} to deploy
      </h2>
      <p>Every push to {mainBranch} is published here within seconds; pushes to other branches get their own preview address.</p>
      <pre className="empty__command">
        <code>{command}</code>
      </pre>
      <p className="muted">
        To publish only a build folder, add <code>hoist.json</code> with <code>{'{ "directory": "dist" }'}</code> to the repository root.
      </p>
    </section>
  );
}
