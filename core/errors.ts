/**
 * Errors that reach a person: each carries a stable code (shown in the panel, the CLI and
 * build statuses) and a sentence saying what to do. Codes never change meaning once shipped.
 */
export type ReasonCode =
  | "archive.not_gzip"
  | "archive.corrupt_gzip"
  | "archive.truncated"
  | "archive.bad_tar"
  | "archive.empty"
  | "archive.no_top_folder"
  | "archive.path_traversal"
  | "archive.absolute_path"
  | "archive.nul_in_path"
  | "archive.bad_name"
  | "archive.symlink"
  | "archive.hard_link"
  | "archive.special_file"
  | "archive.path_too_deep"
  | "archive.key_too_long"
  | "archive.name_collision"
  | "archive.bad_header"
  | "archive.missing"
  | "limits.archive_too_large"
  | "limits.site_too_large"
  | "limits.file_too_large"
  | "limits.too_many_files"
  | "config.invalid"
  | "site.owned_elsewhere"
  | "site.host_conflict"
  | "deploy.timed_out"
  | "deploy.superseded"
  | "deploy.storage_failed"
  | "deploy.internal"
  | "fetch.unauthorized"
  | "fetch.not_found"
  | "fetch.failed"
  | "fetch.stalled";

export class HoistError extends Error {
  override name = "HoistError";
  constructor(
    readonly code: ReasonCode,
    message: string,
    /** Facts a caller may show: the limit hit, the offending path (already sanitised). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function isHoistError(err: unknown): err is HoistError {
  return err instanceof HoistError;
}

/** Makes a path safe to quote in a message: control characters become visible escapes, length is capped. */
export function quotePath(path: string, max = 200): string {
  const visible = JSON.stringify(path.length > max ? `${path.slice(0, max)}…` : path);
  return visible;
}
