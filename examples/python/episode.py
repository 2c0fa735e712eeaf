#!/usr/bin/env python3
"""One short episode of an rltask environment over OpenEnv's WebSocket protocol, with the `websockets` package.

It sends exactly the frames OpenEnv's `GenericEnvClient` sends (openenv/core/env_client.py): it connects to
`ws://HOST:PORT/ws` (the base URL with http→ws and `/ws` appended) with the same connection options, then
sends `{"type": "reset", "data": {…reset kwargs}}`, `{"type": "step", "data": {…action}}`, `{"type": "state"}`
and, when done, `{"type": "close"}` before closing the socket, each as `json.dumps(message)`. The one
addition: when RLTASK_API_TOKEN is set it sends `Authorization: Bearer <token>` with the handshake, which
`GenericEnvClient` cannot (serve without a token, `--no-auth`, on loopback for it).

    episode.py --url http://127.0.0.1:8080 --task variance-dropout                         # submits the bug
    episode.py --url http://127.0.0.1:8080 --task variance-dropout --file dropout.ts=fix.ts

It resets, lists and reads the files, writes the --file ones, runs the visible tests, submits, and prints one
line per message; the last line is `reward R`. Exit status: 0 for reward 1, 1 for reward 0, 3 when the server
answered with an error.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import sys
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus, WebSocketException


class ServerError(RuntimeError):
    """An `{"type": "error", "data": {"message", "code"}}` reply, which GenericEnvClient raises as RuntimeError."""


def ws_url(base_url: str) -> str:
    """OpenEnv's `convert_to_ws_url(base_url) + "/ws"`."""
    url = base_url.rstrip("/")
    if url.startswith("http://"):
        url = "ws://" + url[len("http://") :]
    elif url.startswith("https://"):
        url = "wss://" + url[len("https://") :]
    elif not url.startswith(("ws://", "wss://")):
        url = "ws://" + url
    return f"{url}/ws"


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Episode:
    """The parts of GenericEnvClient an episode uses: one message out, one reply in."""

    def __init__(self, ws: ClientConnection, message_timeout: float) -> None:
        self.ws = ws
        self.message_timeout = message_timeout

    async def _send_and_receive(self, message: dict[str, Any]) -> dict[str, Any]:
        await self.ws.send(json.dumps(message))
        reply = json.loads(await asyncio.wait_for(self.ws.recv(), timeout=self.message_timeout))
        if reply.get("type") == "error":
            data = reply.get("data", {})
            raise ServerError(f"Server error: {data.get('message', 'Unknown error')} (code: {data.get('code', 'UNKNOWN')})")
        return reply

    async def reset(self, **kwargs: Any) -> dict[str, Any]:
        return (await self._send_and_receive({"type": "reset", "data": kwargs})).get("data", {})

    async def step(self, action: dict[str, Any]) -> dict[str, Any]:
        return (await self._send_and_receive({"type": "step", "data": action})).get("data", {})

    async def state(self) -> dict[str, Any]:
        return (await self._send_and_receive({"type": "state"})).get("data", {})

    async def close(self) -> None:
        # GenericEnvClient's disconnect(): a best-effort close message, then the socket's own close.
        try:
            await self.ws.send(json.dumps({"type": "close"}))
        except Exception:
            pass
        await self.ws.close()


def _first_line(text: str, limit: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _summary(tool: str, output: str) -> str:
    if tool == "read_file":
        return f"{len(output.encode())} bytes"
    if tool == "list_files":
        return "; ".join(line.strip() for line in output.splitlines() if line.strip())
    return _first_line(output)


async def run(url: str, task: str, files: dict[str, str], seed: int | None, variant: str | None) -> int:
    target = ws_url(url)
    headers = {}
    token = os.environ.get("RLTASK_API_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    # GenericEnvClient's defaults: connect_timeout_s=10, message_timeout_s=60, max_message_size_mb=100, pings
    # every 20 s, and no proxy for a loopback host. A submit waits for a grade, so allow it longer here.
    options: dict[str, Any] = {"open_timeout": 10.0, "max_size": 100 * 1024 * 1024, "ping_interval": 20.0, "ping_timeout": 20.0}
    if _is_loopback(target):
        options["proxy"] = None
    async with connect(target, additional_headers=headers or None, **options) as ws:
        env = Episode(ws, message_timeout=600.0)
        try:
            reset_kwargs: dict[str, Any] = {"task": task}
            if seed is not None:
                reset_kwargs["seed"] = seed
            if variant is not None:
                reset_kwargs["variant"] = variant
            result = await env.reset(**reset_kwargs)
            obs = result["observation"]
            tools = ", ".join(t["name"] for t in obs["tools"])
            print(f"reset {task}: files {', '.join(obs['files'])}; tools {tools}; prompt: {_first_line(obs['prompt'])}", flush=True)

            actions: list[dict[str, Any]] = [{"tool": "list_files"}]
            actions += [{"tool": "read_file", "path": p} for p in files]
            actions += [{"tool": "write_file", "path": p, "content": c} for p, c in files.items()]
            if "run_tests" in tools.split(", "):
                actions.append({"tool": "run_tests"})
            actions.append({"tool": "submit"})
            for action in actions:
                result = await env.step(action)
                obs = result["observation"]
                label = " ".join([action["tool"], *([action["path"]] if "path" in action else [])])
                flag = " [is_error]" if obs.get("is_error") else ""
                print(f"step {label}: reward {result['reward']}, done {result['done']}{flag}: {_summary(action['tool'], obs['output'])}", flush=True)
                if result["done"]:
                    break
            state = await env.state()
            print(f"state: episode {state.get('episode_id')}, {state.get('step_count')} steps, done {state.get('done')}", flush=True)
        finally:
            await env.close()
    reward = result["reward"]
    print(f"reward {reward}", flush=True)
    return 0 if reward == 1 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="One episode over rltask serve's OpenEnv WebSocket (token: RLTASK_API_TOKEN).")
    parser.add_argument("--url", required=True, help="the server's base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--task", required=True)
    parser.add_argument("--file", action="append", default=[], metavar="PATH=LOCAL", help="write the workspace's PATH from LOCAL before submitting (repeatable)")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--variant")
    args = parser.parse_args(argv)
    files: dict[str, str] = {}
    for spec in args.file:
        path, sep, local = spec.partition("=")
        if not sep:
            parser.error(f"--file {spec}: expected PATH=LOCAL")
        with open(local, encoding="utf-8") as f:
            files[path] = f.read()
    try:
        return asyncio.run(run(args.url, args.task, files, args.seed, args.variant))
    except InvalidStatus as e:
        # The handshake was answered with an HTTP error (401 without the token, 503 while draining).
        print(f"episode: {ws_url(args.url)}: {e}; {e.response.body.decode(errors='replace')[:300]}", file=sys.stderr)
        return 3
    except (ServerError, WebSocketException, OSError, TimeoutError) as e:
        print(f"episode: {e}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
