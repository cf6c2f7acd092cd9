/**
 * One fleet agent in a process of its own (bench:fleet's offline detection): a station that can
 * be frozen (SIGSTOP: its socket stays open, nothing more comes) or killed.
 * Args: <broker url> <station> <keepalive s>. Prints "ready" once its presence is out.
 */
import { startAgent } from '../../test/kit/fleet.js';

const [url, station, keepalive] = process.argv.slice(2);
const a = startAgent(url!, station!, { keepaliveS: Number(keepalive) });
const check = setInterval(() => {
  if (a.client()?.connected) {
    clearInterval(check);
    setTimeout(() => process.stdout.write('ready\n'), 200);
  }
}, 20);
