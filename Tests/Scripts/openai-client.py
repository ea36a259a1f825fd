#!/usr/bin/env python3
"""The official `openai` client against a running `swiftlet serve`, unmodified.

Usage: openai-client.py BASE_URL   (e.g. http://127.0.0.1:8080/v1)
Prints one JSON object: the models listed, a non-streaming and a streaming answer.
"""
import json, sys
from openai import OpenAI

client = OpenAI(base_url=sys.argv[1], api_key="unused")
question = [{"role": "user", "content": "Explain what a prime number is in one sentence."}]
models = [m.id for m in client.models.list()]
whole = client.chat.completions.create(model=models[0], messages=question, temperature=0, max_tokens=64)
pieces = []
for chunk in client.chat.completions.create(model=models[0], messages=question, temperature=0, max_tokens=64, stream=True):
    if chunk.choices and chunk.choices[0].delta.content:
        pieces.append(chunk.choices[0].delta.content)
print(json.dumps({
    "models": models,
    "answer": whole.choices[0].message.content,
    "finish_reason": whole.choices[0].finish_reason,
    "usage": [whole.usage.prompt_tokens, whole.usage.completion_tokens],
    "streamed": "".join(pieces),
    "chunks": len(pieces),
}))
