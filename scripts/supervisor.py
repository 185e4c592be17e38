"""Keep `make run`'s TorchServe and UI alive: restart either when its process group dies.

    python scripts/supervisor.py start --run-dir build/run   (make run does this)
    python scripts/supervisor.py stop --run-dir build/run    (make stop does this, first)

Checks every few seconds; logs each restart to <run-dir>/supervisor.log, next to
the services' own logs (<run-dir>/torchserve/logs, <run-dir>/ui/ui.log).
Ports come from the same environment variables as `make run`.
"""

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torchserve_ctl
import ui_ctl

logger = logging.getLogger("supervisor")


def alive(pid_file: Path) -> bool:
    if not pid_file.is_file():
        return False
    return torchserve_ctl.group_alive(int(pid_file.read_text()))


class Supervisor:
    def __init__(self, run_dir: Path, model_store: Path):
        self.run_dir, self.model_store = run_dir, model_store
        self.ports = torchserve_ctl.Ports.from_env()
        self.ui_port = int(os.environ.get("UI_PORT", 5000))
        self.restarts = {"torchserve": 0, "ui": 0}

    def check_once(self) -> None:
        ts_dir, ui_dir = self.run_dir / "torchserve", self.run_dir / "ui"
        if not alive(ts_dir / "torchserve.pid"):
            logger.warning("TorchServe is not running: restarting it")
            torchserve_ctl.stop(ts_dir)
            process = torchserve_ctl.start(ts_dir, self.model_store, self.ports)
            self.restarts["torchserve"] += 1
            try:
                seconds = torchserve_ctl.wait_ready(self.ports.urls()["management"], 300, process, ts_dir)
                logger.warning("TorchServe READY again after %.1f s", seconds)
            except (RuntimeError, TimeoutError) as error:
                logger.error("TorchServe restart failed: %s", error)
        if not alive(ui_dir / "ui.pid"):
            logger.warning("the UI is not running: restarting it")
            ui_ctl.stop(ui_dir)
            process = ui_ctl.start(ui_dir, self.ports, self.ui_port)
            self.restarts["ui"] += 1
            try:
                ui_ctl.wait_healthy(f"http://127.0.0.1:{self.ui_port}", 60, process)
                logger.warning("the UI answers again")
            except (RuntimeError, TimeoutError) as error:
                logger.error("UI restart failed: %s", error)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "run"], help="run: in the foreground")
    parser.add_argument("--run-dir", type=Path, default=torchserve_ctl.ROOT / "build" / "run")
    parser.add_argument("--model-store", type=Path, default=torchserve_ctl.ROOT / "model-store")
    parser.add_argument("--interval", type=float, default=5.0)
    args = parser.parse_args(argv)
    pid_file = args.run_dir / "supervisor.pid"
    if args.command == "stop":
        print("supervisor stopped" if torchserve_ctl.stop_pid_file(pid_file) else "supervisor was not running")
        return 0
    if args.command == "start":
        torchserve_ctl.stop_pid_file(pid_file)
        process = subprocess.Popen([sys.executable, __file__, "run", "--run-dir", str(args.run_dir),
                                    "--model-store", str(args.model_store), "--interval", str(args.interval)],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        pid_file.write_text(str(process.pid))
        print(f"supervisor watching TorchServe and the UI (log: {args.run_dir / 'supervisor.log'})")
        return 0
    logging.basicConfig(filename=args.run_dir / "supervisor.log", level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s")
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    supervisor = Supervisor(args.run_dir.resolve(), args.model_store.resolve())
    logger.info("supervising TorchServe and the UI under %s", args.run_dir)
    while not stopping:
        supervisor.check_once()
        for _ in range(int(args.interval * 10)):
            if stopping:
                break
            time.sleep(0.1)
    logger.info("supervisor stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
