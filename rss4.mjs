import sharp from 'sharp';
import { readdirSync } from 'node:fs';
sharp.cache(false);
const dir = '/tmp/outpost-media-dev/bench/src';
const files = readdirSync(dir).map((f) => `${dir}/${f}`);
const mb = () => Math.round(process.memoryUsage().rss / 1048576);
let peak = 0; const iv = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 2);
console.log('start', mb());
const mode = process.argv[2];
for (let i = 0; i < 12; i++) {
  const f = files[i];
  if (mode === 'decode') await sharp(f, { failOn: 'none', autoOrient: true }).resize(1600, 1600, { fit: 'inside' }).raw().toBuffer();
  if (mode === 'decode-noorient') await sharp(f, { failOn: 'none' }).resize(1600, 1600, { fit: 'inside' }).raw().toBuffer();
  if (mode === 'meta') await sharp(f).metadata();
  if (i < 3 || i === 11) console.log(i, 'rss', mb(), 'peak', Math.round(peak / 1048576));
}
clearInterval(iv);
