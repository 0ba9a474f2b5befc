import { readdirSync, readFileSync } from "node:fs";

/**
 * Peak resident memory and CPU time of this process's children whose command line matches, read
 * from /proc/<pid>/status (VmHWM is the kernel's own high-water mark, so sampling only has to
 * catch the process before it exits) and /proc/<pid>/stat (utime + stime). New children are
 * looked for every `scanMs`; known ones are read every `sampleMs`. Linux only.
 */
export type RssWatch = { stop(): { peakBytes: number; cpuMs: number; pids: number[] } };

const TICK_MS = 10; // USER_HZ is 100 on Linux

export function watchChildRss(matches: (cmdline: string) => boolean, opts: { sampleMs?: number; scanMs?: number } = {}): RssWatch {
  const peaks = new Map<number, number>();
  const cpu = new Map<number, number>();
  const scan = () => {
    for (const name of readdirSync("/proc")) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || peaks.has(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (ppid !== process.pid) continue;
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
        if (matches(cmdline)) peaks.set(pid, 0);
      } catch {
        // The process ended between readdir and read.
      }
    }
  };
  const sample = () => {
    for (const pid of peaks.keys()) {
      const hwm = readHighWaterMark(pid);
      if (hwm !== undefined && hwm > peaks.get(pid)!) peaks.set(pid, hwm);
      const used = readCpuMs(pid);
      if (used !== undefined) cpu.set(pid, used);
    }
  };
  scan();
  const scanTimer = setInterval(scan, opts.scanMs ?? 200);
  const sampleTimer = setInterval(sample, opts.sampleMs ?? 20);
  return {
    stop() {
      sample();
      clearInterval(scanTimer);
      clearInterval(sampleTimer);
      return { peakBytes: Math.max(0, ...peaks.values()), cpuMs: [...cpu.values()].reduce((a, b) => a + b, 0), pids: [...peaks.keys()] };
    },
  };
}

function readHighWaterMark(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function readCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the command name.
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** The process's resident memory now (VmRSS), or undefined once it has ended. */
export function readRssBytes(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The process's peak resident memory since it started (VmHWM), or undefined once it has ended. */
export function readPeakRssBytes(pid: number): number | undefined {
  return readHighWaterMark(pid);
}

/**
 * Samples one process's VmRSS every `everyMs` until stopped: the highest sample, and how many
 * were taken. Unlike VmHWM this can cover a window (the start-up peak is not counted).
 */
export function sampleRss(pid: number, everyMs = 50): { stop(): { peakBytes: number; samples: number } } {
  let peak = 0;
  let samples = 0;
  const take = () => {
    const rss = readRssBytes(pid);
    if (rss === undefined) return;
    samples++;
    if (rss > peak) peak = rss;
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      take();
      clearInterval(timer);
      return { peakBytes: peak, samples };
    },
  };
}
