// A stand-in for OpenAI's chat completions and transcriptions during the browser tests (loopback
// only): every photo or description is "a chicken bowl", every recording says so. Started by playwright.config.ts; stops with the test run.
import http from 'node:http';

const port = Number(process.env.FAKE_VISION_PORT || 18766);
const answer = {
  meal_name: 'Grilled chicken bowl',
  portion_description: '150 g chicken + 150 g rice + 80 g salad',
  calories_kcal: 610, protein_g: 48, carbs_g: 62, sugar_g: 4, fat_g: 16, saturated_fat_g: 4, fiber_g: 5,
  confidence_score: 0.84,
  identified_items: [{ name: 'chicken', estimated_quantity: '150 g' }],
  suggested_meal_type: 'lunch',
};

http
  .createServer((req, res) => {
    if (req.method === 'GET') return res.end('ok');
    let size = 0;
    req.on('data', (c) => { size += c.length; });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      // Voice capture: every recording says the same.
      if (req.url.endsWith('/audio/transcriptions')) return res.end(JSON.stringify({ text: 'a chicken bowl with rice', duration: 2.5 }));
      res.end(JSON.stringify({
        id: 'chatcmpl-e2e',
        choices: [{ index: 0, message: { role: 'assistant', content: JSON.stringify(answer) } }],
        usage: { prompt_tokens: Math.round(size / 4), completion_tokens: 120 },
      }));
    });
  })
  .listen(port, '127.0.0.1');
