export {
  FTP_ALLOWED_COMMANDS,
  startSnapshotFtp,
  type FtpRejectReason,
  type FtpStats,
  type FtpUpload,
  type SnapshotFtp,
  type SnapshotFtpOptions,
} from './server.js';
