import { Writable } from "node:stream";

const MAX_QUEUED_LINES = 1000;
const BATCH_LINES = 100;
const FLUSH_INTERVAL_MS = 1000;

/**
 * A log sink that POSTs newline-delimited JSON batches to a collector (Papertrail, Logtail,
 * Loki's push gateway …). The queue is bounded: when the collector is slower than the logs,
 * the oldest lines are dropped and a count of dropped lines is sent instead — logging never
 * holds a deploy's memory hostage.
 */
export function createHttpLogStream(url: string): Writable {
  let queue: string[] = [];
  let dropped = 0;
  let sending: Promise<void> = Promise.resolve();

  const send = (): Promise<void> => {
    if (queue.length === 0 && dropped === 0) return sending;
    const batch = queue.splice(0, BATCH_LINES);
    if (dropped > 0) {
      batch.push(JSON.stringify({ level: 40, msg: "log lines dropped: collector too slow", dropped }));
      dropped = 0;
    }
    sending = sending
      .then(() => fetch(url, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body: `${batch.join("\n")}\n` }))
      .then(
        () => undefined,
        () => undefined, // A collector outage must not fail deploys; stdout still has every line.
      );
    return sending;
  };

  const timer = setInterval(() => void send(), FLUSH_INTERVAL_MS);
  timer.unref();

  return new Writable({
    write(chunk, _encoding, done) {
      queue.push(String(chunk).trimEnd());
      if (queue.length > MAX_QUEUED_LINES) {
        dropped += queue.length - MAX_QUEUED_LINES;
        queue = queue.slice(-MAX_QUEUED_LINES);
      }
      if (queue.length >= BATCH_LINES) void send();
      done();
    },
    final(done) {
      clearInterval(timer);
      const drain = async () => {
        while (queue.length > 0 || dropped > 0) await send();
        await sending;
      };
      drain().then(() => done(), done);
    },
  });
}
