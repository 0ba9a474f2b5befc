import { HoistError, quotePath } from "../../core/errors.ts";

/**
 * Path rules for archive entries. node-tar applies its own path protections only when it
 * extracts to disk; its Parser hands us raw names, so every rule here is ours.
 *
 * Collision policy (documented in the README): paths are served case-sensitively, exactly as
 * named, but two names that are equal after Unicode NFC normalisation and lower-casing are
 * refused — such a tree differs between macOS/Windows checkouts and Linux, and URLs that differ
 * only by case or by Unicode form are a trap. A file and a folder of the same name are refused too.
 */

export type PathRules = { maxPathDepth: number; maxKeyBytes: number };

/** Splits off the archive's single top folder (`{workspace}-{repo}-{commit}/`). */
export function splitTopFolder(raw: string): { top: string; rest: string } {
  const slash = raw.indexOf("/");
  if (slash <= 0) return { top: raw.replace(/\/$/, ""), rest: "" };
  return { top: raw.slice(0, slash), rest: raw.slice(slash + 1) };
}

/**
 * Checks one entry's path (relative to the top folder) and returns its normalised form:
 * NFC, no empty or `.` segments, no trailing slash. Throws a HoistError naming the rule.
 */
export function checkEntryPath(path: string, rules: PathRules): string {
  checkPathSafety(path);
  const shown = quotePath(path);
  const segments = path.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.length > rules.maxPathDepth) {
    throw new HoistError("archive.path_too_deep", `${shown} is ${segments.length} folders deep; the limit is ${rules.maxPathDepth}. Flatten the folder structure or raise HOIST_MAX_PATH_DEPTH.`, { limit: rules.maxPathDepth });
  }
  const normalised = segments.join("/").normalize("NFC");
  if (Buffer.byteLength(normalised) > rules.maxKeyBytes) {
    throw new HoistError("archive.key_too_long", `The path ${shown} is longer than ${rules.maxKeyBytes} bytes, more than storage keys allow. Shorten the file or folder names.`, { limit: rules.maxKeyBytes });
  }
  return normalised;
}

/**
 * The rules that make a name unsafe wherever it sits (NUL, roots, backslashes, control
 * characters, `..`). They also run on the raw entry name before the top folder is split off,
 * so `/etc/passwd` or `../x` beside the top folder is refused by name, not as a layout problem.
 */
export function checkPathSafety(path: string): void {
  const shown = quotePath(path);
  if (path.includes("\0")) {
    throw new HoistError("archive.nul_in_path", `The archive has a file name containing a NUL byte (${shown}). Rename the file and push again.`);
  }
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path) || path.startsWith("\\")) {
    throw new HoistError("archive.absolute_path", `The archive names an absolute path (${shown}); every file must sit inside the repository's folder. Rebuild the archive with relative paths.`);
  }
  if (path.includes("\\")) {
    throw new HoistError("archive.bad_name", `The file name ${shown} contains a backslash, which URLs cannot carry reliably. Rename it with forward slashes or without the backslash.`);
  }
  if (hasControlCharacter(path)) {
    throw new HoistError("archive.bad_name", `The file name ${shown} contains control characters. Rename it and push again.`);
  }
  if (path.split("/").includes("..")) {
    throw new HoistError("archive.path_traversal", `The archive tries to write outside the site with ${shown} ('..' in a path). Remove that entry or rebuild the archive.`);
  }
}

function hasControlCharacter(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** Remembers every name seen in one archive and refuses collisions under the policy above. */
export class NameRegistry {
  private readonly files = new Map<string, string>();
  private readonly folders = new Map<string, string>();

  private static fold(path: string): string {
    return path.normalize("NFC").toLowerCase();
  }

  addFile(path: string): void {
    const key = NameRegistry.fold(path);
    const clash = this.files.get(key) ?? this.folders.get(key);
    if (clash !== undefined) throw collision(path, clash);
    // Every parent folder of this file must not also be a file.
    const parts = key.split("/");
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join("/");
      const asFile = this.files.get(folder);
      if (asFile !== undefined) throw collision(path, asFile);
      // `Docs/a.html` and `docs/b.html` name two folders that differ only by case: the same clash.
      const named = path.split("/").slice(0, i).join("/");
      const seen = this.folders.get(folder);
      if (seen === undefined) this.folders.set(folder, named);
      else if (seen !== named) throw collision(named, seen);
    }
    this.files.set(key, path);
  }

  get size(): number {
    return this.files.size;
  }
}

function collision(path: string, other: string): HoistError {
  const message =
    path === other
      ? `The archive contains ${quotePath(path)} twice. Remove the duplicate entry.`
      : `${quotePath(path)} and ${quotePath(other)} differ only by letter case or Unicode form (or one is a file and the other a folder), so they would collide on many systems and in URLs. Rename one of them.`;
  return new HoistError("archive.name_collision", message, { paths: [path, other] });
}
