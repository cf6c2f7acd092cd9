import type { Readable } from 'node:stream';
import type { LiveHub } from './hub.js';
import { JpegSplitter, type JpegSplitterOptions } from './mjpeg.js';

/**
 * Feed a hub from an MJPEG byte stream (ffmpeg's live output on fd 4, a child's stdout):
 * every complete JPEG becomes the hub's latest frame. Returns `stop()`, which detaches from the
 * stream (it does not destroy it: the stream belongs to the process that made it).
 *
 * The stream is read in flowing mode, always: ffmpeg blocks on a full pipe, and a stalled live
 * output would stall the recording too. Slow viewers are the hub's problem (they skip frames).
 *
 * A new ffmpeg process (a restart) must get a new feed, so a torn frame of the old process never
 * joins the first bytes of the new one.
 */
export function feedHub(
  stream: Readable,
  hub: LiveHub,
  opts: JpegSplitterOptions = {},
): { stop(): void; splitter: JpegSplitter } {
  const splitter = new JpegSplitter(opts);
  const onData = (chunk: Buffer): void => {
    for (const jpeg of splitter.push(chunk)) hub.push(jpeg);
  };
  // An EPIPE or EOF on the live output is the capture process's business (the supervisor
  // restarts it); the hub simply receives no frames and its clients time out.
  const onError = (): void => undefined;
  stream.on('data', onData);
  stream.on('error', onError);
  return {
    splitter,
    stop: () => {
      // The error listener stays: an error after stop() must not become an uncaught exception.
      stream.off('data', onData);
    },
  };
}
