import type { NextFunction, Request, Response } from "express";
import type { Logger } from "pino";
import { ZodError, z } from "zod";
import { SandboxError } from "./errors.ts";

/** Turns thrown errors into JSON: `{error: {code, message}}` with the error's status. */
export function errorHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return void res.destroy();
    if (err instanceof SandboxError) {
      return void res.status(err.status).json({ error: { code: err.code, message: err.message } });
    }
    if (err instanceof ZodError) {
      return void res.status(400).json({ error: { code: "request.invalid", message: z.prettifyError(err) } });
    }
    const status = (err as { status?: number }).status; // body-parser: 413 too large, 400 bad JSON
    if (status && status >= 400 && status < 500) {
      return void res.status(status).json({ error: { code: "request.invalid", message: (err as Error).message } });
    }
    log.error({ err, path: req.path }, "unhandled error");
    res.status(500).json({ error: { code: "sandbox.internal", message: "internal error; see the sandbox log" } });
  };
}
