import { readFileSync, readlinkSync } from 'node:fs';
import type { Socket } from 'node:net';

/**
 * How many bytes the kernel still holds for a TCP peer (sent and not acknowledged, or not sent
 * yet): Linux's /proc/net/tcp{,6} `tx_queue`, found by the socket's inode.
 *
 * Node only reports backpressure once the kernel's send buffer is full, and on a fast link that
 * buffer grows to megabytes: a live view whose client stopped reading kept being "written" for
 * 25–40 s. The kernel's queue shows at once that the peer stopped taking bytes.
 */
export interface TcpSendQueueProbe {
  /** A handle for `socket`, or undefined where the probe cannot see it (not Linux, no fd). */
  identify(socket: Socket): string | undefined;
  /** The send queue of every identified socket still open, by handle; read once per call. */
  read(ids: ReadonlySet<string>): Map<string, number>;
}

/** The inode of a socket's fd (`socket:[1234]`). */
function inodeOf(socket: Socket): string | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return undefined;
  try {
    return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
  } catch {
    return undefined;
  }
}

/** Lines of /proc/net/tcp: `sl local rem st tx_queue:rx_queue tr:when retrnsmt uid timeout inode …`. */
export function parseProcNetTcp(text: string, ids: ReadonlySet<string>, out: Map<string, number>): void {
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const inode = f[9];
    if (inode === undefined || !ids.has(inode)) continue;
    const tx = parseInt(f[4]?.split(':')[0] ?? '', 16);
    if (Number.isFinite(tx)) out.set(inode, tx);
  }
}

export const procTcpSendQueue: TcpSendQueueProbe = {
  identify: (socket) => (process.platform === 'linux' ? inodeOf(socket) : undefined),
  read: (ids) => {
    const out = new Map<string, number>();
    if (ids.size === 0) return out;
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      try {
        parseProcNetTcp(readFileSync(file, 'latin1'), ids, out);
      } catch {
        // No IPv6 (or no /proc): the sockets are in the other file, or unseen.
      }
    }
    return out;
  },
};

/** For platforms and tests without /proc: Node's own buffer is all there is to see. */
export const noTcpSendQueue: TcpSendQueueProbe = {
  identify: () => undefined,
  read: () => new Map(),
};
