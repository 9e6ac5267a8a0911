// 28×28 images on small canvases: a digit's input (white ink on the dark background that
// style.css gives .digit-image) and signed maps (blue negative, orange positive).
export const SIDE = 28;
const PIXELS = SIDE * SIDE;
const NEGATIVE = [8, 119, 189];
const POSITIVE = [245, 147, 34];

/** A SIDE×SIDE canvas with class "digit-image" and an accessible name. */
export function imageCanvas(label) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = SIDE;
  canvas.className = "digit-image";
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", label);
  return canvas;
}

/** Paints 784 ink values (0–255) as white with that alpha, as the live preview does. */
export function paintDigit(canvas, pixels) {
  const image = new ImageData(SIDE, SIDE);
  for (let i = 0; i < PIXELS; i++) {
    image.data.fill(255, 4 * i, 4 * i + 3);
    image.data[4 * i + 3] = pixels[i];
  }
  canvas.getContext("2d").putImageData(image, 0, 0);
}

/** Paints a signed map (784 bytes, 128 = 0) over grey ink: orange where more of that pixel would
 * raise the answer, blue where it would lower it; the ink shows through faintly. */
export function paintSigned(canvas, signed, ink) {
  const image = new ImageData(SIDE, SIDE);
  for (let i = 0; i < PIXELS; i++) {
    const value = (signed[i] - 127.5) / 127.5;
    const colour = value < 0 ? NEGATIVE : POSITIVE;
    const amount = Math.min(1, Math.abs(value) * 1.5);
    const grey = (ink ? ink[i] : 0) * 0.35;
    for (let c = 0; c < 3; c++) image.data[4 * i + c] = grey + (colour[c] - grey) * amount;
    image.data[4 * i + 3] = 255;
  }
  canvas.getContext("2d").putImageData(image, 0, 0);
}
