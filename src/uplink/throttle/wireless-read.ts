/** Adapter: read `/proc/net/wireless` for the link hint (absent on wired boxes and non-Linux). */
import { readFile } from 'node:fs/promises';
import { parseProcNetWireless, type WirelessInterface, type WirelessParseOptions } from './wireless.js';

export const PROC_NET_WIRELESS = '/proc/net/wireless';

/** The interfaces listed, or undefined when the file cannot be read. */
export async function readWireless(
  path = PROC_NET_WIRELESS,
  opts: WirelessParseOptions = {},
): Promise<WirelessInterface[] | undefined> {
  try {
    return parseProcNetWireless(await readFile(path, 'utf8'), opts);
  } catch {
    return undefined;
  }
}
