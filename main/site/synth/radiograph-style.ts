// Optional per-site image processing of synthetic radiographs: the "look" a vendor's console gives
// its images (field of view, smoothing or edge enhancement, a display curve, detector noise). Real
// hospitals differ this way, and it is what makes a model trained at one hospital fail at another.
// Without a style the synthesiser's output is unchanged.

export interface RadiographStyle {
  /** Field of view: above 1 magnifies the chest (a tighter collimation), below 1 shrinks it. */
  readonly zoom?: number;
  /** Gaussian smoothing, sigma in pixels of the output image (a soft detector or heavy noise filter). */
  readonly blur?: number;
  /** Unsharp-mask edge enhancement: amount, with a blur of `sharpenRadius` pixels (default 1). */
  readonly sharpen?: number;
  readonly sharpenRadius?: number;
  /** Display curve applied to relative brightness (v^gamma): below 1 lifts dark regions. */
  readonly gamma?: number;
  /** Detector noise as a fraction of full scale, instead of the site's own. */
  readonly noise?: number;
}

/** Applies smoothing, edge enhancement and the display curve in place (brightness in [0, ~1]). */
export function processRadiograph(image: Float32Array, size: number, style: RadiographStyle): void {
  if (style.blur && style.blur > 0) image.set(gaussianBlur(image, size, style.blur));
  if (style.sharpen && style.sharpen > 0) {
    const smooth = gaussianBlur(image, size, style.sharpenRadius ?? 1);
    for (let i = 0; i < image.length; i++) image[i] = image[i]! + style.sharpen * (image[i]! - smooth[i]!);
  }
  if (style.gamma && style.gamma !== 1) {
    for (let i = 0; i < image.length; i++) image[i] = Math.max(0, image[i]!) ** style.gamma;
  }
}

/** Separable Gaussian blur with clamped edges. */
export function gaussianBlur(image: Float32Array, size: number, sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(sigma * 3));
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++)
    sum += kernel[k + radius] = Math.exp(-(k * k) / (2 * sigma * sigma));
  for (let k = 0; k < kernel.length; k++) kernel[k] = kernel[k]! / sum;
  const clamp = (v: number) => (v < 0 ? 0 : v >= size ? size - 1 : v);
  const rows = new Float32Array(image.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let v = 0;
      for (let k = -radius; k <= radius; k++) v += kernel[k + radius]! * image[y * size + clamp(x + k)]!;
      rows[y * size + x] = v;
    }
  }
  const out = new Float32Array(image.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let v = 0;
      for (let k = -radius; k <= radius; k++) v += kernel[k + radius]! * rows[clamp(y + k) * size + x]!;
      out[y * size + x] = v;
    }
  }
  return out;
}
