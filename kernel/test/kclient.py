"""Small jupyter_client helpers shared by the peerscope kernel test scripts."""

import queue
import time

from jupyter_client.manager import start_new_kernel


def start(name="peerscope", **kw):
    km, kc = start_new_kernel(kernel_name=name, startup_timeout=30, **kw)
    return km, kc


def run(kc, code, timeout=30, interrupt_after=None, km=None, allow_stdin=False, stdin_reply=None, **kw):
    """Execute code; return (reply content, list of (msg_type, content)) of
    the IOPub messages between busy and idle for this request."""
    msg_id = kc.execute(code, allow_stdin=allow_stdin, **kw)
    if interrupt_after is not None:
        time.sleep(interrupt_after)
        km.interrupt_kernel()
    if stdin_reply is not None:
        req = kc.get_stdin_msg(timeout=timeout)
        assert req["msg_type"] == "input_request", req
        kc.input(stdin_reply)
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    outputs = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            m = kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
        except queue.Empty:
            break
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        t = m["msg_type"]
        if t == "status" and m["content"]["execution_state"] == "idle":
            break
        if t != "status":
            outputs.append((t, m["content"]))
    return reply["content"], outputs


def text_of(outputs, name="stdout"):
    return "".join(c["text"] for t, c in outputs if t == "stream" and c["name"] == name)
