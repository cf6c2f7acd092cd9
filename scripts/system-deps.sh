#!/usr/bin/env bash
# Installs the Debian packages Outpost uses, only those missing. Run as root.
set -euo pipefail
need=()
check() { command -v "$1" >/dev/null 2>&1 || need+=("$2"); }
check ffmpeg ffmpeg
check ffprobe ffmpeg
check exiftool libimage-exiftool-perl
check lsblk util-linux
check blkid util-linux
check mkfs.ext4 e2fsprogs
check heif-convert libheif-examples
# Devices the station mounts itself (docs/devices.md): exFAT and NTFS drives where the kernel has
# no driver (FUSE), formatting empty drives as exFAT.
check mount.exfat-fuse exfat-fuse
check mkfs.exfat exfatprogs
check ntfs-3g ntfs-3g
check sync coreutils
check blockdev util-linux
if [ "${OUTPOST_DEV:-}" = 1 ]; then
  check vipsthumbnail libvips-tools
  check rsync rsync
  check chromium chromium
  check motion motion
  # The device tests: FAT32 cards made without mounting, and mounted through FUSE on kernels without vfat.
  check mkfs.vfat dosfstools
  check mcopy mtools
  check fusefat fusefat
  # The service tests: systemd-analyze verify on the unit, a fake notify socket, the unit's credentials.
  check systemd-analyze systemd
  check python3 python3
  check setpriv util-linux
  # The snapshot tests: real FTP clients (curl is there already; lftp for EPSV/PASV and mirror -R).
  check lftp lftp
  check curl curl
  # The catalogue's contract suite and HQ on PostgreSQL: a throw-away cluster (test/kit/postgres.ts).
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  # S3 in the tests: OpenStack Swift with its s3api middleware, one node on loopback (test/kit/swift.ts).
  check swift-proxy-server swift-proxy
  check swift-object-server swift-object
  check swift-container-server swift-container
  check swift-account-server swift-account
  # The fleet tests on Mosquitto: a throw-away broker on loopback (test/kit/mosquitto.ts). In /usr/sbin,
  # which a non-root PATH may lack.
  [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
  # HTTPS in Chromium: a throw-away profile that trusts the station's CA (its NSS database).
  check certutil libnss3-tools
fi
if [ ${#need[@]} -gt 0 ]; then
  mapfile -t uniq < <(printf '%s\n' "${need[@]}" | sort -u)
  echo "installing Debian packages: ${uniq[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${uniq[@]}"
fi
