/**
 * The part of the `qrcode` package's API that tools/provision/qr.ts uses. (@types/qrcode needs the
 * DOM library for its canvas functions, which host code does not load.)
 */
declare module 'qrcode' {
  interface QROptions {
    type?: 'terminal' | 'svg' | 'utf8' | 'png';
    small?: boolean;
    errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H';
  }
  export function toString(text: string, options?: QROptions): Promise<string>;
  export function toBuffer(text: string, options?: QROptions): Promise<Buffer>;
}
