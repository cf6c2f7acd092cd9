/** Synthetic items for query benchmarks: the catalogue's own door (both engines). */
export { fillSyntheticItems, writeSyntheticFiles } from '../../src/library/catalog/synthetic-items.js';
