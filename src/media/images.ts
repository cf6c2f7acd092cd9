/** The photo side of the analyzer, loaded on demand (analyzer.ts): sharp and what uses it. */
export { default as sharp } from 'sharp';
export { deriveImage } from './derive-image.js';
export { probeImage } from './exif.js';
