"""Front-end benchmarks of the peerscope kernel against Debian's ipykernel,
through real ZeroMQ sockets (pyzmq + jupyter_client's Session for signing):

  startup      process launch → first kernel_info_reply, as jupyter_client
               does it (KernelManager.start_kernel, then a client's channels);
               and with the client's sockets connected before the launch, the
               worst case (the first connection is refused, and libzmq retries
               only after 100–200 ms)
  execute      trivial execute_request → execute_reply (and → status idle)
  complete     first complete_request on a fresh kernel → reply
  memory       RSS and live heap after 1,000 and 10,000 executes (peerscope),
               for the cell earlier runs used, an identical cell, distinct cells
  heartbeat    ping → echo latency while a CPU-bound cell runs

Usage: bench.py PEERSCOPE_BINARY PEERSCOPE_KERNEL_LAUNCHER [--quick]"""

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import zmq
from jupyter_client.manager import KernelManager
from jupyter_client.session import Session


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


class Kernel:
    def __init__(self, argv_of):
        ports = free_ports(5)
        self.key = os.urandom(16).hex()
        self.conn = dict(transport="tcp", ip="127.0.0.1", shell_port=ports[0], iopub_port=ports[1],
                         stdin_port=ports[2], control_port=ports[3], hb_port=ports[4],
                         signature_scheme="hmac-sha256", key=self.key)
        fd, self.conn_file = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(self.conn, f)
        self.session = Session(key=self.key.encode())
        self.results = {}
        self.ctx = zmq.Context()
        ep = lambda p: "tcp://127.0.0.1:%d" % p
        self.shell = self.ctx.socket(zmq.DEALER)
        self.shell.setsockopt(zmq.IDENTITY, self.session.bsession)
        self.shell.connect(ep(ports[0]))
        self.iopub = self.ctx.socket(zmq.SUB)
        self.iopub.setsockopt(zmq.SUBSCRIBE, b"")
        self.iopub.connect(ep(ports[1]))
        self.control = self.ctx.socket(zmq.DEALER)
        self.control.setsockopt(zmq.IDENTITY, self.session.bsession)
        self.control.connect(ep(ports[3]))
        self.hb_ep = ep(ports[4])
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(argv_of(self.conn_file), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def request(self, sock, msg_type, content=None, timeout=30):
        msg = self.session.msg(msg_type, content or {})
        self.session.send(sock, msg)
        return msg["header"]["msg_id"]

    def reply(self, sock, msg_id, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if sock.poll(100):
                _, m = self.session.feed_identities(sock.recv_multipart())
                m = self.session.deserialize(m)
                if m["parent_header"].get("msg_id") == msg_id:
                    return m
        raise TimeoutError(msg_id)

    def idle(self, msg_id, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.iopub.poll(100):
                _, m = self.session.feed_identities(self.iopub.recv_multipart())
                m = self.session.deserialize(m)
                if m["msg_type"] == "execute_result" and m["parent_header"].get("msg_id") == msg_id:
                    self.results[msg_id] = m["content"]["data"]["text/plain"]
                if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status" \
                        and m["content"]["execution_state"] == "idle":
                    return m
        raise TimeoutError("idle " + msg_id)

    def execute(self, code, wait_idle=True):
        mid = self.request(self.shell, "execute_request", {"code": code, "silent": False, "store_history": True,
                                                            "user_expressions": {}, "allow_stdin": False,
                                                            "stop_on_error": True})
        r = self.reply(self.shell, mid)
        if wait_idle:
            self.idle(mid)
        return r

    def last_result(self, msg_id):
        """The text/plain Out of an executed request (seen while waiting for idle)."""
        return self.results.pop(msg_id)

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])

    def close(self):
        try:
            mid = self.request(self.control, "shutdown_request", {"restart": False})
            self.reply(self.control, mid, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        for s in (self.shell, self.iopub, self.control):
            s.close(linger=0)
        self.ctx.term()
        os.unlink(self.conn_file)


def startup(argv_of):
    k = Kernel(argv_of)
    mid = k.request(k.shell, "kernel_info_request")
    k.reply(k.shell, mid, timeout=60)
    ms = (time.perf_counter() - k.t0) * 1000
    # Like jupyter_client's wait_for_ready: IOPub is live once a message of
    # ours arrives on it (a SUB socket misses what is published before its
    # subscription reaches the PUB socket).
    for _ in range(100):
        mid = k.request(k.shell, "kernel_info_request")
        k.reply(k.shell, mid)
        try:
            k.idle(mid, timeout=0.2)
            break
        except TimeoutError:
            pass
    return k, ms


def startup_jupyter_client(name, argv_of):
    """Milliseconds from KernelManager.start_kernel to the first
    kernel_info_reply of a client made after it, as a front end starts a
    kernel; argv_of builds the kernelspec's argv from a connection file."""
    specs = tempfile.mkdtemp()
    os.makedirs(os.path.join(specs, "kernels", name))
    with open(os.path.join(specs, "kernels", name, "kernel.json"), "w") as f:
        json.dump({"argv": argv_of("{connection_file}"), "display_name": name, "language": "any"}, f)
    saved = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = specs
    try:
        km = KernelManager(kernel_name=name)
        devnull = open(os.devnull, "w")
        t0 = time.perf_counter()
        km.start_kernel(stdout=devnull, stderr=devnull)
        kc = km.client()
        kc.start_channels()
        mid = kc.kernel_info()
        while kc.get_shell_msg(timeout=60)["parent_header"].get("msg_id") != mid:
            pass
        ms = (time.perf_counter() - t0) * 1000
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        devnull.close()
        return ms
    finally:
        if saved is None:
            del os.environ["JUPYTER_PATH"]
        else:
            os.environ["JUPYTER_PATH"] = saved


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


def bench(name, argv_of, trivial, completion, quick):
    res = {}
    runs = 5 if quick else 11
    res["startup_ms"] = statistics.median(startup_jupyter_client("bench-" + name, argv_of) for _ in range(runs))
    starts = []
    for _ in range(runs):
        k, ms = startup(argv_of)
        starts.append(ms)
        k.close()
    res["startup_preconnected_ms"] = statistics.median(starts)
    k, _ = startup(argv_of)
    try:
        t = time.perf_counter()
        mid = k.request(k.shell, "complete_request", {"code": completion, "cursor_pos": len(completion)})
        rep = k.reply(k.shell, mid)
        res["first_complete_ms"] = (time.perf_counter() - t) * 1000
        res["first_complete_matches"] = len(rep["content"]["matches"])
        k.idle(mid)
        for _ in range(20):
            k.execute(trivial)
        reply_ms, idle_ms = [], []
        for _ in range(100 if quick else 500):
            t = time.perf_counter()
            mid = k.request(k.shell, "execute_request", {"code": trivial, "silent": False, "store_history": True,
                                                          "user_expressions": {}, "allow_stdin": False})
            k.reply(k.shell, mid)
            reply_ms.append((time.perf_counter() - t) * 1000)
            k.idle(mid)
            idle_ms.append((time.perf_counter() - t) * 1000)
        res["execute_reply_ms_median"] = statistics.median(reply_ms)
        res["execute_reply_ms_p90"] = pct(reply_ms, 90)
        res["execute_idle_ms_median"] = statistics.median(idle_ms)
    finally:
        k.close()
    return res


def heartbeat_during_cpu(argv_of, cell):
    k, _ = startup(argv_of)
    try:
        k.execute("1")
        mid = k.request(k.shell, "execute_request", {"code": cell, "silent": False, "store_history": True,
                                                      "user_expressions": {}, "allow_stdin": False})
        time.sleep(0.5)
        hb = k.ctx.socket(zmq.REQ)
        hb.connect(k.hb_ep)
        lat = []
        for i in range(20):
            t = time.perf_counter()
            hb.send(b"ping%d" % i)
            if not hb.poll(5000):
                lat.append(float("inf"))
                break
            hb.recv()
            lat.append((time.perf_counter() - t) * 1000)
            time.sleep(0.05)
        hb.close(linger=0)
        imid = k.request(k.control, "interrupt_request")
        k.reply(k.control, imid)
        k.reply(k.shell, mid)
        return max(lat), statistics.median(lat)
    finally:
        k.close()


# The cells of the memory benchmark: the one earlier runs used (a distinct
# value each time, redefining v), one identical cell, and distinct
# expression cells that declare nothing.
RSS_CELLS = [
    ("v := i; v * 2 (as before)", "v := %d\nv * 2", True),
    ("identical: v * 2", "v * 2", False),
    ("distinct: v * i", "v * %d", True),
]

# Live heap after a full collection, read from inside the kernel: unlike
# RSS it does not depend on when the collector last ran.
HEAP_CELL = ("import \"runtime\"\nruntime.GC()\nvar psMemStats runtime.MemStats\n"
             "runtime.ReadMemStats(&psMemStats)\npsMemStats.HeapAlloc")


def rss_flat(argv_of, n, cell, numbered):
    k, _ = startup(argv_of)
    try:
        out = {}
        k.execute("v := 0")
        for i in range(1, n + 1):
            k.execute(cell % i if numbered else cell, wait_idle=True)
            if i in (1000, n):
                rss = k.rss_kb()
                r = k.execute(HEAP_CELL)
                heap = None
                if r["content"]["status"] == "ok":
                    heap = int(k.last_result(r["parent_header"]["msg_id"])) // 1024
                out[i] = (rss, heap)
        return out
    finally:
        k.close()


def main():
    binary, launcher = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    quick = "--quick" in sys.argv
    # The kernelspec's argv (`peerscope kernel install` with the launcher
    # beside the binary), and the binary run directly.
    ps = lambda f: [launcher, binary, "kernel", "--connection-file", f]
    direct = lambda f: [binary, "kernel", "--connection-file", f]
    ipy = lambda f: ["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", f]
    os.environ.setdefault("JUPYTER_DATA_DIR", tempfile.mkdtemp())
    print("load average at start: %.1f %.1f %.1f (2 cores)" % os.getloadavg())
    rows = {"peerscope": bench("peerscope", ps, "1+1", "fmt.Sprin", quick),
            "ipykernel": bench("ipykernel", ipy, "1+1", "print", quick)}
    runs = 5 if quick else 11
    rows["peerscope"]["startup_direct_ms"] = statistics.median(
        startup_jupyter_client("bench-direct", direct) for _ in range(runs))
    rows["ipykernel"]["startup_direct_ms"] = rows["ipykernel"]["startup_ms"]
    keys = ["startup_ms", "startup_direct_ms", "startup_preconnected_ms", "execute_reply_ms_median",
            "execute_reply_ms_p90", "execute_idle_ms_median", "first_complete_ms"]
    print("(startup_direct_ms: the peerscope binary as the kernelspec's argv, without the launcher)")
    print("%-26s %12s %12s" % ("metric", "peerscope", "ipykernel"))
    for key in keys:
        print("%-26s %12.2f %12.2f" % (key, rows["peerscope"][key], rows["ipykernel"][key]))
    hb_max, hb_med = heartbeat_during_cpu(ps, "for {}")
    print("heartbeat during CPU-bound cell (peerscope): max %.1f ms, median %.1f ms" % (hb_max, hb_med))
    hb_max, hb_med = heartbeat_during_cpu(ipy, "while True: pass")
    print("heartbeat during CPU-bound cell (ipykernel): max %.1f ms, median %.1f ms" % (hb_max, hb_med))
    n = 2000 if quick else 10000
    print("peerscope memory after 1,000 and %d executes (RSS; live heap after GC, read in the kernel):" % n)
    for name, cell, numbered in RSS_CELLS:
        m = rss_flat(ps, n, cell, numbered)
        (r1, h1), (r2, h2) = m[1000], m[n]
        print("  %-28s RSS %6d -> %6d KiB (%+5.1f%%)   heap %6d -> %6d KiB (%+d KiB)" % (
            name, r1, r2, 100.0 * (r2 - r1) / r1, h1, h2, h2 - h1))
    print("load average at end: %.1f %.1f %.1f" % os.getloadavg())


if __name__ == "__main__":
    main()
