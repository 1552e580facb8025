import { generate } from 'lean-qr';

/** A QR code of `value` as an image (a data: URL, which the page's CSP allows for images). */
export function qrImage(value: string, alt: string): HTMLImageElement {
  const img = document.createElement('img');
  img.className = 'qr';
  img.alt = alt;
  img.src = generate(value).toDataURL({ scale: 6, pad: 4 });
  return img;
}
