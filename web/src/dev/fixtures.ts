/**
 * Realistic panel API answers for tests and the `?fixtures=1` dev view. Hostile strings sit
 * beside normal ones on purpose: a commit message, a branch and a file name that would run
 * script if the panel ever rendered them as HTML.
 */
import type { DeployDetailResponse, DeployLogLine, DeployStats, DeployView, FileChange, SiteResponse, StageView } from "../api/types.ts";

export const HOSTILE = "<img src=x onerror=alert(1)>";
export const HOSTILE_SCRIPT = "<script>alert(document.cookie)</script>";
export const FIXTURE_NOW = Date.parse("2026-03-05T14:00:00.000Z");

const WORKSPACE = "acme";
const REPO = "website";
const SITE_ID = `${WORKSPACE}/${REPO}`;
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A deterministic ULID for time `ms`: 10 time characters, then 16 from `seq`. */
export function fixtureUlid(ms: number, seq: number): string {
  let time = "";
  let t = ms;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let rand = "";
  let s = seq * 7919 + 104729;
  for (let i = 0; i < 16; i++) {
    rand += CROCKFORD[s % 32];
    s = Math.floor(s / 32) + i * 13;
  }
  return time + rand;
}

function hash(seed: number): string {
  let h = "";
  let x = (seed * 2654435761) >>> 0;
  while (h.length < 40) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    h += ((x >>> 16) & 0xf).toString(16);
  }
  return h;
}

function stats(files: number, originalBytes: number, reused: number): DeployStats {
  const compressedFiles = Math.round(files * 0.55);
  const storedBytes = Math.round(originalBytes * 0.41);
  const uploadedBlobs = files - reused;
  return {
    archiveBytes: Math.round(originalBytes * 0.36),
    originalBytes,
    storedBytes,
    uploadedBytes: Math.round((storedBytes * uploadedBlobs) / Math.max(files, 1)),
    files,
    compressedFiles,
    reusedBlobs: reused,
    uploadedBlobs,
  };
}

type Spec = Partial<DeployView> & { ageMin: number };

const AUTHORS = ["Ada Lovelace", "Grace Hopper", "Linus Chen", "Margaret Hamilton"];
const MESSAGES = [
  "Update pricing page copy",
  "Add dark mode to docs",
  "Fix broken link in footer",
  "Compress hero images",
  "Blog: release notes for 3.2",
  "Move analytics snippet to head",
  "Refactor navigation component",
  "Add Japanese translations",
];

function deploy(i: number, spec: Spec, now: number): DeployView {
  const queued = now - spec.ageMin * 60_000;
  const durationMs = spec.durationMs;
  const started = queued + 1200;
  const stage = spec.stage ?? "production";
  return {
    deployId: fixtureUlid(queued, i),
    siteId: SITE_ID,
    stage,
    branch: spec.branch ?? "main",
    commit: spec.commit ?? hash(i + 1),
    author: AUTHORS[i % AUTHORS.length],
    message: MESSAGES[i % MESSAGES.length],
    trigger: "push",
    status: "succeeded",
    queuedAt: new Date(queued).toISOString(),
    startedAt: spec.status === "queued" ? undefined : new Date(started).toISOString(),
    finishedAt: durationMs === undefined ? undefined : new Date(started + durationMs).toISOString(),
    url: stage === "production" ? "https://website--acme.hoist.example/" : `https://${stage.replace(/[^a-z0-9-]+/gi, "-").toLowerCase()}--website--acme.hoist.example/`,
    live: false,
    commitUrl: `https://bitbucket.org/acme/website/commits/${spec.commit ?? hash(i + 1)}`,
    ...spec,
  };
}

