// The machine's load average as the benchmarks print it beside their timings: on a shared 2-core VM
// a ratio measured under load says less than one measured on free cores.
import os from 'node:os';

export function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(1)).join(' ');
}
