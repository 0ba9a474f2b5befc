/**
 * A failed panel API call, carrying the server's stable code (`rollback.conflict`,
 * `auth.expired`, …) or one of ours for failures that never reached the server.
 */
export class ApiRequestError extends Error {
  override name = "ApiRequestError";
  constructor(
    /** HTTP status, or 0 when the request never got an answer. */
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  get unreachable(): boolean {
    return this.status === 0;
  }
}

export const UNREACHABLE_CODE = "network.unreachable";

/** Reads `{ error: { code, message } }`; anything else becomes a generic `http.<status>` error. */
export async function errorFromResponse(res: Response): Promise<ApiRequestError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const err = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (err && typeof err.code === "string" && typeof err.message === "string") {
    return new ApiRequestError(res.status, err.code, err.message);
  }
  return new ApiRequestError(res.status, `http.${res.status}`, `The Hoist API answered ${res.status} ${res.statusText}`.trim());
}
