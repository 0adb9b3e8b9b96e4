"""Widget protocol test: jupyter_client plays an ipywidgets 8 front end
against the peerscope kernel (widget messaging protocol 2.1).

It opens widgets from a Go cell, checks the comm_open messages (target,
protocol version, model names and versions), moves the slider from the
"front end" and checks the echo_update, the kernel-side value and the
Interact redraw (update_display_data on the same display_id), asks for the
state (request_state and the jupyter.widget.control comm's request_states),
clicks a button, and closes comms from both sides.

Run with Debian's python: /usr/bin/python3 widgets_protocol.py
(the kernelspec "peerscope" must be on JUPYTER_PATH).
"""
import queue
import sys
import time
import unittest

from jupyter_client.manager import start_new_kernel

TIMEOUT = 30


def protocol_version(msg):
    """The widget protocol version of a comm_open: ipywidgets front ends read
    it from the message's metadata (where ipykernel puts it), not from the
    content."""
    return msg["metadata"].get("version")


class WidgetProtocol(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = start_new_kernel(kernel_name="peerscope", startup_timeout=60)

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel(now=True)

    def execute(self, code):
        """Runs code and returns (reply, iopub messages up to idle)."""
        msg_id = self.kc.execute(code)
        reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        return reply, self.iopub_until_idle(msg_id)

    def iopub_until_idle(self, parent_id):
        msgs = []
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            try:
                m = self.kc.get_iopub_msg(timeout=TIMEOUT)
            except queue.Empty:
                break
            if m["parent_header"].get("msg_id") != parent_id:
                continue
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                return msgs
            msgs.append(m)
        self.fail("no idle status for %s" % parent_id)

    def send_comm(self, msg_type, content):
        """Sends a comm message on shell as a front end does; returns the
        iopub messages it caused."""
        msg = self.kc.session.msg(msg_type, content)
        self.kc.shell_channel.send(msg)
        return self.iopub_until_idle(msg["header"]["msg_id"])

    def test_widgets(self):
        reply, msgs = self.execute(
            'import (\n"strings"\n"github.com/peerscope/peerscope/kernel/widgets"\n)\n'
            's := widgets.NewIntSlider("n", 1, 10, 1, 2)\n'
            'in := widgets.Interact(func() any { return display.Text(strings.Repeat("*", s.Value())) }, s)\n'
            'clicks := 0\n'
            'b := widgets.NewButton("go", "primary")\n'
            'b.OnClick(func() { clicks++ })\n'
            'widgets.Show(b)\n')
        self.assertEqual(reply["content"]["status"], "ok", reply["content"])

        opens = [m for m in msgs if m["msg_type"] == "comm_open"]
        self.assertTrue(opens)
        for m in opens:
            self.assertEqual(m["content"]["target_name"], "jupyter.widget")
            self.assertEqual(protocol_version(m), "2.1.0")
            self.assertEqual(m["content"]["data"]["buffer_paths"], [])
        by_name = {m["content"]["data"]["state"]["_model_name"]: m for m in opens}
        for name, module, version in [("IntSliderModel", "@jupyter-widgets/controls", "2.0.0"),
                                      ("VBoxModel", "@jupyter-widgets/controls", "2.0.0"),
                                      ("ButtonModel", "@jupyter-widgets/controls", "2.0.0"),
                                      ("LayoutModel", "@jupyter-widgets/base", "2.0.0"),
                                      ("SliderStyleModel", "@jupyter-widgets/controls", "2.0.0")]:
            self.assertIn(name, by_name)
            st = by_name[name]["content"]["data"]["state"]
            self.assertEqual((st["_model_module"], st["_model_module_version"]), (module, version))
        slider = by_name["IntSliderModel"]["content"]
        sid = slider["comm_id"]
        self.assertEqual(slider["data"]["state"]["value"], 2)
        # Every reference points at a model opened before it.
        opened = set()
        for m in opens:
            st = m["content"]["data"]["state"]
            for key in ("layout", "style"):
                if key in st:
                    self.assertIn(st[key][len("IPY_MODEL_"):], opened)
            opened.add(m["content"]["comm_id"])

        displays = [m for m in msgs if m["msg_type"] == "display_data"]
        views = [m for m in displays if "application/vnd.jupyter.widget-view+json" in m["content"]["data"]]
        self.assertEqual(len(views), 2, "the controls box and the button")
        self.assertEqual(views[0]["content"]["data"]["application/vnd.jupyter.widget-view+json"]["version_major"], 2)
        result = [m for m in displays if m["content"].get("transient", {}).get("display_id")]
        self.assertEqual(len(result), 1)
        display_id = result[0]["content"]["transient"]["display_id"]
        self.assertEqual(result[0]["content"]["data"]["text/plain"], "**")

        # The front end moves the slider: echo_update, then the redraw in place.
        out = self.send_comm("comm_msg", {"comm_id": sid, "data": {
            "method": "update", "state": {"value": 5}, "buffer_paths": []}})
        echoes = [m for m in out if m["msg_type"] == "comm_msg" and m["content"]["data"]["method"] == "echo_update"]
        self.assertEqual(len(echoes), 1, out)
        self.assertEqual(echoes[0]["content"]["comm_id"], sid)
        self.assertEqual(echoes[0]["content"]["data"]["state"], {"value": 5})
        updates = [m for m in out if m["msg_type"] == "update_display_data"]
        self.assertEqual(len(updates), 1, out)
        self.assertEqual(updates[0]["content"]["transient"]["display_id"], display_id)
        self.assertEqual(updates[0]["content"]["data"]["text/plain"], "*****")

        reply, msgs = self.execute("s.Value()")
        res = [m for m in msgs if m["msg_type"] == "execute_result"]
        self.assertEqual(res[0]["content"]["data"]["text/plain"], "5")

        # Out of range: echoed as sent, corrected by an update.
        out = self.send_comm("comm_msg", {"comm_id": sid, "data": {
            "method": "update", "state": {"value": 50}, "buffer_paths": []}})
        comm_msgs = [m["content"]["data"] for m in out if m["msg_type"] == "comm_msg"]
        self.assertEqual([d["method"] for d in comm_msgs], ["echo_update", "update"])
        self.assertEqual(comm_msgs[0]["state"], {"value": 50})
        self.assertEqual(comm_msgs[1]["state"], {"value": 10})

        # A kernel-side change is sent as an update.
        reply, msgs = self.execute("s.SetValue(3)")
        ups = [m for m in msgs if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == sid]
        self.assertEqual(ups[0]["content"]["data"], {"method": "update", "state": {"value": 3}, "buffer_paths": []})

        # request_state returns the whole state.
        out = self.send_comm("comm_msg", {"comm_id": sid, "data": {"method": "request_state"}})
        full = [m for m in out if m["msg_type"] == "comm_msg"][0]["content"]["data"]
        self.assertEqual(full["method"], "update")
        self.assertEqual(full["state"]["_model_name"], "IntSliderModel")
        self.assertEqual(full["state"]["value"], 3)

        # The control comm (ipywidgets 8 front ends, on page reload).
        out = self.send_comm("comm_open", {"comm_id": "ctl-1", "target_name": "jupyter.widget.control", "data": {}})
        self.assertFalse([m for m in out if m["msg_type"] == "comm_close"], "control target refused")
        out = self.send_comm("comm_msg", {"comm_id": "ctl-1", "data": {"method": "request_states"}})
        states = [m for m in out if m["msg_type"] == "comm_msg"][0]["content"]["data"]
        self.assertEqual(states["method"], "update_states")
        self.assertEqual(states["states"][sid]["model_name"], "IntSliderModel")
        self.assertEqual(states["states"][sid]["state"]["value"], 3)

        # A click.
        bid = by_name["ButtonModel"]["content"]["comm_id"]
        self.send_comm("comm_msg", {"comm_id": bid, "data": {"method": "custom", "content": {"event": "click"}}})
        reply, msgs = self.execute("clicks")
        res = [m for m in msgs if m["msg_type"] == "execute_result"]
        self.assertEqual(res[0]["content"]["data"]["text/plain"], "1")

        # Close from the kernel: comm_close on iopub.
        reply, msgs = self.execute("b.Close()")
        closed = {m["content"]["comm_id"] for m in msgs if m["msg_type"] == "comm_close"}
        self.assertIn(bid, closed)

        # Close from the front end: the kernel stops sending on that comm.
        self.send_comm("comm_close", {"comm_id": sid, "data": {}})
        reply, msgs = self.execute("s.SetValue(7)\ns.Value()")
        self.assertFalse([m for m in msgs if m["msg_type"] == "comm_msg"], "update sent on a closed comm")
        res = [m for m in msgs if m["msg_type"] == "execute_result"]
        self.assertEqual(res[0]["content"]["data"]["text/plain"], "7")


if __name__ == "__main__":
    unittest.main(verbosity=2)
