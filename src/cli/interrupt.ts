/**
 * Run a long command body that stops cleanly on Ctrl-C or SIGTERM (it gets the signal to pass
 * on), then stop its progress bar and forget the handlers. `interrupted` tells the caller to exit 130.
 */
export async function interruptible<T>(
  bar: { stop(): void },
  body: (signal: AbortSignal) => Promise<T>,
): Promise<{ result: T; interrupted: boolean }> {
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return { result: await body(abort.signal), interrupted: abort.signal.aborted };
  } finally {
    bar.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
