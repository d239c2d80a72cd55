"""A /ws client as a user's Python script would be: JSON-RPC 2.0 over a WebSocket.

Usage: ws_rpc_client.py WS_URL TOKEN TOPIC EVENTS
Prints one JSON line per step: the ping answer, the subscribe answer, then EVENTS event
notifications of TOPIC; exits 0 when it has them all.
"""
import asyncio
import json
import sys
import urllib.parse

import websockets


async def main(url: str, token: str, topic: str, wanted: int) -> None:
    target = f"{url}?access_token={urllib.parse.quote(token)}"
    async with websockets.connect(target) as ws:
        await ws.send(json.dumps({"jsonrpc": "2.0", "method": "ping", "id": 1}))
        print(json.dumps({"step": "ping", "answer": json.loads(await ws.recv())}), flush=True)
        await ws.send(json.dumps({"jsonrpc": "2.0", "method": "subscribe", "params": {"topics": [topic]}, "id": 2}))
        print(json.dumps({"step": "subscribe", "answer": json.loads(await ws.recv())}), flush=True)
        received = 0
        while received < wanted:
            message = json.loads(await ws.recv())
            if message.get("method") == "event":
                received += 1
                print(json.dumps({"step": "event", "params": message["params"]}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
