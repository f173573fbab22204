import type { RenderedImage } from './render.ts';

/**
 * The image scaled to fit `width` x `height` (either may be absent), keeping its aspect ratio
 * as Orthanc's `/rendered` does (the PACS's REST API): nearest neighbour, or bilinear with `smooth`.
 */
export function scaleToFit(
  image: RenderedImage,
  maxWidth: number | undefined,
  maxHeight: number | undefined,
  smooth: boolean,
): RenderedImage {
  const scale = Math.min(
    maxWidth !== undefined ? maxWidth / image.width : Number.POSITIVE_INFINITY,
    maxHeight !== undefined ? maxHeight / image.height : Number.POSITIVE_INFINITY,
  );
  if (!Number.isFinite(scale)) return image;
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  if (width === image.width && height === image.height) return image;
  const { channels, data } = image;
  const out = new Uint8Array(width * height * channels);
  // Pixel centres map to pixel centres (the half-pixel offsets), so both directions stay aligned.
  const sx = image.width / width;
  const sy = image.height / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), image.height - 1);
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), image.width - 1);
      const o = (y * width + x) * channels;
      if (!smooth) {
        const i = (Math.round(fy) * image.width + Math.round(fx)) * channels;
        for (let c = 0; c < channels; c++) out[o + c] = data[i + c]!;
        continue;
      }
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const x1 = Math.min(x0 + 1, image.width - 1);
      const y1 = Math.min(y0 + 1, image.height - 1);
      const ax = fx - x0;
      const ay = fy - y0;
      for (let c = 0; c < channels; c++) {
        const top =
          data[(y0 * image.width + x0) * channels + c]! * (1 - ax) +
          data[(y0 * image.width + x1) * channels + c]! * ax;
        const bottom =
          data[(y1 * image.width + x0) * channels + c]! * (1 - ax) +
          data[(y1 * image.width + x1) * channels + c]! * ax;
        out[o + c] = Math.round(top * (1 - ay) + bottom * ay);
      }
    }
  }
  return { ...image, width, height, data: out };
}
