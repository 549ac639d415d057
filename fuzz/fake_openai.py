#!/usr/bin/env python3
"""A tiny fake OpenAI-compatible server for fuzzing the Offload API.

POST …/chat/completions answers one fixed, valid completion whose JSON content carries the keys
of all five Offload operations (each route reads its own keys). Everything else is a 404.
Usage: fake_openai.py PORT (binds 127.0.0.1 only). Never logs request bodies.
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTENT = {
    "steps": [
        {"title": "Open the door", "substeps": [{"title": "Find the key", "substeps": []}]},
        {"title": "Sweep the floor", "substeps": []},
    ],
    "items": [{"title": "Call the dentist", "type": "task"}],
    "options": [
        {"title": "Option A", "description": "Do A.", "is_recommended": True},
        {"title": "Option B", "description": "Do B.", "is_recommended": False},
    ],
    "clarifying_questions": ["What is your timeline?"],
    "detected_challenge": "task_initiation",
    "strategies": [
        {
            "strategy_id": "two_minute_rule",
            "challenge_type": "task_initiation",
            "title": "Two-minute rule",
            "description": "Start tiny.",
            "action_prompt": "Set a timer for two minutes.",
        }
    ],
    "encouragement": "You've got this.",
    "draft_text": "Hi! I wanted to reach out about this.",
    "tone": "friendly",
}

REPLY = json.dumps(
    {
        "id": "chatcmpl-fuzz",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": json.dumps(CONTENT)},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 34},
    }
).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)  # read and drop: nothing is kept
        if self.path.rstrip("/").endswith("/chat/completions"):
            status, body = 200, REPLY
        else:
            status, body = 404, b'{"error":"not found"}'
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
