/**
 * QR codes of a phone key link (which holds the key's secret): on the terminal, or to an SVG/PNG
 * file. Callers decide whether the secret may be shown; nothing here prints by itself.
 */
import * as QRCode from 'qrcode';
import { writeFileSafe } from '../host/cli-files';

/** The QR code as text for a terminal (half-height blocks). */
export function qrTerminal(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'M' });
}

/** Writes the QR code as SVG (a name ending in .svg) or PNG, readable by its owner only. */
export async function qrFile(file: string, text: string): Promise<void> {
  const data = file.toLowerCase().endsWith('.svg')
    ? await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M' })
    : await QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M' });
  writeFileSafe(file, data, 'QR code', { mode: 0o600 });
}
