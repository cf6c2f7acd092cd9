/**
 * Tells systemd how the service is doing (the sd_notify protocol): READY=1, STATUS=…, WATCHDOG=1,
 * STOPPING=1. Node has no unix datagram sockets, so each message is sent by `systemd-notify`, a
 * child process: the unit needs NotifyAccess=all. systemd-notify waits until the manager has
 * read the message (a barrier), so it is attributed to this service even though the child exits
 * right after. Without NOTIFY_SOCKET (not started by systemd as Type=notify) every call is a no-op.
 */
import { isOutpostError } from '../core/errors.js';
import type { ProcessRunner } from './process-runner.js';

/** What one message says; several fields go in one datagram. */
export interface NotifyFields {
  /** Start-up is finished (Type=notify: `systemctl start` returns, dependants start). */
  ready?: boolean;
  /** One line shown by `systemctl status`. */
  status?: string;
  /** Still alive: resets WatchdogSec. */
  watchdog?: boolean;
  /** Shutting down (sent on SIGTERM). */
  stopping?: boolean;
}

export interface ServiceNotifier {
  /** A service manager listens (NOTIFY_SOCKET is set). */
  readonly enabled: boolean;
  /** How often to send WATCHDOG=1 (half of WatchdogSec); undefined: the unit has no watchdog. */
  readonly watchdogIntervalMs: number | undefined;
  /** Send a message. Never throws: a failure is reported to `onError` once. */
  notify(fields: NotifyFields): Promise<void>;
}

/** The `VAR=value` assignments of one message, in the order systemd documents them. */
export function notifyAssignments(fields: NotifyFields): string[] {
  const out: string[] = [];
  if (fields.ready) out.push('READY=1');
  if (fields.stopping) out.push('STOPPING=1');
  // One line: a newline would start another assignment.
  if (fields.status !== undefined) out.push(`STATUS=${fields.status.replace(/[\r\n]+/g, ' ').slice(0, 500)}`);
  if (fields.watchdog) out.push('WATCHDOG=1');
  return out;
}

/**
 * Half the watchdog period systemd asks for (as sd_watchdog_enabled reads it): WATCHDOG_USEC,
 * for this process only when WATCHDOG_PID names another one.
 */
export function watchdogIntervalMs(
  env: Readonly<Record<string, string | undefined>>,
  pid: number,
): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

export interface ServiceNotifierOptions {
  runner: ProcessRunner;
  env?: Readonly<Record<string, string | undefined>>;
  pid?: number;
  /** A message could not be sent (reported once; the station carries on). */
  onError?: (message: string) => void;
  /** The sending program (tests may point it elsewhere). */
  command?: string;
}

const SEND_TIMEOUT_MS = 10_000;

/** The notifier for this process: systemd-notify when NOTIFY_SOCKET is set, else a no-op. */
export function createServiceNotifier(opts: ServiceNotifierOptions): ServiceNotifier {
  const env = opts.env ?? process.env;
  const enabled = !!env.NOTIFY_SOCKET;
  const interval = enabled ? watchdogIntervalMs(env, opts.pid ?? process.pid) : undefined;
  const command = opts.command ?? 'systemd-notify';
  let reported = false;
  let queue: Promise<void> = Promise.resolve();
  let pingPending = false;

  const send = async (args: string[]): Promise<void> => {
    try {
      const r = await opts.runner.run(command, args, { timeoutMs: SEND_TIMEOUT_MS });
      if (r.code !== 0) throw new Error(r.stderr.trim() || `${command} exited ${r.code ?? r.signal}`);
    } catch (e) {
      if (reported) return;
      reported = true;
      const why = isOutpostError(e) ? `${command} is not installed (package systemd)` : String(e);
      opts.onError?.(`could not notify systemd (${args.join(' ')}): ${why}`);
    }
  };

  return {
    enabled,
    watchdogIntervalMs: interval,
    notify(fields) {
      const args = notifyAssignments(fields);
      if (!enabled || args.length === 0) return Promise.resolve();
      // A ping still on its way is enough: a slow systemd-notify must not pile up children.
      const pingOnly = args.length === 1 && args[0] === 'WATCHDOG=1';
      if (pingOnly && pingPending) return queue;
      if (pingOnly) pingPending = true;
      // In order: READY=1 must not overtake the STATUS sent before it.
      queue = queue.then(() =>
        send(args).finally(() => {
          if (pingOnly) pingPending = false;
        }),
      );
      return queue;
    },
  };
}
