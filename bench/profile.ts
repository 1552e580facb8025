/**
 * Where a process's CPU went, from a V8 CPU profile (`node --cpu-prof`): self time grouped by
 * what owns the code — a package under node_modules, a folder of src/ (dist/ is its compiled
 * copy), Node's own modules, or V8 (GC, compilation, builtins) — and the top functions.
 * Profiles of the bundles (dist/bundle/) cannot be grouped by package: profile the per-file
 * build (dist/<name>.js), which runs the same compiled code with its modules apart.
 *
 * `npx tsx bench/profile.ts file.cpuprofile…` prints the summary of each file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  /** Wall time the profile covers, ms. */
  wallMs: number;
  /** Time not idle, ms (≈ CPU time of the main thread). */
  busyMs: number;
  /** Self time by owner, ms, largest first (idle left out). */
  owners: [string, number][];
  /** Self time by function (`name owner`), ms, largest first (idle left out). */
  functions: [string, number][];
  /**
   * Self time of native/builtin code (writev, crypto, JSON…) by the owner of the nearest frame
   * outside Node's own modules that called it, ms, largest first: whose socket writes a `writev` was.
   */
  nativeCallers: [string, number][];
}

/** Who owns the code at `url`: `pg`, `kysely`, `src/refresh`, `node:net`, `(gc)`… */
function ownerOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return '(gc)';
    if (functionName === '(program)') return '(program: V8/native outside JS)';
    if (functionName === '(idle)') return '(idle)';
    return '(native/builtin)';
  }
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').split('/')[0];
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const own = /\/(?:src|dist)\/(.+)$/.exec(url);
  if (own) {
    const parts = own[1].split('/');
    return parts.length > 1 ? `src/${parts.slice(0, Math.min(2, parts.length - 1)).join('/')}` : `src/${parts[0]}`;
  }
  return url.split('/').pop() ?? url;
}

export function summarizeProfile(path: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const callerOwner = (id: number): string => {
    for (let p = parentOf.get(id); p !== undefined; p = parentOf.get(p)) {
      const frame = byId.get(p)!.callFrame;
      if (frame.url && !frame.url.startsWith('node:')) return ownerOf(frame);
    }
    return '(none)';
  };
  const nativeCallers = new Map<string, number>();
  const owners = new Map<string, number>();
  const functions = new Map<string, number>();
  let idle = 0;
  // timeDeltas[i] is the time before sample i; attributing it to sample i is V8's own convention.
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!node) continue;
    const owner = ownerOf(node.callFrame);
    if (owner === '(idle)') {
      idle += ms;
      continue;
    }
    owners.set(owner, (owners.get(owner) ?? 0) + ms);
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${owner}`;
    functions.set(fn, (functions.get(fn) ?? 0) + ms);
    if (owner === '(native/builtin)') {
      const caller = callerOwner(node.id);
      nativeCallers.set(caller, (nativeCallers.get(caller) ?? 0) + ms);
    }
  }
  const wallMs = (profile.endTime - profile.startTime) / 1000;
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { wallMs, busyMs: wallMs - idle, owners: sorted(owners), functions: sorted(functions), nativeCallers: sorted(nativeCallers) };
}

/** Lines for a report: busy share, then the top owners and functions as % of busy time. */
export function formatSummary(label: string, s: ProfileSummary, top = 12): string[] {
  const pct = (ms: number) => `${((100 * ms) / Math.max(1, s.busyMs)).toFixed(1)} %`;
  return [
    `${label}: busy ${(s.busyMs / 1000).toFixed(1)} s of ${(s.wallMs / 1000).toFixed(1)} s (${((100 * s.busyMs) / Math.max(1, s.wallMs)).toFixed(0)} % of one core, main thread)`,
    `  by owner: ${s.owners.slice(0, top).map(([k, v]) => `${k} ${pct(v)}`).join(', ')}`,
    `  top functions: ${s.functions.slice(0, top).map(([k, v]) => `${k} ${pct(v)}`).join('; ')}`,
    `  native/builtin time by the package that called it: ${s.nativeCallers.slice(0, top).map(([k, v]) => `${k} ${pct(v)}`).join(', ')}`,
  ];
}

/**
 * The summary of every profile in `dir` (node --cpu-prof's `CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile`,
 * or `<label>.<pid>.<n>.cpuprofile`), each labelled by the process whose pid its name holds.
 */
export function summarizeProfiles(dir: string, processes: readonly { label: string; pid: number }[]): string[] {
  const lines: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const pid = Number(/\.(\d+)\.\d+\.cpuprofile$/.exec(file)?.[1] ?? /CPU\.\d+\.\d+\.(\d+)/.exec(file)?.[1]);
    const label = processes.find((p) => p.pid === pid)?.label ?? file;
    lines.push(...formatSummary(label, summarizeProfile(join(dir, file))));
  }
  return lines;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const file of process.argv.slice(2)) process.stdout.write(`${formatSummary(file, summarizeProfile(file)).join('\n')}\n`);
}
