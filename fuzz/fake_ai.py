"""A stand-in for an OpenAI-compatible AI server on 127.0.0.1, for fuzzing MealFrame with AI
capture switched on: every chat completion answers one fixed meal estimate, every transcription
one fixed sentence. Usage: python3 fuzz/fake_ai.py PORT"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MEAL = {
    "meal_name": "Soup", "portion_description": "1 bowl", "calories_kcal": 300, "protein_g": 12,
    "carbs_g": 30, "sugar_g": 4, "fat_g": 10, "saturated_fat_g": 2, "fiber_g": 5,
    "confidence_score": 0.8, "identified_items": [{"name": "soup", "estimated_quantity": "1 bowl"}],
    "suggested_meal_type": "Lunch",
}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        if self.path.endswith("/chat/completions"):
            body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": json.dumps(MEAL)}}],
                    "usage": {"prompt_tokens": 100, "completion_tokens": 50}}
        elif self.path.endswith("/audio/transcriptions"):
            body = {"text": "a bowl of soup", "duration": 2.0}
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
