"""Protocol checks jupyter_kernel_test does not make: stdin (display.Input
and fmt.Scanln), interrupt by message and by SIGINT, control served while a
cell runs, stop_on_error aborting queued cells, execution_count with
store_history=False, comm_info and comm_open to an unknown target, bad and
replayed signatures dropped, restart with persisted history, and the ipc
transport."""

import os
import queue
import signal
import sys
import time

from jupyter_client.manager import KernelManager
from jupyter_client.session import Session

import kclient

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def iopub_until_idle(kc, msg_id, timeout=10):
    outs = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            m = kc.get_iopub_msg(timeout=0.5)
        except queue.Empty:
            continue
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            return outs
        outs.append(m)
    return outs


def main():
    km, kc = kclient.start()
    try:
        # stdin
        r, outs = kclient.run(kc, 'name, err := display.Input("who? ")\nfmt.Println("hi", name, err)',
                              allow_stdin=True, stdin_reply="Ada")
        check("hi Ada <nil>" in kclient.text_of(outs), "display.Input gets an input_reply")
        r, outs = kclient.run(kc, "var word string\nfmt.Scanln(&word)\nword", allow_stdin=True, stdin_reply="peer")
        res = [c for t, c in outs if t == "execute_result"]
        check(res and res[0]["data"]["text/plain"] == '"peer"', "fmt.Scanln reads through input_request")
        r, outs = kclient.run(kc, 'v, err := display.Input("x")\nerr != nil', allow_stdin=False)
        res = [c for t, c in outs if t == "execute_result"]
        check(res and res[0]["data"]["text/plain"] == "true", "no input_request without allow_stdin")

        # output streams live, from goroutines and from compiled code too
        t0 = time.time()
        mid = kc.execute('import "time"\nfor i := 0; i < 3; i++ {\n\tfmt.Println("tick", i)\n\ttime.Sleep(400 * time.Millisecond)\n}')
        first = None
        while first is None and time.time() - t0 < 10:
            m = kc.get_iopub_msg(timeout=10)
            if m["parent_header"].get("msg_id") == mid and m["msg_type"] == "stream":
                first = time.time() - t0
        kc.get_shell_msg(timeout=10)
        iopub_until_idle(kc, mid)
        check(first is not None and first < 0.8, "stream arrives while the cell runs (first after %.2f s of 1.2 s)" % (first or -1))
        r, outs = kclient.run(kc, 'import "os"\nos.Stdout.WriteString("direct write\\n")\ngo fmt.Println("from a goroutine")\ntime.Sleep(100 * time.Millisecond)\nos.Stderr.WriteString("to fd 2\\n")')
        out = kclient.text_of(outs)
        check("direct write" in out and "from a goroutine" in out and "to fd 2" in kclient.text_of(outs, "stderr"),
              "os.Stdout/os.Stderr writes and goroutine output reach the cell")

        # execution_count and store_history
        r1, _ = kclient.run(kc, "1")
        r2, _ = kclient.run(kc, "2", store_history=False)
        r3, _ = kclient.run(kc, "3")
        check(r2["execution_count"] == r1["execution_count"] and r3["execution_count"] == r1["execution_count"] + 1,
              "execution_count counts only store_history cells (%s %s %s)" % (r1["execution_count"], r2["execution_count"], r3["execution_count"]))

        # control served while a cell runs; interrupt by message
        mid = kc.execute("for {}")
        time.sleep(0.3)
        t0 = time.time()
        kc.control_channel.send(kc.session.msg("kernel_info_request"))
        rep = kc.get_control_msg(timeout=5)
        check(rep["msg_type"] == "kernel_info_reply" and time.time() - t0 < 1, "kernel_info on control during a running cell (%.1f ms)" % ((time.time() - t0) * 1000))
        kc.control_channel.send(kc.session.msg("interrupt_request", {}))
        rep = kc.get_control_msg(timeout=5)
        check(rep["msg_type"] == "interrupt_reply", "interrupt_reply on control")
        rep = kc.get_shell_msg(timeout=10)
        check(rep["content"].get("ename") == "Interrupted", "interrupt_request stops for {}")
        iopub_until_idle(kc, mid)

        # SIGINT
        mid = kc.execute("ch := make(chan int)\n<-ch")
        time.sleep(0.3)
        os.kill(km.provisioner.process.pid, signal.SIGINT)
        rep = kc.get_shell_msg(timeout=10)
        check(rep["content"].get("ename") == "Interrupted", "SIGINT stops a blocked receive")
        iopub_until_idle(kc, mid)

        # stop_on_error aborts queued cells
        ids = [kc.execute('import "time"\ntime.Sleep(300 * time.Millisecond)\npanic("first")'), kc.execute("1+1"), kc.execute("2+2")]
        replies = {}
        while len(replies) < 3:
            m = kc.get_shell_msg(timeout=10)
            replies[m["parent_header"]["msg_id"]] = m["content"]
        for i in ids:
            iopub_until_idle(kc, i)
        check([replies[i]["status"] for i in ids] == ["error"] * 3 and replies[ids[1]].get("ename") == "ExecutionAborted",
              "stop_on_error aborts the queued cells")
        r, _ = kclient.run(kc, "1+1")
        check(r["status"] == "ok", "cells run again after the abort")
        ids = [kc.execute('panic("again")', stop_on_error=False), kc.execute("5")]
        replies = {}
        while len(replies) < 2:
            m = kc.get_shell_msg(timeout=10)
            replies[m["parent_header"]["msg_id"]] = m["content"]
        for i in ids:
            iopub_until_idle(kc, i)
        check(replies[ids[1]]["status"] == "ok", "stop_on_error=False keeps the queue")

        # comms
        kc.shell_channel.send(kc.session.msg("comm_info_request", {}))
        rep = kc.get_shell_msg(timeout=5)
        check(rep["msg_type"] == "comm_info_reply" and rep["content"]["comms"] == {}, "comm_info_reply")
        msg = kc.session.msg("comm_open", {"comm_id": "c1", "target_name": "no.such.target", "data": {}})
        kc.shell_channel.send(msg)
        outs = iopub_until_idle(kc, msg["header"]["msg_id"])
        check(any(m["msg_type"] == "comm_close" and m["content"]["comm_id"] == "c1" for m in outs),
              "comm_open to an unknown target is answered with comm_close")

        # bad signature: dropped, no reply; replayed signature: refused
        bad = Session(key=b"not-the-key", session=kc.session.session)
        bad.send(kc.shell_channel.socket, bad.msg("kernel_info_request"))
        try:
            kc.get_shell_msg(timeout=1)
            check(False, "bad signature dropped")
        except queue.Empty:
            check(True, "bad signature dropped")
        msg = kc.session.msg("kernel_info_request")
        frames = kc.session.serialize(msg)
        kc.shell_channel.socket.send_multipart(frames)
        first = kc.get_shell_msg(timeout=5)
        kc.shell_channel.socket.send_multipart(frames)
        try:
            kc.get_shell_msg(timeout=1)
            check(False, "replayed signature refused")
        except queue.Empty:
            check(first["msg_type"] == "kernel_info_reply", "replayed signature refused")

        # restart: history persists
        kclient.run(kc, '"before restart"')
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=30)
        r, outs = kclient.run(kc, "1+1")
        check(r["status"] == "ok" and r["execution_count"] == 1, "restarted kernel runs cells")
        kc.history(hist_access_type="search", pattern='"before restart"', n=1)
        rep = kc.get_shell_msg(timeout=5)
        h = rep["content"]["history"]
        check(len(h) == 1 and h[0][2] == '"before restart"', "history persists across restart")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)

    # ipc transport
    km = KernelManager(kernel_name="peerscope", transport="ipc")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=30)
    try:
        r, outs = kclient.run(kc, "6*7")
        res = [c for t, c in outs if t == "execute_result"]
        check(res and res[0]["data"]["text/plain"] == "42", "ipc transport")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
