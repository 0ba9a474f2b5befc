import type { ReactNode } from "react";
import type { ApiClient } from "../api/client.ts";
import type { DeployView, StageView } from "../api/types.ts";
import type { DeployActions } from "./DeployDetail.tsx";
import { DeployRow } from "./DeployRow.tsx";

type Props = DeployActions & {
  deploys: readonly DeployView[];
  stages: readonly StageView[];
  client: ApiClient;
  now: number;
  expandedId?: string;
  onToggle: (deployId: string) => void;
  /** Under the list: "Load more" on the page, "All deploys" in the narrow panel. */
  footer?: ReactNode;
};

/** Deploys newest first; each row opens its detail in place. */
export function DeployHistory({ deploys, footer, expandedId, ...rest }: Props) {
  return (
    <section className="history" aria-labelledby="history-heading">
      <h2 id="history-heading" className="section-heading">
        Deploys
      </h2>
      <ul className="history__list">
        {deploys.map((d) => (
          <DeployRow key={d.deployId} deploy={d} expanded={expandedId === d.deployId} {...rest} />
        ))}
      </ul>
      {footer}
    </section>
  );
}
