// Browser tests against a real `mealframe` on a fresh database, in Debian's Chromium (no browser
// download: executablePath). One worker: the flows share one server and run in order. A fake
// vision model (fake-vision.mjs) stands in for OpenAI.
import { defineConfig, devices } from '@playwright/test';

const PORT = Number(process.env.E2E_PORT || 18765);
export const BASE_URL = `http://127.0.0.1:${PORT}`;
export const DATA_DIR = `${__dirname}/.data`;
const VISION_PORT = PORT + 1;

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    baseURL: BASE_URL,
    ...devices['Pixel 7'],
    browserName: 'chromium',
    viewport: { width: 390, height: 844 },
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      // A fake microphone (a tone) that needs no permission prompt, for voice capture.
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
    },
    serviceWorkers: 'allow',
    trace: 'retain-on-failure',
  },
  webServer: [{
    command: 'exec node fake-vision.mjs',
    url: `http://127.0.0.1:${VISION_PORT}/health`,
    reuseExistingServer: false,
    env: { FAKE_VISION_PORT: String(VISION_PORT) },
  }, {
    command: `rm -rf "${DATA_DIR}" && mkdir -p "${DATA_DIR}/mail" && exec ${process.env.MEALFRAME_BIN || '../target/debug/mealframe'}`,
    url: `${BASE_URL}/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      MEALFRAME_ADDR: `127.0.0.1:${PORT}`,
      MEALFRAME_DATA_DIR: DATA_DIR,
      MEALFRAME_MAIL_DIR: `${DATA_DIR}/mail`,
      MEALFRAME_REGISTER_RATE_LIMIT: '1000/minute',
      MEALFRAME_LOGIN_RATE_LIMIT: '1000/minute',
      MEALFRAME_PASSWORD_RESET_RATE_LIMIT: '1000/minute',
      MEALFRAME_LOG_LEVEL: 'warn',
      MEALFRAME_OPENAI_API_KEY: 'sk-e2e',
      MEALFRAME_OPENAI_BASE_URL: `http://127.0.0.1:${VISION_PORT}/v1`,
    },
  }],
});