/** Newest first, 25 deploys: every status, a live production and a live branch stage. */
export function sampleDeploys(now: number = FIXTURE_NOW): DeployView[] {
  const specs: Spec[] = [
    { ageMin: 0.3, status: "queued", message: "Bump dependencies" },
    {
      ageMin: 1,
      status: "running",
      message: "Add Japanese translations",
      progress: { filesDone: 812, bytesDone: 18_400_000, filesSeen: 1320, bytesSeen: 27_900_000, archiveBytesRead: 9_100_000, archiveBytes: 14_600_000, elapsedMs: 21_000 },
    },
    { ageMin: 42, status: "succeeded", durationMs: 14_200, live: true, stats: stats(1894, 41_200_000, 1861), message: "Update pricing page copy\n\nLonger body that is not shown in the row." },
    {
      ageMin: 95,
      status: "timed_out",
      durationMs: 58_400,
      reason: "deploy.timed_out",
      reasonMessage: "The deployer stopped at 58 s to stay inside its 60 s limit.",
      message: "Import the whole photo archive",
      progress: {
        filesDone: 12_034,
        bytesDone: 611_000_000,
        filesSeen: 19_700,
        bytesSeen: 1_020_000_000,
        archiveBytesRead: 402_000_000,
        archiveBytes: 655_000_000,
        limit: "function timeout 60 s (stopped at 58 s)",
        elapsedMs: 58_400,
      },
    },
    {
      ageMin: 130,
      status: "failed",
      durationMs: 3_100,
      stage: HOSTILE,
      branch: HOSTILE,
      message: `Try a trick ${HOSTILE}`,
      author: HOSTILE_SCRIPT,
      reason: "archive.symlink",
      reasonMessage: `"assets/${HOSTILE}.js" is a symbolic link. Hoist serves regular files only: replace the link with the file itself.`,
    },
    { ageMin: 180, status: "superseded", durationMs: 0, reason: "deploy.superseded", reasonMessage: "A newer push to main arrived first." },
    { ageMin: 240, status: "succeeded", durationMs: 9_800, stage: "feature-login", branch: "feature-login", live: true, stats: stats(1802, 39_900_000, 1790) },
    {
      ageMin: 300,
      status: "failed",
      durationMs: 6_700,
      reason: "limits.file_too_large",
      reasonMessage: '"videos/launch.mp4" is 212 MB; the limit per file is 100 MB.',
    },
  ];
  for (let k = 0; k < 17; k++) {
    const files = 1700 + k * 6;
    specs.push({ ageMin: 360 + k * 300, status: "succeeded", durationMs: 8_000 + ((k * 3791) % 9000), stats: stats(files, 36_000_000 + k * 280_000, files - 20 - (k % 5) * 9) });
  }
  return specs.map((s, i) => deploy(i, s, now));
}

function stage(name: string, host: string, live: DeployView | undefined): StageView {
  return { stage: name, host, url: `https://${host}/`, liveDeployId: live?.deployId, live };
}

export function sampleSite(deploys: readonly DeployView[] = sampleDeploys()): SiteResponse {
  const prod = deploys.find((d) => d.stage === "production" && d.live);
  const branch = deploys.find((d) => d.stage === "feature-login" && d.live);
  return {
    site: {
      siteId: SITE_ID,
      workspace: WORKSPACE,
      repo: REPO,
      stages: [stage("production", "website--acme.hoist.example", prod), stage("feature-login", "feature-login--website--acme.hoist.example", branch)],
    },
  };
}

export const EMPTY_SITE: SiteResponse = {
  site: { siteId: SITE_ID, workspace: WORKSPACE, repo: REPO, stages: [stage("production", "website--acme.hoist.example", undefined)] },
};

function logFor(d: DeployView): DeployLogLine[] {
  const t = (s: number) => new Date(Date.parse(d.queuedAt) + s * 1000).toISOString();
  const lines: DeployLogLine[] = [
    { t: t(0), level: "info", msg: `Queued ${d.commit.slice(0, 12)} from ${d.branch}` },
    { t: t(1), level: "info", msg: "Fetching archive from Bitbucket" },
  ];
  if (d.status === "failed") lines.push({ t: t(3), level: "error", msg: `${d.reason}: ${d.reasonMessage ?? ""}` });
  if (d.status === "timed_out") {
    lines.push({ t: t(30), level: "warn", msg: "Halfway through the time budget at 31% of files" });
    lines.push({ t: t(58), level: "error", msg: "Stopping: 2 s left of the function timeout; live site untouched" });
  }
  if (d.status === "succeeded") {
    lines.push({ t: t(6), level: "info", msg: `Uploaded ${d.stats?.uploadedBlobs ?? 0} new blobs, reused ${d.stats?.reusedBlobs ?? 0}` });
    lines.push({ t: t(9), level: "info", msg: "Published: live pointer moved" });
  }
  return lines;
}

function changesFor(d: DeployView): FileChange[] | undefined {
  if (d.status !== "succeeded") return undefined;
  return [
    { path: "index.html", change: "changed", size: 18_230 },
    { path: "pricing/index.html", change: "changed", size: 22_004 },
    { path: "assets/app.4f9c2e1b.js", change: "added", size: 141_822 },
    { path: "assets/app.1a2b3c4d.js", change: "removed" },
    { path: `blog/${HOSTILE}.html`, change: "added", size: 4_410 },
  ];
}

export function sampleDetail(d: DeployView): DeployDetailResponse {
  return { deploy: { ...d, log: logFor(d), changes: changesFor(d), changesTruncated: false } };
}
