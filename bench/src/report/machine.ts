/** The machine a run happened on, as BENCHMARKS.md states it. */
import { cpus, release, totalmem, type } from "node:os";

/** CPU, cores, memory, Node and OS of this machine, and the date. */
export interface Machine {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  node: string;
  os: string;
  date: string;
}

/** Describes this machine now. */
export function describeMachine(): Machine {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? "unknown",
    cores: list.length,
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${type()} ${release()}`,
    date: new Date().toISOString(),
  };
}

/** "AMD EPYC …, 2 cores, 23.4 GiB RAM, Node v20.20.2, Linux 6.1.0". */
export function machineLine(m: Machine): string {
  return `${m.cpuModel}, ${m.cores} cores, ${m.ramGiB} GiB RAM, Node ${m.node}, ${m.os}`;
}
