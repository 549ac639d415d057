// Photo capture on the Today page: the photo is shrunk in the browser (longest side 1600 px) and
// handed to the page, which queues it as an asynchronous capture like every other action (kept
// in IndexedDB while offline); the server estimates it in the background and keeps the photo.

/** Longest side 1600 px at JPEG quality 0.8; a second pass at 1280 px / 0.7 past 8 MB. */
async function shrink(file) {
  try {
    const bitmap = await createImageBitmap(file);
    const pass = async (side, quality) => {
      const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement('canvas');
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
    };
    let blob = await pass(1600, 0.8);
    if (blob && blob.size > 8 * 1024 * 1024) blob = await pass(1280, 0.7);
    return blob || file;
  } catch {
    return file; // not decodable here: let the server judge it
  }
}

/**
 * Take a meal photo: the camera (or the photo library), shrunk here; `onPhoto(blob)` gets the
 * JPEG to queue as a capture.
 */
export function startCapture(onPhoto) {
  const input = document.querySelector('[data-capture-input]');
  if (!input) return;
  input.value = '';
  input.onchange = async () => {
    const file = input.files?.[0];
    if (file) onPhoto(await shrink(file));
  };
  input.click();
}
