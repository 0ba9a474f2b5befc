import { z } from "zod";

/**
 * The parts of Bitbucket's `repo:push` payload Hoist reads, validated at the edge. Unknown
 * fields are ignored; a missing or mistyped field Hoist needs is a 400 naming the field.
 * `new` is null for a deleted ref; tags are recognised so they can be skipped by name.
 */

const Commit = z.object({
  hash: z.string().regex(/^[0-9a-f]{7,64}$/i),
  message: z.string().max(100_000).optional(),
  author: z.object({ raw: z.string().max(1000).optional(), user: z.object({ display_name: z.string().max(1000).optional() }).partial().optional() }).partial().optional(),
});

const RefState = z.object({
  type: z.string().max(40),
  name: z.string().min(1).max(1000),
  target: Commit,
});

const Change = z.object({
  new: RefState.nullable(),
  old: RefState.nullable().optional(),
});

export const PushPayloadSchema = z.object({
  repository: z.object({
    full_name: z.string().regex(/^[^/\s]+\/[^/\s]+$/, "must be <workspace>/<repo>"),
    uuid: z.string().max(100).optional(),
    mainbranch: z.object({ name: z.string().min(1).max(1000) }).nullish(),
    workspace: z.object({ uuid: z.string().max(100).optional(), slug: z.string().max(200).optional() }).partial().optional(),
  }),
  push: z.object({ changes: z.array(Change).max(1000) }),
  actor: z.object({ display_name: z.string().max(1000).optional() }).partial().optional(),
});

export type PushPayload = z.infer<typeof PushPayloadSchema>;

export type PushParse = { ok: true; payload: PushPayload } | { ok: false; problem: string };

export function parsePush(body: unknown): PushParse {
  const parsed = PushPayloadSchema.safeParse(body);
  if (parsed.success) return { ok: true, payload: parsed.data };
  const first = parsed.error.issues[0];
  return { ok: false, problem: first ? `${first.path.join(".") || "body"}: ${first.message}` : "invalid payload" };
}

/** One branch tip to consider deploying, or a change skipped with the reason. */
/** What a verified webhook delivery asks for: a push to handle, another event to ignore, or a bad body. */
export type PushDelivery = { kind: "push"; payload: PushPayload } | { kind: "ignored" } | { kind: "malformed"; problem: string };

export function readPushDelivery(body: unknown, eventKey: string | undefined): PushDelivery {
  if (eventKey !== "repo:push") return { kind: "ignored" };
  const parsed = parsePush(body);
  return parsed.ok ? { kind: "push", payload: parsed.payload } : { kind: "malformed", problem: parsed.problem };
}

/** `previous`: the commit the branch pointed at before this push (absent for a new branch). */
export type BranchTip = { branch: string; commit: string; previous?: string; author?: string; message?: string };
export type ChangeDecision = { kind: "tip"; tip: BranchTip } | { kind: "skip"; ref: string; reason: string };

export function branchTips(payload: PushPayload): ChangeDecision[] {
  return payload.push.changes.map((change): ChangeDecision => {
    if (!change.new) return { kind: "skip", ref: change.old?.name ?? "?", reason: "ref deleted" };
    if (change.new.type !== "branch") return { kind: "skip", ref: change.new.name, reason: `${change.new.type} pushes are not deployed` };
    const target = change.new.target;
    return {
      kind: "tip",
      tip: {
        branch: change.new.name,
        commit: target.hash.toLowerCase(),
        previous: change.old?.type === "branch" && change.old.name === change.new.name ? change.old.target.hash.toLowerCase() : undefined,
        author: target.author?.user?.display_name ?? target.author?.raw?.replace(/\s*<[^>]*>\s*$/, ""),
        message: target.message?.split("\n")[0]?.slice(0, 500),
      },
    };
  });
}
