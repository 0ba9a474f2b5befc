import { z } from "zod";

/**
 * Every setting Hoist reads, parsed once from the environment at start-up.
 * Entry points call `loadConfig()` and pass the result down; nothing else reads `process.env`.
 * The README documents each variable (keep the two in step).
 */

const MiB = 1024 * 1024;

const intFrom = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const EnvSchema = z.object({
  NODE_ENV: z.string().default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOIST_LISTEN_HOST: z.string().min(1).max(255).optional(),
  HOIST_BACKEND: z.enum(["embedded", "aws"]).optional(),
  HOIST_DATA_DIR: z.string().default("./.hoist"),
  HOIST_SITES_DOMAIN: z.string().optional(),
  HOIST_BASE_URL: z.string().url().optional(),
  HOIST_TABLE_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]*$/).default("hoist-"),
  HOIST_STAGING_BUCKET: z.string().default("hoist-staging"),
  HOIST_SITES_BUCKET: z.string().default("hoist-sites"),
  AWS_REGION: z.string().default("us-east-1"),
  AWS_ENDPOINT_URL: z.string().url().optional(),
  AWS_ENDPOINT_URL_S3: z.string().url().optional(),
  AWS_ENDPOINT_URL_DYNAMODB: z.string().url().optional(),
  HOIST_MAX_ARCHIVE_BYTES: intFrom(512 * MiB),
  HOIST_MAX_TOTAL_BYTES: intFrom(2048 * MiB),
  HOIST_MAX_FILE_BYTES: intFrom(256 * MiB),
  HOIST_MAX_FILES: intFrom(50_000),
  HOIST_MAX_PATH_DEPTH: intFrom(32),
  HOIST_UPLOAD_CONCURRENCY: intFrom(16),
  HOIST_LAMBDA_TIMEOUT: intFrom(60),
  HOIST_TIMEOUT_MARGIN_MS: intFrom(2000),
  HOIST_MAX_CONTINUATIONS: z.coerce.number().int().nonnegative().default(20),
  HOIST_BROTLI_QUALITY: z.coerce.number().int().min(0).max(11).default(5),
  HOIST_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  HOIST_LOG_HTTP_URL: z.string().url().optional(),
  HOIST_ADDON_KEY: z.string().regex(/^[a-zA-Z0-9._-]+$/).default("hoist-deploys"),
  AWS_ENDPOINT_URL_LAMBDA: z.string().url().optional(),
  AWS_ENDPOINT_URL_IAM: z.string().url().optional(),
  HOIST_LAMBDA_FUNCTION_NAME: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default("hoist-deployer"),
  HOIST_LAMBDA_ROLE_ARN: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, "must be an IAM role ARN").optional(),
  HOIST_LAMBDA_MEMORY: z.coerce.number().int().min(128).max(10240).default(1024),
  HOIST_LAMBDA_ALIAS: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,127}$/).default("live"),
  HOIST_DIRECT_SITES_FILE: z.string().min(1).optional(),
  HOIST_OAUTH_CLIENT_ID: z.string().min(1).max(200).optional(),
  HOIST_OAUTH_CLIENT_SECRET: z.string().min(1).max(500).optional(),
  HOIST_BITBUCKET_URL: z.string().url().default("https://bitbucket.org"),
  HOIST_BITBUCKET_API_URL: z.string().url().default("https://api.bitbucket.org"),
  HOIST_GATEWAY_CACHE_BYTES: z.coerce.number().int().min(0).max(64 * 1024 ** 3).default(64 * 1024 ** 2),
  HOIST_GATEWAY_CACHE_MAX_FILE_BYTES: z.coerce.number().int().min(0).max(1024 ** 3).default(1024 ** 2),
  HOIST_FORGE_APP_ID: z
    .string()
    .regex(/^(ari:cloud:ecosystem::app\/)?[0-9a-f-]{36}$/i, "must be the Forge app id (ari:cloud:ecosystem::app/<uuid>, as forge register wrote into forge/manifest.yml)")
    .optional(),
  HOIST_FORGE_JWKS_URL: z.string().url().default("https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json"),
  HOIST_FORGE_MANIFEST: z.string().min(1).default("forge/manifest.yml"),
  HOIST_SECRET_KEY: z
    .string()
    .refine((k) => Buffer.from(k, "base64").length === 32, "must be 32 random bytes in base64 (openssl rand -base64 32)")
    .optional(),
  HOIST_RETENTION_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  HOIST_RETENTION_PER_STAGE: z.coerce.number().int().min(1).max(10_000).default(20),
  HOIST_TEST_SLOW_STORAGE_MS: z.coerce.number().int().min(0).max(10_000).optional(),
});

export type DeployLimits = {
  /** Compressed bytes of the staged archive. */
  maxArchiveBytes: number;
  /** Uncompressed bytes of all entries, counted in the stream. */
  maxTotalBytes: number;
  maxFileBytes: number;
  maxFiles: number;
  maxPathDepth: number;
};

