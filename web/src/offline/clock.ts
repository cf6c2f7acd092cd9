import { decodeHlc, encodeHlc, hlcReceive, hlcTick, type Hlc } from '../../../src/core/hlc';
import { getMeta, setMeta } from './db';

/**
 * This tablet's identity and clock. The device id names its edits (the station logs them as
 * `<station>:<device>`); the hybrid logical clock stamps them in the order made, and moves past
 * every stamp the station sends, so an edit made after seeing a value always sorts after it even
 * when the tablet's own clock is slow. (One days fast is brought back by the station.)
 */

const randomId = (): string => {
  const b = crypto.getRandomValues(new Uint8Array(8));
  return `tab-${[...b].map((x) => x.toString(16).padStart(2, '0')).join('')}`;
};

let device: string | undefined;
let last: Hlc | undefined;
let loaded: Promise<void> | undefined;

function load(): Promise<void> {
  loaded ??= (async () => {
    device = await getMeta<string>('device');
    if (!device) {
      device = randomId();
      await setMeta('device', device);
    }
    const h = await getMeta<string>('hlc');
    last = h ? decodeHlc(h) : undefined;
  })();
  return loaded;
}

export async function deviceId(): Promise<string> {
  await load();
  return device!;
}

/** A new stamp for an edit made now (saved before it is used). */
export async function tick(): Promise<string> {
  await load();
  last = hlcTick(last, Date.now(), device!);
  const s = encodeHlc(last);
  await setMeta('hlc', s);
  return s;
}

/** The station's clock as it answered: this tablet's next stamps sort after it. */
export async function receive(stationHlc: string): Promise<void> {
  await load();
  let remote: Hlc;
  try {
    remote = decodeHlc(stationHlc);
  } catch {
    return;
  }
  last = { ...hlcReceive(last, remote, Date.now(), device!), node: device! };
  await setMeta('hlc', encodeHlc(last));
}
