/**
 * The status a visitor gets when S3 or DynamoDB fails us. 503 (with Retry-After) when storage is
 * unreachable or throttling — retrying soon is likely to work; 502 when storage answered with
 * something we cannot serve (a missing blob, a manifest that does not parse, access denied) —
 * an operator has to look, and the log line with the request id says what happened.
 */

const RETRYABLE_NAMES = new Set([
  "ThrottlingException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "SlowDown",
  "ServiceUnavailable",
  "InternalServerError",
  "InternalError",
  "TimeoutError",
  "RequestTimeout",
]);

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

export function storageErrorStatus(err: unknown): 502 | 503 {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (e?.name && RETRYABLE_NAMES.has(e.name)) return 503;
  if (e?.code && NETWORK_CODES.has(e.code)) return 503;
  const status = e?.$metadata?.httpStatusCode;
  if (status === 503 || status === 500) return 503;
  return 502;
}