export type Config = {
  production: boolean;
  port: number;
  /** The address the server listens on; undefined = every interface (production's default). */
  listenHost?: string;
  backend: "embedded" | "aws";
  dataDir: string;
  /** Host suffix under which each site is served: `<repo>--<workspace>.<sitesDomain>`. */
  sitesDomain: string;
  /** Public origin of the add-on (Connect `baseUrl`); local mode derives it from the port. */
  baseUrl: string;
  addonKey: string;
  region: string;
  endpoints: { s3?: string; dynamodb?: string; lambda?: string; iam?: string };
  buckets: { staging: string; sites: string };
  tables: { deploys: string; sites: string; prefix: string };
  limits: DeployLimits;
  uploadConcurrency: number;
  lambdaTimeoutSeconds: number;
  timeoutMarginMs: number;
  /** How often one deploy may be handed on to a fresh run at the function's time limit (lambda/deploy/continuation.ts). */
  maxContinuations: number;
  /** Quality of the brotli copy made at deploy time for compressible files (lambda/deploy/store-archive.ts); 0 = none made. */
  brotliQuality: number;
  log: { level: string; httpUrl?: string };
  /** The deployer function on AWS, as `hoist lambda deploy` creates and updates it. */
  lambda: { functionName: string; roleArn?: string; memoryMb: number; alias: string };
  /**
   * Direct mode: path of the JSON file listing the sites deployed by plain repository webhooks +
   * repository access tokens. Unset = Connect only. The server reads and validates it once at
   * start (server/owners/direct-sites-file.ts); the deployer never needs it.
   */
  directSitesFile?: string;
  /**
   * Sign in with Bitbucket (the dashboard): the OAuth consumer, and where Bitbucket is. Both ids
   * unset = no dashboard sign-in.
   */
  oauth?: { clientId: string; clientSecret: string };
  bitbucket: { url: string; apiUrl: string };
  /** The gateway's in-memory cache of hot blobs (server/gateway/blob-cache.ts): its byte budget, and the largest blob it keeps. 0 = off. */
  gatewayCache: { budgetBytes: number; maxFileBytes: number };
  /**
   * The Forge app (docs/forge.md): which app Hoist is the remote of (the FIT audience), where
   * Forge's signing keys are, and the app's manifest (the push route is read from it). No app id =
   * no Forge routes.
   */
  forge: { appId?: string; jwksUrl: string; manifestPath: string };
  /** AES-256-GCM key for secrets at rest (base64); locally generated into the data folder when unset. */
  secretKey?: string;
  /** What garbage collection keeps per site (core/gc.ts): every deploy of the last `days`, and at least `perStage` per stage. */
  retention: { days: number; perStage: number };
  /**
   * Tests only: every object write of the EMBEDDED S3 waits this long, standing in for slow storage
   * (a deploy that must run out of time does, on any machine). Never used with the aws backend.
   */
  testSlowStorageMs?: number;
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new ConfigError(`Hoist's settings are invalid (${problems}) — fix these environment variables and start again.`);
  }
  const e = parsed.data;
  const endpoints = {
    s3: e.AWS_ENDPOINT_URL_S3 ?? e.AWS_ENDPOINT_URL,
    dynamodb: e.AWS_ENDPOINT_URL_DYNAMODB ?? e.AWS_ENDPOINT_URL,
    lambda: e.AWS_ENDPOINT_URL_LAMBDA ?? e.AWS_ENDPOINT_URL,
    iam: e.AWS_ENDPOINT_URL_IAM ?? e.AWS_ENDPOINT_URL,
  };
  // Embedded is the default only when nothing points at AWS; an explicit choice always wins.
  const backend = e.HOIST_BACKEND ?? (endpoints.s3 || endpoints.dynamodb || e.NODE_ENV === "production" ? "aws" : "embedded");
  return {
    production: e.NODE_ENV === "production",
    port: e.PORT,
    // Local mode holds shared secrets and a demo installation: reachable from this machine only, unless told otherwise.
    listenHost: e.HOIST_LISTEN_HOST === "*" ? undefined : (e.HOIST_LISTEN_HOST ?? (e.NODE_ENV === "production" ? undefined : "127.0.0.1")),
    backend,
    dataDir: e.HOIST_DATA_DIR,
    sitesDomain: (e.HOIST_SITES_DOMAIN ?? `localhost:${e.PORT}`).toLowerCase(),
    baseUrl: (e.HOIST_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
    addonKey: e.HOIST_ADDON_KEY,
    region: e.AWS_REGION,
    endpoints,
    buckets: { staging: e.HOIST_STAGING_BUCKET, sites: e.HOIST_SITES_BUCKET },
    tables: {
      prefix: e.HOIST_TABLE_PREFIX,
      deploys: `${e.HOIST_TABLE_PREFIX}deploys`,
      sites: `${e.HOIST_TABLE_PREFIX}sites`,
    },
    limits: {
      maxArchiveBytes: e.HOIST_MAX_ARCHIVE_BYTES,
      maxTotalBytes: e.HOIST_MAX_TOTAL_BYTES,
      maxFileBytes: e.HOIST_MAX_FILE_BYTES,
      maxFiles: e.HOIST_MAX_FILES,
      maxPathDepth: e.HOIST_MAX_PATH_DEPTH,
    },
    uploadConcurrency: e.HOIST_UPLOAD_CONCURRENCY,
    lambdaTimeoutSeconds: e.HOIST_LAMBDA_TIMEOUT,
    timeoutMarginMs: e.HOIST_TIMEOUT_MARGIN_MS,
    maxContinuations: e.HOIST_MAX_CONTINUATIONS,
    brotliQuality: e.HOIST_BROTLI_QUALITY,
    log: { level: e.HOIST_LOG_LEVEL, httpUrl: e.HOIST_LOG_HTTP_URL },
    lambda: {
      functionName: e.HOIST_LAMBDA_FUNCTION_NAME,
      roleArn: e.HOIST_LAMBDA_ROLE_ARN,
      memoryMb: e.HOIST_LAMBDA_MEMORY,
      alias: e.HOIST_LAMBDA_ALIAS,
    },
    directSitesFile: e.HOIST_DIRECT_SITES_FILE,
    retention: { days: e.HOIST_RETENTION_DAYS, perStage: e.HOIST_RETENTION_PER_STAGE },
    oauth: e.HOIST_OAUTH_CLIENT_ID && e.HOIST_OAUTH_CLIENT_SECRET ? { clientId: e.HOIST_OAUTH_CLIENT_ID, clientSecret: e.HOIST_OAUTH_CLIENT_SECRET } : undefined,
    bitbucket: { url: e.HOIST_BITBUCKET_URL.replace(/\/+$/, ""), apiUrl: e.HOIST_BITBUCKET_API_URL.replace(/\/+$/, "") },
    gatewayCache: { budgetBytes: e.HOIST_GATEWAY_CACHE_BYTES, maxFileBytes: e.HOIST_GATEWAY_CACHE_MAX_FILE_BYTES },
    forge: {
      appId: e.HOIST_FORGE_APP_ID && (e.HOIST_FORGE_APP_ID.startsWith("ari:") ? e.HOIST_FORGE_APP_ID : `ari:cloud:ecosystem::app/${e.HOIST_FORGE_APP_ID}`),
      jwksUrl: e.HOIST_FORGE_JWKS_URL,
      manifestPath: e.HOIST_FORGE_MANIFEST,
    },
    secretKey: e.HOIST_SECRET_KEY,
    testSlowStorageMs: e.HOIST_TEST_SLOW_STORAGE_MS,
  };
}

