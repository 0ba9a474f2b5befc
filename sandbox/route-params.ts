import type { Request } from "express";

/** A route parameter Express matched (named or regex-captured); "" if absent. */
export function param(req: Request, name: string | number): string {
  return (req.params as Record<string, string | undefined>)[name] ?? "";
}
