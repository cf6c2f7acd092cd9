/**
 * Where a decoder can start in an H.264 RTP stream (RFC 6184): a packet that begins an IDR
 * picture or the SPS in front of one. The relay holds a new player's packets back until one of
 * these, so its first picture decodes instead of showing grey smears until the next keyframe.
 * Pure.
 */

const NAL_IDR = 5;
const NAL_SPS = 7;
const STAP_A = 24;
const FU_A = 28;

/** The payload of an RTP packet (after the fixed header, CSRCs, extension and before padding). */
export function rtpPayload(packet: Buffer): Buffer | undefined {
  if (packet.length < 12 || packet[0]! >> 6 !== 2) return undefined;
  const cc = packet[0]! & 0x0f;
  let off = 12 + cc * 4;
  if (packet[0]! & 0x10) {
    if (packet.length < off + 4) return undefined;
    off += 4 + packet.readUInt16BE(off + 2) * 4;
  }
  let end = packet.length;
  if (packet[0]! & 0x20) end -= packet[packet.length - 1]!;
  return off < end ? packet.subarray(off, end) : undefined;
}

function startsKeyNal(type: number): boolean {
  return type === NAL_IDR || type === NAL_SPS;
}

/** Whether an RTP packet of an H.264 track starts a keyframe (IDR slice or SPS). */
export function isH264KeyframeStart(packet: Buffer): boolean {
  const p = rtpPayload(packet);
  if (!p || p.length < 1) return false;
  const type = p[0]! & 0x1f;
  if (type >= 1 && type <= 23) return startsKeyNal(type);
  if (type === STAP_A) {
    // Aggregated NAL units, each with a 16-bit size in front.
    let off = 1;
    while (off + 3 <= p.length) {
      const size = p.readUInt16BE(off);
      if (size === 0 || off + 2 + size > p.length) return false;
      if (startsKeyNal(p[off + 2]! & 0x1f)) return true;
      off += 2 + size;
    }
    return false;
  }
  if (type === FU_A) {
    if (p.length < 2) return false;
    const start = (p[1]! & 0x80) !== 0;
    return start && startsKeyNal(p[1]! & 0x1f);
  }
  return false;
}
