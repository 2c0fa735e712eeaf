#!/usr/bin/env python3
"""A client of `rltask serve`'s grading API, and a reward function for RL trainers built on it.

As a library (copy this file next to your trainer; it needs only `requests`)::

    from grade_client import GradeClient, make_reward_fn

    client = GradeClient("http://127.0.0.1:8080", token=os.environ.get("RLTASK_API_TOKEN"))
    client.grade("variance-dropout", {"dropout.ts": source})["reward"]          # 0 or 1
    reward_func = make_reward_fn(client, task="variance-dropout")               # TRL's GRPOTrainer(reward_funcs=...)

From the shell (the token comes from RLTASK_API_TOKEN)::

    grade_client.py --url URL                                         # list the tasks
    grade_client.py --url URL --task variance-dropout                 # the task: prompt and files
    grade_client.py --url URL --task variance-dropout --file dropout.ts=fix.ts
    grade_client.py --url URL --task variance-dropout --batch a.ts b.ts   # each file one submission of the
                                                                          # task's editable file, as it streams

Exit status: 0 when every submission passed (or nothing was graded), 1 when one failed, 2 on bad usage or a
request the server refused, 3 when the grader broke (a grade with status "error") or the server stayed
unreachable.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import requests

# 429: the queue is full; 502/504: a proxy lost its upstream (a replica died); 503: the replica is draining.
RETRY_STATUSES = frozenset({429, 502, 503, 504})


class GraderError(RuntimeError):
    """The server refused a request (`status`, `code`, `message` from its `{error: {code, message}}`), stayed
    unreachable through every retry, or broke while grading (`code` GRADER_FAULT)."""

    def __init__(self, status: int | None, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}" if status is None else f"HTTP {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def _retry_after(response: requests.Response | None, attempt: int, backoff: float) -> float:
    """The server's Retry-After when it sent seconds, else exponential backoff with jitter (so that many
    trainer workers refused at once do not come back at once)."""
    if response is not None:
        value = response.headers.get("Retry-After", "")
        if value.strip().isdigit():
            return float(value.strip())
    return min(30.0, backoff * 2**attempt) * (0.5 + random.random() / 2)


def _refusal(response: requests.Response) -> GraderError:
    try:
        error = response.json()["error"]
        return GraderError(response.status_code, str(error["code"]), str(error["message"]))
    except (ValueError, KeyError, TypeError):
        return GraderError(response.status_code, "HTTP_ERROR", response.text[:500])


class GradeClient:
    """One server (or a load balancer in front of several). Requests that may succeed later are retried:
    429 and 503 after the server's Retry-After, connection errors and a proxy's 502/504 with backoff. Grading
    is a pure function of the task file, the files and the seed, so a retried grade cannot change a verdict."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = 600.0,
        attempts: int = 8,
        backoff: float = 0.5,
        session: requests.Session | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.session = session or requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        # Retries counted over the client's life: a trainer can log them to see an overloaded grader.
        self.retries = 0

    def _request(self, method: str, path: str, body: Any = None, *, stream: bool = False) -> requests.Response:
        last: str = ""
        for attempt in range(self.attempts):
            response: requests.Response | None = None
            try:
                response = self.session.request(method, self.url + path, json=body, timeout=self.timeout, stream=stream)
            except requests.ConnectionError as e:
                last = f"cannot reach {self.url}: {e}"
            else:
                if response.status_code < 400:
                    return response
                if response.status_code not in RETRY_STATUSES:
                    raise _refusal(response)
                last = str(_refusal(response))
                response.close()
            if attempt + 1 < self.attempts:
                self.retries += 1
                time.sleep(_retry_after(response, attempt, self.backoff))
        raise GraderError(None, "UNAVAILABLE", f"{method} {path}: gave up after {self.attempts} attempts; last: {last}")

    def list_tasks(self) -> list[dict[str, Any]]:
        """Every served task: id, version, title, runtime, variants."""
        return self._request("GET", "/v1/tasks").json()["tasks"]

    def task(self, task_id: str) -> dict[str, Any]:
        """A task's prompt, variants and workspace files (path, role, content); never its solution."""
        return self._request("GET", f"/v1/tasks/{requests.utils.quote(task_id, safe='')}").json()

    def grade(self, task: str, files: Mapping[str, str], *, seed: int | None = None, fail_fast: bool = False) -> dict[str, Any]:
        """Grade one submission: `files` maps task paths to contents (editable files left out count as
        missing). Returns the GradeResult with its provenance; `status` is passed, failed or error."""
        body: dict[str, Any] = {"task": task, "files": dict(files), "failFast": fail_fast}
        if seed is not None:
            body["seed"] = seed
        return self._request("POST", "/v1/grade", body).json()

    def grade_batch(
        self,
        task: str,
        submissions: Mapping[str, Mapping[str, str]],
        *,
        seed: int | None = None,
        fail_fast: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Grade many submissions of one task (`{id: files}`), yielding each GradeResult (with its `id`) as the
        server finishes it. When the stream breaks (the replica died), only the submissions that have no
        result yet are sent again, so no submission is yielded twice."""
        pending = {sid: dict(files) for sid, files in submissions.items()}
        for attempt in range(self.attempts):
            body: dict[str, Any] = {
                "task": task,
                "submissions": [{"id": sid, "files": files} for sid, files in pending.items()],
                "failFast": fail_fast,
            }
            if seed is not None:
                body["seed"] = seed
            broke = ""
            with self._request("POST", "/v1/grade/batch", body, stream=True) as response:
                try:
                    for line in response.iter_lines():
                        if not line:
                            continue
                        result = json.loads(line)
                        if pending.pop(result.get("id"), None) is not None:
                            yield result
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError, ValueError) as e:
                    # ValueError: a line cut in the middle when the connection dropped.
                    broke = str(e)
            if not pending:
                return
            if attempt + 1 < self.attempts:
                self.retries += 1
                time.sleep(_retry_after(None, attempt, self.backoff))
        missing = ", ".join(sorted(pending))
        raise GraderError(None, "UNAVAILABLE", f"batch: no result for {missing} after {self.attempts} attempts; last: {broke or 'the stream ended early'}")


_FENCE = re.compile(r"```[^\n`]*\n(.*?)```", re.DOTALL)


def completion_text(completion: Any) -> str:
    """The text of a completion as trainers pass it: a string (standard format) or a list of messages
    (conversational format), of which the last one's content counts."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Sequence) and completion and isinstance(completion[-1], Mapping):
        return str(completion[-1].get("content", ""))
    raise TypeError(f"a completion is a string or a list of messages, got {type(completion).__name__}")


def extract_source(text: str) -> str:
    """The last fenced code block of a completion, or the whole text when it has none."""
    blocks = _FENCE.findall(text)
    return blocks[-1] if blocks else text


def editable_file(client: GradeClient, task: str) -> str:
    """The path of a task's one editable file (a completion is that file's new content)."""
    paths = [f["path"] for f in client.task(task)["files"] if f["role"] == "editable"]
    if len(paths) != 1:
        raise ValueError(f"task {task} has {len(paths)} editable files ({', '.join(paths)}); name the one a completion rewrites")
    return paths[0]


def make_reward_fn(
    client: GradeClient,
    task: str | None = None,
    *,
    path: str | None = None,
    on_error: str = "raise",
    error_retries: int = 1,
) -> Callable[..., list[float | None]]:
    """A reward function in TRL's shape, `reward_func(completions, **kwargs) -> list[float | None]`, that
    grades each completion as the new content of the task's editable file (`path`), one batch per call.

    The task is `task`, or per completion the dataset column `task` that TRL passes in `kwargs`. A grade
    with status "error" is the grader's fault, not the policy's: it is graded again `error_retries` times,
    then `on_error="raise"` raises GraderError and `on_error="none"` gives None for that completion.
    It never becomes a reward of 0."""
    if on_error not in ("raise", "none"):
        raise ValueError('on_error is "raise" or "none"')
    paths: dict[str, str] = {}

    def reward_func(completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
        tasks = kwargs.get("task") or [task] * len(completions)
        if any(t is None for t in tasks):
            raise ValueError("no task: pass task= to make_reward_fn or give the dataset a task column")
        results: dict[str, dict[str, Any]] = {}
        by_task: dict[str, dict[str, dict[str, str]]] = {}
        for i, (completion, t) in enumerate(zip(completions, tasks, strict=True)):
            if t not in paths:
                paths[t] = path or editable_file(client, t)
            by_task.setdefault(t, {})[str(i)] = {paths[t]: extract_source(completion_text(completion))}
        for t, submissions in by_task.items():
            for _ in range(1 + error_retries):
                for result in client.grade_batch(t, submissions):
                    results[result["id"]] = result
                submissions = {sid: files for sid, files in submissions.items() if results[sid]["status"] == "error"}
                if not submissions:
                    break
        rewards: list[float | None] = []
        for i in range(len(completions)):
            result = results[str(i)]
            if result["status"] != "error":
                rewards.append(float(result["reward"]))
            elif on_error == "none":
                rewards.append(None)
            else:
                raise GraderError(None, "GRADER_FAULT", f"completion {i}: {result.get('feedback', '')}")
        return rewards

    # TRL logs each reward function under its __name__.
    reward_func.__name__ = f"rltask_{task}" if task else "rltask"
    return reward_func


def _verdict_line(label: str, result: Mapping[str, Any]) -> str:
    first_line = str(result.get("feedback", "")).splitlines()[0:1]
    return f"{label}: {result['status']} (reward {result['reward']}) {first_line[0] if first_line else ''}".rstrip()


def _exit_code(results: Sequence[Mapping[str, Any]]) -> int:
    if any(r["status"] == "error" for r in results):
        return 3
    return 0 if all(r["status"] == "passed" for r in results) else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Talk to rltask serve's grading API (token: RLTASK_API_TOKEN).")
    parser.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8080")
    parser.add_argument("--task", help="a task id; alone, show the task")
    parser.add_argument("--file", action="append", default=[], metavar="PATH=LOCAL", help="grade one submission: the task's PATH read from LOCAL (repeatable)")
    parser.add_argument("--batch", nargs="+", metavar="LOCAL", help="grade each LOCAL as the task's editable file, one batch, printed as results stream in")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--json", action="store_true", help="print the GradeResult JSON")
    args = parser.parse_args(argv)
    client = GradeClient(args.url, os.environ.get("RLTASK_API_TOKEN") or None)
    try:
        if args.task is None:
            for t in client.list_tasks():
                variants = f" (variants: {', '.join(t['variants'])})" if t["variants"] else ""
                print(f"{t['id']} v{t['version']}: {t['title']}{variants}")
            return 0
        if args.batch:
            path = editable_file(client, args.task)
            submissions = {}
            for local in args.batch:
                with open(local, encoding="utf-8") as f:
                    submissions[local] = {path: f.read()}
            results = []
            for result in client.grade_batch(args.task, submissions, seed=args.seed):
                results.append(result)
                print(json.dumps(result) if args.json else _verdict_line(result["id"], result), flush=True)
            return _exit_code(results)
        if args.file:
            files = {}
            for spec in args.file:
                task_path, sep, local = spec.partition("=")
                if not sep:
                    parser.error(f"--file {spec}: expected PATH=LOCAL")
                with open(local, encoding="utf-8") as f:
                    files[task_path] = f.read()
            result = client.grade(args.task, files, seed=args.seed)
            if args.json:
                print(json.dumps(result))
            else:
                print(_verdict_line(args.task, result))
                for check in result["checks"]:
                    mark = "-" if check.get("skipped") else "✓" if check["passed"] else "✗"
                    print(f"  {mark} {check['id']:<28} {check['message'].splitlines()[0][:100] if check['message'] else ''}".rstrip())
                print(f"  seed {result['provenance']['seed']}, task sha256 {result['provenance']['taskSha256'][:12]}, grader {result['provenance']['graderVersion']}")
            return _exit_code([result])
        task = client.task(args.task)
        print(f"{task['id']} v{task['version']}: {task['title']}\n\n{task['prompt']}")
        for f in task["files"]:
            print(f"  {f['role']:<9} {f['path']} ({len(f['content'].encode())} bytes)")
        return 0
    except GraderError as e:
        print(f"grade_client: {e}", file=sys.stderr)
        return 3 if e.status is None else 2
    except OSError as e:
        print(f"grade_client: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
