import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { z } from "zod";
import { authorizeErrorPage, CONSENT_CSP, consentPage } from "./oauth-authorize-view.ts";
import { findConsumer, type OAuthConsumer } from "./oauth-consumers.ts";
import type { UserGrants } from "./oauth-grants.ts";
import type { SandboxState } from "./state.ts";
import { findUser, listUsers } from "./users.ts";

export const AUTHORIZE_PATH = "/site/oauth2/authorize";

export interface AuthorizeDeps {
  state: SandboxState;
  grants: UserGrants;
}

// Each field must be one plain string: `?state=a&state=b` is refused, not guessed at.
const requestSchema = z.object({
  client_id: z.string().min(1),
  response_type: z.string(),
  state: z.string().max(2048).optional(),
  redirect_uri: z.string().max(2048).optional(),
});
const decisionSchema = requestSchema.extend({ user: z.string().min(1), decision: z.enum(["grant", "deny"]) });

class AuthorizeRefused extends Error {}

/**
 * The authorization-code flow's browser half. GET shows the consent page (which consumer, which
 * scopes, a "Sign in as" user picker, Grant access / Deny); POST answers 302 to the consumer's
 * callback URL with `code` and `state`, or with `error=access_denied`. A request naming an
 * unknown consumer, another response_type or a redirect_uri other than the consumer's callback
 * URL gets a 400 page and is never redirected.
 */
export function authorizeRouter(deps: AuthorizeDeps): Router {
  const router = express.Router();
  router.use(AUTHORIZE_PATH, consentHeaders);
  router.get(AUTHORIZE_PATH, (req, res) => {
    withConsumer(deps, req.query, res, (request, consumer) => {
      res.type("html").send(consentPage({ consumer, users: listUsers(deps.state), state: request.state, redirectUri: request.redirect_uri }));
    });
  });
  router.post(AUTHORIZE_PATH, express.urlencoded({ extended: false, limit: "64kb" }), (req, res) => {
    const decision = decisionSchema.safeParse(req.body ?? {});
    if (!decision.success) return refuse(res, "The authorization form is incomplete: start again from the application.");
    withConsumer(deps, decision.data, res, (request, consumer) => {
      const callback = new URL(consumer.callbackUrl);
      if (decision.data.decision === "deny") {
        callback.searchParams.set("error", "access_denied");
        callback.searchParams.set("error_description", "The user denied the application access.");
      } else {
        const user = findUser(deps.state, decision.data.user);
        if (!user) return refuse(res, `There is no user "${decision.data.user}".`);
        callback.searchParams.set("code", deps.grants.issueCode(consumer, user, request.redirect_uri));
      }
      if (request.state !== undefined) callback.searchParams.set("state", request.state);
      res.set("cache-control", "no-store");
      res.redirect(302, callback.href);
    });
  });
  return router;
}

/** Checks client_id, response_type and redirect_uri, then runs `then`; otherwise a 400 page. */
function withConsumer(
  deps: AuthorizeDeps,
  input: unknown,
  res: Response,
  then: (request: z.infer<typeof requestSchema>, consumer: OAuthConsumer) => void,
): void {
  try {
    const request = requestSchema.safeParse(input);
    if (!request.success) throw new AuthorizeRefused("The authorization request is malformed: client_id and response_type are required, once each.");
    const consumer = findConsumer(deps.state, request.data.client_id);
    if (!consumer) throw new AuthorizeRefused("Invalid client_id: no OAuth consumer has this key.");
    if (request.data.redirect_uri !== undefined && request.data.redirect_uri !== consumer.callbackUrl) {
      throw new AuthorizeRefused("The redirect_uri does not match the consumer's callback URL.");
    }
    if (request.data.response_type !== "code") throw new AuthorizeRefused(`Unsupported response_type "${request.data.response_type}": use "code".`);
    then(request.data, consumer);
  } catch (err) {
    if (!(err instanceof AuthorizeRefused)) throw err;
    refuse(res, err.message);
  }
}

function refuse(res: Response, message: string): void {
  res.status(400).type("html").send(authorizeErrorPage(message));
}

function consentHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set("content-security-policy", CONSENT_CSP);
  res.set("x-frame-options", "DENY");
  res.set("referrer-policy", "no-referrer");
  next();
}
