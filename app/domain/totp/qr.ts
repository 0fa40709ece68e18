import { encode } from 'uqr';

/**
 * A QR code as one SVG path (a 1×1 square per dark module), for the console to draw in an <svg>
 * without innerHTML, data: URLs or inline styles.
 */
export function qrPath(text: string): { size: number; path: string } {
  const { data, size } = encode(text, { ecc: 'M', border: 0 });
  let path = '';
  data.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) path += `M${x} ${y}h1v1h-1z`;
    });
  });
  return { size, path };
}
