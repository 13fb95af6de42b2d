"""Run the fake Qovery API from the command line, e.g. for `airflow dags test` in another shell.

The first line on stdout is the base URL; one log line per request goes to stderr.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from qovery_airflow.testing import ADMIN_TOKEN, SEED_PATH, FakeQoveryAPI, Fault


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m qovery_airflow.testing",
        description="A stateful fake of the Qovery REST API on localhost.",
        epilog=f"The bundled seed accepts 'Authorization: Token {ADMIN_TOKEN}'.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free)")
    parser.add_argument("--seed", type=Path, default=SEED_PATH, help="seed JSON file")
    parser.add_argument(
        "--step-seconds", type=float, default=1.0, help="length of one deployment step"
    )
    parser.add_argument(
        "--stale-seconds",
        type=float,
        default=0.0,
        help="how long status endpoints show the pre-trigger status after a deploy",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="'METHOD REGEX SPEC[,SPEC...]'",
        help="inject faults, e.g. 'GET /environment/[^/]+/status 502,reset,429:retry-after=2'; "
        "SPEC is a status code, reset, truncated, not-json, empty or latency=SECONDS",
    )
    parser.add_argument("--url-file", type=Path, help="write the base URL to this file")
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="do not refuse requests that break the spec (they are still logged)",
    )
    return parser


def _parse_fault(text: str) -> tuple[str, str, list[Fault]]:
    # The regex sits between the method and the specs, so it may hold spaces.
    method, _, rest = text.strip().partition(" ")
    regex, _, specs = rest.strip().rpartition(" ")
    if not method or not regex.strip() or not specs:
        raise ValueError(f"--fault wants 'METHOD REGEX SPEC[,SPEC...]', got {text!r}")
    return method, regex.strip(), [Fault.parse(spec) for spec in specs.split(",")]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        faults = [_parse_fault(text) for text in args.fault]
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s"
    )

    api = FakeQoveryAPI(
        seed=args.seed,
        strict=not args.lenient,
        step_seconds=args.step_seconds,
        stale_seconds=args.stale_seconds,
        host=args.host,
        port=args.port,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    with api:
        for method, regex, fault_list in faults:
            api.add_fault(method, regex, *fault_list)
        # The file first: whoever reads the stdout line may look for the file next.
        if args.url_file is not None:
            args.url_file.write_text(api.url + "\n", encoding="utf-8")
        print(api.url, flush=True)
        logging.getLogger("qovery_airflow.testing").info(
            "Fake Qovery API listening on %s (step %.2fs)", api.url, args.step_seconds
        )
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