/**
 * The environment that reproduces `config` in another process: the local Lambda runner's
 * workers and the real function's configuration (`hoist lambda deploy`) are both made from it.
 */
export function configToEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = {
    NODE_ENV: config.production ? "production" : "development",
    HOIST_BACKEND: config.backend,
    HOIST_SITES_DOMAIN: config.sitesDomain,
    HOIST_TABLE_PREFIX: config.tables.prefix,
    HOIST_STAGING_BUCKET: config.buckets.staging,
    HOIST_SITES_BUCKET: config.buckets.sites,
    HOIST_MAX_ARCHIVE_BYTES: String(config.limits.maxArchiveBytes),
    HOIST_MAX_TOTAL_BYTES: String(config.limits.maxTotalBytes),
    HOIST_MAX_FILE_BYTES: String(config.limits.maxFileBytes),
    HOIST_MAX_FILES: String(config.limits.maxFiles),
    HOIST_MAX_PATH_DEPTH: String(config.limits.maxPathDepth),
    HOIST_UPLOAD_CONCURRENCY: String(config.uploadConcurrency),
    HOIST_TIMEOUT_MARGIN_MS: String(config.timeoutMarginMs),
    HOIST_MAX_CONTINUATIONS: String(config.maxContinuations),
    HOIST_BROTLI_QUALITY: String(config.brotliQuality),
    HOIST_LOG_LEVEL: config.log.level,
    HOIST_RETENTION_DAYS: String(config.retention.days),
    HOIST_RETENTION_PER_STAGE: String(config.retention.perStage),
  };
  if (config.log.httpUrl) env.HOIST_LOG_HTTP_URL = config.log.httpUrl;
  if (config.endpoints.s3) env.AWS_ENDPOINT_URL_S3 = config.endpoints.s3;
  if (config.endpoints.dynamodb) env.AWS_ENDPOINT_URL_DYNAMODB = config.endpoints.dynamodb;
  return env;
}

/**
 * What a local Lambda worker inherits from this process: the machine's basics and the AWS
 * credential chain, as a Lambda gets them from its role — never this process's other variables
 * (secrets of the add-on, for one).
 */
export function processEnvForWorkers(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const keep = ["PATH", "HOME", "TMPDIR", "LANG", "TZ", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"];
  const picked: Record<string, string> = {};
  for (const key of keep) {
    const value = env[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}
