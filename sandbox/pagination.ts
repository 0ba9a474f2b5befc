import type { Request } from "express";

/**
 * Bitbucket's paged list: `{pagelen, page, size, values, next?}`. `page` counts from 1,
 * `pagelen` defaults to 10 and is held to 1…100; `next` repeats the request's query with the
 * following page.
 */
export function paginate<T>(req: Request, all: T[], origin: string) {
  const pagelen = Math.min(Math.max(Number(req.query.pagelen) || 10, 1), 100);
  const pageNo = Math.max(Math.floor(Number(req.query.page)) || 1, 1);
  const values = all.slice((pageNo - 1) * pagelen, pageNo * pagelen);
  const result: { pagelen: number; page: number; size: number; values: T[]; next?: string } = { pagelen, page: pageNo, size: all.length, values };
  if (pageNo * pagelen < all.length) {
    const next = new URL(req.originalUrl, origin);
    next.searchParams.set("page", String(pageNo + 1));
    result.next = next.href;
  }
  return result;
}
