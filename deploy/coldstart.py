#!/usr/bin/env python3
"""Measures the Lambda bootstrap's cold start on this machine.

Plays the Lambda runtime API on a loopback port, starts `bootstrap` the way
Lambda does (AWS_LAMBDA_RUNTIME_API and the function's variables set), and
records for each run:

- init: process start to the first `GET /2018-06-01/runtime/invocation/next`,
  which is what Lambda bills as Init Duration;
- first response: process start to the `POST .../response` of the first
  event (a REST API `GET /health` event, or `--path /ready` to include the
  first store call), the cold request's latency inside the function.

Then it stops the process. Nothing leaves 127.0.0.1.

    deploy/coldstart.py path/to/bootstrap [--runs 20] [--store memory]

With `--store dynamodb` pass `--dynamodb-endpoint http://127.0.0.1:PORT` (a
moto server with the table) and `--table NAME`.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NEXT = "/2018-06-01/runtime/invocation/next"
REQUEST_ID = "3f0e6d4e-7c55-4f25-9a4b-6a2f0d8c1b2a"
API_KEY = "coldstart-measurement-key-0001"
ORGANISATION = "743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb"

EVENT = {
    "resource": "/health",
    "path": "/health",
    "httpMethod": "GET",
    "headers": {"Host": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"},
    "multiValueHeaders": {"Host": ["a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"]},
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "pathParameters": None,
    "stageVariables": None,
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "a1b2c3d4e5",
        "httpMethod": "GET",
        "identity": {"sourceIp": "203.0.113.10"},
        "path": "/prod/health",
        "protocol": "HTTP/1.1",
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "resourcePath": "/health",
        "stage": "prod",
    },
    "body": None,
    "isBase64Encoded": False,
}


class RuntimeApi(BaseHTTPRequestHandler):
    """The two runtime API calls a bootstrap makes, timed."""

    server_version = "coldstart"

    def log_message(self, *args):  # keep stderr for the function's output
        pass

    def do_GET(self):
        run = self.server.run
        if self.path != NEXT:
            self.send_error(404)
            return
        run.setdefault("first_poll", time.perf_counter())
        if run.get("answered"):
            # The second poll: the function is warm and waiting; hold it
            # until the process is stopped.
            run["idle"].wait(5)
            self.send_error(503)
            return
        run["answered"] = True
        event = json.loads(json.dumps(EVENT))
        event["path"] = event["resource"] = run["path"]
        event["requestContext"]["path"] = "/prod" + run["path"]
        event["requestContext"]["resourcePath"] = run["path"]
        body = json.dumps(event).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Lambda-Runtime-Aws-Request-Id", REQUEST_ID)
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 15000))
        self.send_header(
            "Lambda-Runtime-Invoked-Function-Arn",
            "arn:aws:lambda:eu-west-1:123456789012:function:payments",
        )
        self.send_header(
            "Lambda-Runtime-Trace-Id",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        )
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        run = self.server.run
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length)
        if self.path.endswith("/response"):
            run["response_at"] = time.perf_counter()
            run["response"] = json.loads(payload or b"null")
        else:
            run["error"] = self.path + " " + payload.decode(errors="replace")
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()
        run["done"].set()


class QuietServer(ThreadingHTTPServer):
    """Stopping the bootstrap cuts its pending poll: not worth a traceback."""

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def measure(bootstrap, environment, timeout, path):
    run = {"done": threading.Event(), "idle": threading.Event(), "path": path}
    server = QuietServer(("127.0.0.1", 0), RuntimeApi)
    server.daemon_threads = True
    server.run = run
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(environment, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_port}")
    started = time.perf_counter()
    process = subprocess.Popen(
        [bootstrap], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    finished = run["done"].wait(timeout)
    process.terminate()
    run["idle"].set()
    output, _ = process.communicate(timeout=10)
    server.shutdown()
    server.server_close()
    if not finished or "error" in run or "first_poll" not in run:
        sys.exit(
            f"bootstrap did not answer its first event: {run.get('error', 'no answer')}\n"
            + output.decode(errors="replace")
        )
    status = run["response"].get("statusCode")
    if status != 200:
        sys.exit(f"the first event was answered {status}: {run['response']}")
    return (
        (run["first_poll"] - started) * 1000,
        (run["response_at"] - started) * 1000,
        output,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bootstrap")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--store", default="memory")
    parser.add_argument("--dynamodb-endpoint")
    parser.add_argument("--table", default="payments")
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--path", default="/health", help="the first event's path")
    parser.add_argument("--show-log", action="store_true", help="print the first run's log")
    args = parser.parse_args()

    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_FUNCTION_NAME": "payments",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/payments",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]coldstart",
        "AWS_REGION": "eu-west-1",
        "PAYMENTS_STORE": args.store,
        "PAYMENTS_API_KEYS": f"{API_KEY}:{ORGANISATION}",
        "PAYMENTS_DYNAMODB_TABLE": args.table,
    }
    if args.dynamodb_endpoint:
        environment.update(
            PAYMENTS_DYNAMODB_ENDPOINT=args.dynamodb_endpoint,
            AWS_ACCESS_KEY_ID="coldstart",
            AWS_SECRET_ACCESS_KEY="coldstart",
        )

    inits, responses = [], []
    for index in range(args.runs):
        init, response, output = measure(args.bootstrap, environment, args.timeout, args.path)
        if index == 0 and args.show_log:
            sys.stdout.write(output.decode(errors="replace"))
        inits.append(init)
        responses.append(response)

    def summary(values):
        values = sorted(values)
        return (
            f"median {statistics.median(values):.1f} ms, "
            f"min {values[0]:.1f}, max {values[-1]:.1f}"
        )

    size = os.path.getsize(args.bootstrap)
    print(
        f"bootstrap: {args.bootstrap} ({size / 1024 / 1024:.1f} MiB), "
        f"store {args.store}, first event GET {args.path}, {args.runs} runs"
    )
    print(f"init (start to first poll):         {summary(inits)}")
    print(f"first response (start to response): {summary(responses)}")


if __name__ == "__main__":
    main()
