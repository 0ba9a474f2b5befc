/** An OAuth error as Bitbucket answers it: `{error, error_description}` with this status. */
export class OAuthError extends Error {
  constructor(
    readonly status: 400 | 401,
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}
