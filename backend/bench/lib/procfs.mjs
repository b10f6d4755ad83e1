// CPU time and memory of processes, read from /proc (Linux): who on the machine spent the CPU of a
// measurement (the server and its workers, PostgreSQL, the load generator, everything else).
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (`getconf CLK_TCK`; 100 on every Linux build in use). */
const TICKS_PER_SECOND = 100;
const PAGE_KB = 4;

/** { pid, ppid, cpuMs, rssKb } of every process there is, or of those whose stat could be read. */
function processes() {
  const all = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name (2nd field) may hold spaces and parentheses: the fields that follow come after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      all.push({
        pid: Number(name),
        ppid: Number(fields[1]),
        cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND,
        rssKb: Number(fields[21]) * PAGE_KB,
      });
    } catch {
      // Gone since the directory was listed.
    }
  }
  return all;
}

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** The process and all its descendants (a server started with WORKERS > 1 is a primary and its workers). */
function tree(all, rootPid) {
  const children = new Map();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const found = all.filter((p) => p.pid === rootPid);
  for (let i = 0; i < found.length; i++) found.push(...(children.get(found[i].pid) ?? []));
  return found;
}

/** Busy CPU of the whole machine (all cores, in ms), from /proc/stat: everything but idle and iowait. */
function machineBusyMs() {
  const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
  const [user, nice, system, , , irq, softirq, steal] = cpu.split(/\s+/).slice(1).map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1000) / TICKS_PER_SECOND;
}

/**
 * A reading of who has used how much CPU so far: the server's process tree (`serverPid`), PostgreSQL
 * (the backends connected to `database`, and the WAL writer, checkpointer and background writer that
 * its writes keep busy; other databases' backends on a shared server are not counted), this process
 * (the load generator), and the machine as a whole. `since(earlier)` gives the split in between.
 */
export function cpuReading({ serverPid, database }) {
  const all = processes();
  const server = tree(all, serverPid);
  const postgres = database
    ? all.filter((p) => {
        const line = cmdline(p.pid);
        return line.startsWith('postgres: ') && (line.includes(` ${database} `) || /: (walwriter|checkpointer|background writer)\s*$/.test(line.trim()));
      })
    : [];
  const own = process.cpuUsage();
  const byPid = (list) => new Map(list.map((p) => [p.pid, p.cpuMs]));
  return {
    at: performance.now(),
    server: byPid(server),
    serverRssMb: server.reduce((total, p) => total + p.rssKb, 0) / 1024,
    postgres: byPid(postgres),
    loadMs: (own.user + own.system) / 1000,
    machineMs: machineBusyMs(),
  };
}

/** CPU used between two readings by the processes of the later one (a process that exited in between is not counted; a new one counts in full). */
function usedBetween(before, after) {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** CPU used between two readings, in cores (1 = one core busy all the time) and in ms. */
export function cpuBetween(before, after) {
  const wallMs = after.at - before.at;
  const ms = {
    server: usedBetween(before.server, after.server),
    postgres: usedBetween(before.postgres, after.postgres),
    load: after.loadMs - before.loadMs,
    machine: after.machineMs - before.machineMs,
  };
  ms.other = Math.max(0, ms.machine - ms.server - ms.postgres - ms.load);
  const cores = Object.fromEntries(Object.entries(ms).map(([name, value]) => [name, value / wallMs]));
  return { wallMs, ms, cores };
}
