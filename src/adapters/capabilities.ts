/**
 * Linux capabilities of a process, from `/proc/<pid>/status`. The station service runs as the
 * `outpost` user with CAP_SYS_ADMIN (mount) and CAP_SYS_TIME (the clock) instead of as root
 * (packaging/systemd/outpost.service), so "may I mount?" is a capability question, not uid 0.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** The capability numbers Outpost asks about (linux/capability.h). */
export const CAPABILITIES = {
  CAP_DAC_OVERRIDE: 1,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_BOOT: 22,
  CAP_SYS_TIME: 25,
} as const;
export type CapabilityName = keyof typeof CAPABILITIES;

export interface ProcessCapabilities {
  uid: number;
  effective: bigint;
  ambient: bigint;
}

/** The `Uid:` and `CapEff:`/`CapAmb:` lines of a `/proc/<pid>/status` text. */
export function parseProcStatus(text: string): ProcessCapabilities | undefined {
  const field = (name: string): string | undefined => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(text)?.[1];
  const eff = field('CapEff');
  const uid = field('Uid');
  if (!eff || !/^[0-9a-f]+$/i.test(eff) || !uid) return undefined;
  const amb = field('CapAmb');
  return {
    uid: Number(uid),
    effective: BigInt(`0x${eff}`),
    ambient: amb && /^[0-9a-f]+$/i.test(amb) ? BigInt(`0x${amb}`) : 0n,
  };
}

export function hasCapability(set: bigint, cap: CapabilityName): boolean {
  return ((set >> BigInt(CAPABILITIES[cap])) & 1n) === 1n;
}

/** Whether this process holds `cap` now (root normally holds them all). Sync: used by checks at start. */
export function processHasCapability(cap: CapabilityName): boolean {
  try {
    const caps = parseProcStatus(readFileSync('/proc/self/status', 'utf8'));
    return !!caps && hasCapability(caps.effective, cap);
  } catch {
    return false;
  }
}

/** Another process's uid and capabilities (e.g. the running service's main process). */
export async function readProcessCapabilities(pid: number): Promise<ProcessCapabilities | undefined> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseProcStatus(text);
}
