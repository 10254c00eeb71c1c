// Removes the metadata from a JPEG or PNG before it is encrypted: EXIF (with GPS, camera and
// date), XMP, IPTC, ICC profiles, comments and embedded thumbnails. The picture's own data is
// copied byte for byte; nothing is re-encoded. A JPEG loses its EXIF orientation with the rest.
// Other types come back as they are with `stripped: false`, so the page can warn.

const JPEG_KEEP = new Set([0xee]); // APP14 "Adobe": the colour transform, no personal data
const PNG_KEEP = new Set(["tRNS", "gAMA", "cHRM", "sRGB", "sBIT", "bKGD", "pHYs", "acTL", "fcTL", "fdAT"]);
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

// Its messages are for developers (i18n-ignore): attachments.prepareFile says what went wrong
// in words, through t().
export class ImageFormatError extends Error {}

function stripJpeg(bytes) {
  const parts = [bytes.subarray(0, 2)];
  let at = 2;
  while (at < bytes.length) {
    if (bytes[at] !== 0xff) throw new ImageFormatError("not a well-formed JPEG"); // i18n-ignore
    const marker = bytes[at + 1];
    if (marker === 0xff) { at += 1; continue; } // fill byte
    if (marker === 0xd9) { parts.push(bytes.subarray(at, at + 2)); break; }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      parts.push(bytes.subarray(at, at + 2));
      at += 2;
      continue;
    }
    if (at + 4 > bytes.length) throw new ImageFormatError("not a well-formed JPEG"); // i18n-ignore
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    const end = at + 2 + length;
    if (length < 2 || end > bytes.length) throw new ImageFormatError("not a well-formed JPEG"); // i18n-ignore
    if (marker === 0xda) { parts.push(bytes.subarray(at)); break; } // scan data to the end
    const metadata = (marker >= 0xe0 && marker <= 0xef && !JPEG_KEEP.has(marker)) || marker === 0xfe;
    if (!metadata) parts.push(bytes.subarray(at, end));
    at = end;
  }
  return concat(parts);
}

function stripPng(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts = [bytes.subarray(0, 8)];
  let at = 8;
  while (at < bytes.length) {
    if (at + 12 > bytes.length) throw new ImageFormatError("not a well-formed PNG"); // i18n-ignore
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const end = at + 12 + length;
    if (end > bytes.length) throw new ImageFormatError("not a well-formed PNG"); // i18n-ignore
    const critical = type.charCodeAt(0) >= 0x41 && type.charCodeAt(0) <= 0x5a;
    if (critical || PNG_KEEP.has(type)) parts.push(bytes.subarray(at, end));
    at = end;
    if (type === "IEND") break;
  }
  return concat(parts);
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export function stripMetadata(bytes) {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return { bytes: stripJpeg(bytes), stripped: true };
  }
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    return { bytes: stripPng(bytes), stripped: true };
  }
  return { bytes, stripped: false };
}
