"""The desk under load on 127.0.0.1: six partners upload their demo exports at once while the
coordinator publishes; prints the time to the last upload's result, the publication's time,
and how fast a page answers meanwhile (goal: the desk stays responsive, pages under 1 s)."""

from __future__ import annotations

import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, demo_settings  # noqa: E402

import httpx  # noqa: E402
import uvicorn  # noqa: E402

from fragmap.desk.app import create_app  # noqa: E402
from fragmap.desk.security import hash_password  # noqa: E402

SYNTH = ROOT / "data" / "synthetic"
PASSWORD = "una-password-lunga"
FILES = {p.name.split("sintetiche_")[1].rsplit(".", 1)[0]: p for p in SYNTH.glob("segnalazioni_sintetiche_*")}


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def client(base: str, user: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=120)
    c.post("/accesso", data={"csrf": csrf(c.get("/accesso").text), "username": user, "password": PASSWORD})
    return c


def wait(c: httpx.Client, location: str) -> float:
    t0 = time.perf_counter()
    job = location.rsplit("/", 1)[-1]
    while not c.get(f"/lavori/{job}/stato").json()["done"]:
        time.sleep(0.2)
    return time.perf_counter() - t0


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        s = demo_settings(Path(d))
        app = create_app(s, local=True, workers=3)
        db = app.state.desk.db
        db.add_account("coord", hash_password(PASSWORD), "coordinatore", None, "bench")
        for code in FILES:
            db.add_account(f"{code}1", hash_password(PASSWORD), "partner", code, "bench")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        first = next(iter(FILES))
        seed = client(base, f"{first}1")
        r = seed.post("/invio", data={"csrf": csrf(seed.get("/invio").text)},
                      files=[("file", ("seed" + FILES[first].suffix, FILES[first].read_bytes()))])
        wait(seed, r.headers["location"])
        done: dict[str, float] = {}
        t0 = time.perf_counter()

        def partner(code: str) -> None:
            c = client(base, f"{code}1")
            r = c.post("/invio", data={"csrf": csrf(c.get("/invio").text)},
                       files=[("file", (FILES[code].name, FILES[code].read_bytes()))])
            wait(c, r.headers["location"])
            done[code] = time.perf_counter() - t0

        def publish() -> None:
            c = client(base, "coord")
            r = c.post("/pubblica", data={"csrf": csrf(c.get("/pubblicazioni").text)})
            wait(c, r.headers["location"])
            done["publish"] = time.perf_counter() - t0

        threads = [threading.Thread(target=partner, args=(c,)) for c in FILES] + [threading.Thread(target=publish)]
        for t in threads:
            t.start()
        probe = client(base, "coord")
        latencies = []
        while any(t.is_alive() for t in threads):
            a = time.perf_counter()
            probe.get("/file")
            latencies.append(time.perf_counter() - a)
            if "-v" in sys.argv:
                print(f"  {a - t0:6.1f} s: {latencies[-1]:.3f} s, jobs {[ (j.kind, j.stage) for j in app.state.desk.jobs._jobs.values() if j.state == 'in_corso']}")
            time.sleep(0.5)
        for t in threads:
            t.join()
        server.should_exit = True
        uploads = max(v for k, v in done.items() if k != "publish")
        print(f"{'six uploads at once: last result after':<60} {uploads:8.2f} s")
        print(f"{'publication (build, audit, swap) meanwhile':<60} {done['publish']:8.2f} s")
        print(f"{'page answers meanwhile: median':<60} {statistics.median(latencies):8.3f} s")
        print(f"{'page answers meanwhile: slowest':<60} {max(latencies):8.3f} s  ({len(latencies)} requests)")
        app.state.desk.jobs.shutdown()


if __name__ == "__main__":
    main()
