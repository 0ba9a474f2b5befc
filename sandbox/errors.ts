/**
 * Errors the sandbox reports to its callers (tests, local mode, admin API).
 * Each carries a stable code and the HTTP status an admin/API caller should see,
 * and its message says what to do about it.
 */
export class SandboxError extends Error {
  override name = "SandboxError";
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export class NotFoundError extends SandboxError {
  override name = "NotFoundError";
  constructor(code: string, message: string) {
    super(code, message, 404);
  }
}

/** The add-on or its descriptor refused or failed an install/uninstall. */
export class InstallError extends SandboxError {
  override name = "InstallError";
  constructor(code: string, message: string) {
    super(code, message, 422);
  }
}
