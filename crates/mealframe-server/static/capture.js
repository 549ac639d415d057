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

/** The recording types this browser can make, best first (Chrome/Firefox: WebM; Safari: MP4). */
const VOICE_TYPES = ['audio/webm;codecs=opus', 'audio/webm', 'audio/mp4', 'audio/ogg;codecs=opus'];
const MAX_SECONDS = 60;

/**
 * The voice sheet's record button: hold to talk (release to send), or tap to start and tap again
 * to stop. `onAudio(blob)` gets the recording; `say(text)` reports the state for the sheet.
 */
export function voiceRecorder(button, say, onAudio) {
  let recorder = null;
  let pressedAt = 0;
  let timer = null;
  const stop = () => {
    if (recorder?.state === 'recording') recorder.stop();
  };
  const start = async () => {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      say('The microphone is not available. Allow it for this site, or describe the meal in words.');
      return;
    }
    const type = VOICE_TYPES.find((t) => window.MediaRecorder?.isTypeSupported?.(t));
    recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    const chunks = [];
    recorder.ondataavailable = (e) => { if (e.data.size) chunks.push(e.data); };
    recorder.onstop = () => {
      clearInterval(timer);
      stream.getTracks().forEach((t) => t.stop());
      button.setAttribute('aria-pressed', 'false');
      button.textContent = 'Hold to talk';
      const blob = new Blob(chunks, { type: (recorder.mimeType || type || 'audio/webm').split(';')[0] });
      recorder = null;
      if (blob.size) onAudio(blob);
    };
    recorder.start(250);
    const began = Date.now();
    button.setAttribute('aria-pressed', 'true');
    button.textContent = 'Recording… tap to stop';
    say('Recording: 0 s');
    timer = setInterval(() => {
      const s = Math.round((Date.now() - began) / 1000);
      say(`Recording: ${s} s`);
      if (s >= MAX_SECONDS) stop();
    }, 500);
  };
  button.onpointerdown = (e) => {
    e.preventDefault();
    if (recorder) { stop(); return; }
    pressedAt = Date.now();
    start();
  };
  // Released after a real hold: that was hold-to-talk, so send. A quick tap keeps recording.
  button.onpointerup = () => { if (recorder && Date.now() - pressedAt > 600) stop(); };
  button.onkeydown = (e) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    if (recorder) stop(); else { pressedAt = Date.now(); start(); }
  };
  return { cancel: () => { if (recorder) { recorder.onstop = null; recorder.stop(); recorder.stream.getTracks().forEach((t) => t.stop()); recorder = null; clearInterval(timer); } } };
}
