/**
 * A process's memory as Linux reports it (/proc/PID/status): resident set (VmRSS) and its
 * peak (VmHWM), the measure the memory limits of the tests are about (RSS, not the V8 heap).
 */
import { readFileSync, writeFileSync } from 'node:fs';

export function procStatus(pid: number): { rssKb: number; hwmKb: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

/** Resets VmHWM to the current RSS (Linux >= 4.0); false where /proc does not allow it. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Tracks the peak RSS of `pid` from now on: VmHWM after a reset, and VmRSS polled every 20 ms
 * where the reset is not allowed. `stop()` returns the growth over the RSS at the start, in MB.
 */
export function watchPeak(pid: number): { stop(): { beforeMb: number; peakMb: number; growthMb: number } } {
  const before = procStatus(pid).rssKb;
  const reset = resetPeak(pid);
  let polled = before;
  const timer = setInterval(() => {
    try {
      polled = Math.max(polled, procStatus(pid).rssKb);
    } catch {
      // the process ended: its last reading stands
    }
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      const now = procStatus(pid);
      const peak = Math.max(polled, now.rssKb, reset ? now.hwmKb : 0);
      return { beforeMb: before / 1024, peakMb: peak / 1024, growthMb: (peak - before) / 1024 };
    },
  };
}
