/**
 * The library intake: the one way bytes enter a library (docs in pipeline.ts), and the
 * primitives under it that everything touching library files shares: hash a file, copy while
 * hashing, place without clobbering, fsync folders in batches, roll back what never committed.
 */
export {
  Intake,
  type AdmitPlan,
  type IntakeEvent,
  type IntakeOptions,
  type PendingItem,
} from './pipeline.js';
export { copyHashed, stageCopy, type CopyOptions, type CopyResult, type StagedCopy } from './copy.js';
export { hashFile, hashFileWithSize, type HashOptions } from './hash.js';
export { HashPool, defaultHashThreads, sharedHashPool, type Hasher } from './hash-pool.js';
export { SourceReadError, openRegularFile } from './source.js';
export { linkNoClobber, placeNoClobber, replaceWith, type PlaceOptions } from './place.js';
export { DirSyncer } from './durable.js';
export { reconcileLibrary, rollbackItem } from './recover.js';
export { deriveItem, type DeriveSettings } from './derive.js';
export { makeVideoCopies, type VideoCopiesOptions, type VideoCopiesSummary } from './video-copies.js';
export { CHUNK } from './stream.js';
export { convey, type ConveyorOptions, type ItemProgress, type Settled } from './conveyor.js';
