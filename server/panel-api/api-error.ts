import type { Response } from "express";
import type { ApiError } from "./types.ts";

/** An error the panel shows: a status, a stable code and a sentence. Anything else becomes a 500 with no details. */
export class ApiFailure extends Error {
  override name = "ApiFailure";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function sendApiError(res: Response, err: unknown): void {
  if (res.headersSent) return;
  const bodyParser = err as { type?: string; status?: number };
  let failure: ApiFailure;
  if (err instanceof ApiFailure) failure = err;
  else if (bodyParser?.type === "entity.too.large") failure = new ApiFailure(413, "request.too_large", "The request body is too large.");
  else if (bodyParser?.type === "entity.parse.failed") failure = new ApiFailure(400, "request.invalid", "The request body is not valid JSON.");
  else failure = new ApiFailure(500, "internal", "Hoist could not answer this request. Try again; tell the operator if it repeats.");
  const body: ApiError = { error: { code: failure.code, message: failure.message } };
  res.status(failure.status).json(body);
}
