/**
 * The station's RTSP relay (docs/rtsp-stream.md): started the first time a camera asks for a
 * network stream (a station camera with `rtsp: true`, a fleet session camera with `rtsp: true`),
 * on `rtsp.host`:`rtsp.port`. Cameras publish to it over loopback with this process's secret
 * token; lab tools play `rtsp://<advertiseHost>:<port>/<camera>`.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../adapters/logger.js';
import type { Config } from '../config/schema.js';
import { RtspRelay } from '../recorder/live/rtsp/relay.js';
import { isOutpostError } from '../core/errors.js';

export interface StationRtsp {
  /** Where camera `name` publishes, and where players find it (starts the relay if needed). */
  urls(camera: string): Promise<{ publish: string; play: string }>;
  close(): Promise<void>;
}

export function createStationRtsp(config: Pick<Config, 'rtsp'>, log: Logger): StationRtsp {
  const c = config.rtsp;
  const token = randomBytes(16).toString('hex');
  let relay: RtspRelay | undefined;
  let listening: Promise<number> | undefined;
  const start = (): Promise<number> => {
    if (!listening) {
      relay = new RtspRelay({ publishToken: token, maxPlayers: c.maxPlayers }, log);
      listening = relay.listen(c.port, c.host).then((a) => a.port);
      // A failed listen is told to the camera that asked; the next ask tries again.
      listening.catch(() => {
        listening = undefined;
        relay = undefined;
      });
    }
    return listening;
  };
  return {
    async urls(camera) {
      const port = await start();
      const path = encodeURIComponent(camera);
      return {
        publish: `rtsp://127.0.0.1:${port}/${path}?token=${token}`,
        play: `rtsp://${c.advertiseHost ?? hostname()}:${port}/${path}`,
      };
    },
    async close() {
      await listening?.catch(() => undefined);
      await relay?.close();
    },
  };
}

/** Where camera `name` publishes; undefined (logged) when the relay cannot start: it records without. */
export async function streamUrl(rtsp: StationRtsp, camera: string, log: Logger): Promise<string | undefined> {
  try {
    return (await rtsp.urls(camera)).publish;
  } catch (e) {
    log.error(
      { camera, hint: isOutpostError(e) ? e.hint : undefined },
      `camera ${camera} records without its RTSP stream: ${e instanceof Error ? e.message : String(e)}`,
    );
    return undefined;
  }
}
