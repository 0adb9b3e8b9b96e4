// A minimal ipywidgets 8 front end for the browser test: @jupyterlab/services
// talks to the Jupyter server (REST + kernel websocket), and the HTML manager
// of @jupyter-widgets/html-manager renders the widget models the kernel opens
// on the "jupyter.widget" comm target with @jupyter-widgets/controls 2.0.0.
// The page renders the outputs of the cells it runs (stream, display_data,
// execute_result, error) and applies update_display_data by display_id, which
// is how peerscope's widgets.Interact replaces its figure after a change.
import { KernelManager, ServerConnection } from '@jupyterlab/services';
import { HTMLManager } from '@jupyter-widgets/html-manager';
import * as base from '@jupyter-widgets/base';

const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';

// LiveManager is the HTML manager wired to a kernel: comms opened by the
// kernel become widget models, and models created here open comms on it.
class LiveManager extends HTMLManager {
  constructor(kernel) {
    super();
    this.kernel = kernel;
    kernel.registerCommTarget(this.comm_target_name, async (comm, msg) => {
      // Awaiting keeps the kernel connection from handling the following
      // message (the display_data that shows the widget) before the model
      // exists.
      try {
        await this.handle_comm_open(new base.shims.services.Comm(comm), withProtocolVersion(msg));
      } catch (e) {
        logLine(`comm_open ${msg.content.comm_id} failed: ${e && e.stack ? e.stack : e}`);
        state.errors.push(`comm_open: ${e}`);
        throw e;
      }
    });
  }

  async _create_comm(targetName, modelId, data, metadata, buffers) {
    const comm = this.kernel.createComm(targetName, modelId);
    if (data || metadata) {
      comm.open(data, metadata, buffers);
    }
    return new base.shims.services.Comm(comm);
  }

  async _get_comm_info() {
    const reply = await this.kernel.requestCommInfo({ target_name: this.comm_target_name });
    return reply.content.status === 'ok' ? reply.content.comms : {};
  }
}

// withProtocolVersion returns the comm_open message with the widget protocol
// version where @jupyter-widgets/base reads it: the message's metadata, as
// ipykernel sends it. The peerscope kernel's comm layer (kernel/comm,
// Manager.Open) currently puts it in content.metadata instead, which a real
// ipywidgets 8 front end (JupyterLab 4, Notebook 7) refuses with "Wrong widget
// protocol version: received protocol version ''". The page moves it and
// records the deviation, so that the rest of the protocol is still tested and
// the test reports the gap; once the kernel sends it right this does nothing.
function withProtocolVersion(msg) {
  if (msg.metadata && msg.metadata.version) return msg;
  const inContent = msg.content.metadata && msg.content.metadata.version;
  if (!inContent) return msg;
  state.deviations.push(`comm_open ${msg.content.comm_id}: widget protocol version ${inContent} sent in content.metadata, not in the message metadata`);
  return { ...msg, metadata: { ...msg.metadata, version: inContent } };
}

// NoSubprotocolWebSocket connects without offering the
// v1.kernel.websocket.jupyter.org subprotocol: Jupyter Notebook 6's server
// does not answer it, so Chromium would fail the first handshake and
// @jupyterlab/services reconnect without it; going straight to the legacy
// JSON protocol saves that round and its console error.
class NoSubprotocolWebSocket extends WebSocket {
  constructor(url) {
    super(url);
  }
}

const state = {
  kernel: null,
  manager: null,
  // Every iopub message seen, by type, and every error shown.
  log: [],
  errors: [],
  // Deviations from the widget protocol worked around (see withProtocolVersion).
  deviations: [],
  // display_id -> elements showing that display.
  displays: new Map(),
  updates: 0,
};

function logLine(text) {
  state.log.push(text);
  const el = document.getElementById('log');
  el.textContent += text + '\n';
}

// renderBundle fills el with the richest MIME type of a bundle we know.
async function renderBundle(el, data) {
  el.replaceChildren();
  if (data[WIDGET_MIME]) {
    const { model_id: id } = data[WIDGET_MIME];
    const model = await state.manager.get_model(id);
    const view = await state.manager.create_view(model);
    await state.manager.display_view(view, el);
    el.dataset.modelId = id;
    return;
  }
  for (const mime of ['image/png', 'image/jpeg']) {
    if (data[mime]) {
      const img = document.createElement('img');
      img.src = `data:${mime};base64,${String(data[mime]).trim()}`;
      el.appendChild(img);
      return;
    }
  }
  if (data['image/svg+xml']) {
    const img = document.createElement('img');
    img.src = 'data:image/svg+xml;base64,' + btoa(unescape(encodeURIComponent(data['image/svg+xml'])));
    el.appendChild(img);
    return;
  }
  if (data['text/html']) {
    el.innerHTML = data['text/html'];
    return;
  }
  const pre = document.createElement('pre');
  pre.textContent = data['text/plain'] ?? JSON.stringify(Object.keys(data));
  el.appendChild(pre);
}

function showError(area, content) {
  state.errors.push(`${content.ename}: ${content.evalue}`);
  const pre = document.createElement('pre');
  pre.className = 'error';
  pre.textContent = `${content.ename}: ${content.evalue}\n${(content.traceback || []).join('\n')}`;
  area.appendChild(pre);
}

async function onOutput(area, msg) {
  const type = msg.header.msg_type;
  const c = msg.content;
  switch (type) {
    case 'stream': {
      const pre = document.createElement('pre');
      pre.className = 'stream ' + c.name;
      pre.textContent = c.text;
      area.appendChild(pre);
      break;
    }
    case 'display_data':
    case 'execute_result': {
      const el = document.createElement('div');
      el.className = 'output ' + type;
      area.appendChild(el);
      const id = c.transient && c.transient.display_id;
      if (id) {
        if (!state.displays.has(id)) state.displays.set(id, []);
        state.displays.get(id).push(el);
        el.dataset.displayId = id;
      }
      await renderBundle(el, c.data);
      break;
    }
    case 'error':
      showError(area, c);
      break;
    default:
      break;
  }
}

async function onAnyIOPub(msg) {
  const type = msg.header.msg_type;
  const parent = msg.parent_header && msg.parent_header.msg_type;
  if (type !== 'status') logLine(`iopub ${type} (parent ${parent || '-'})`);
  if (type === 'update_display_data') {
    const id = msg.content.transient && msg.content.transient.display_id;
    for (const el of state.displays.get(id) || []) {
      await renderBundle(el, msg.content.data);
    }
    state.updates++;
    document.body.dataset.updates = String(state.updates);
    return;
  }
  // Output of code the kernel runs on a comm message (an Interact callback)
  // has the comm_msg as parent: show it in the callbacks area.
  if (parent === 'comm_msg' && (type === 'stream' || type === 'error' || type === 'display_data')) {
    await onOutput(document.getElementById('callbacks'), msg);
  }
}

// start connects to the server of this page and starts a kernel.
async function start({ token, kernelName }) {
  const serverSettings = ServerConnection.makeSettings({
    baseUrl: location.origin + '/',
    wsUrl: location.origin.replace(/^http/, 'ws') + '/',
    token,
    appendToken: true,
    WebSocket: NoSubprotocolWebSocket,
  });
  const kernels = new KernelManager({ serverSettings });
  await kernels.ready;
  const kernel = await kernels.startNew({ name: kernelName });
  state.kernels = kernels;
  state.kernel = kernel;
  state.manager = new LiveManager(kernel);
  kernel.iopubMessage.connect((_, msg) => {
    onAnyIOPub(msg).catch((e) => logLine('iopub handler: ' + e));
  });
  const info = await kernel.info;
  logLine(`kernel ${kernel.id}: ${info.implementation} ${info.implementation_version}, protocol ${info.protocol_version}`);
  return { id: kernel.id, implementation: info.implementation, protocol: info.protocol_version };
}

// execute runs code in a new cell area and resolves with the reply status and
// the outputs' summary once the kernel is idle.
async function execute(code) {
  const cell = document.createElement('section');
  cell.className = 'cell';
  const src = document.createElement('pre');
  src.className = 'source';
  src.textContent = code;
  const area = document.createElement('div');
  area.className = 'outputs';
  cell.append(src, area);
  document.getElementById('cells').appendChild(cell);
  const pending = [];
  const future = state.kernel.requestExecute({ code, stop_on_error: true });
  future.onIOPub = (msg) => {
    pending.push(onOutput(area, msg).catch((e) => showError(area, { ename: 'render', evalue: String(e) })));
  };
  const reply = await future.done;
  await Promise.all(pending);
  if (reply.content.status !== 'ok') {
    state.errors.push(`${reply.content.ename}: ${reply.content.evalue}`);
  }
  return { status: reply.content.status, text: area.innerText };
}

// reconnect opens a second front end on the same kernel, as a reloaded
// JupyterLab 4 or Notebook 7 page does: a new kernel connection whose manager
// asks the kernel for every live widget on the "jupyter.widget.control" comm
// (request_states → update_states), then shows the model boxId from there.
// It reports whether the manager had to fall back to asking each widget comm
// in turn (what it does when the control comm does not answer).
async function reconnect(boxId) {
  const kernel2 = state.kernels.connectTo({
    model: { id: state.kernel.id, name: state.kernel.name },
    handleComms: true,
  });
  await kernel2.info;
  const m2 = new LiveManager(kernel2);
  let fallback = false;
  const perComm = m2._loadFromKernelModels.bind(m2);
  m2._loadFromKernelModels = async () => {
    fallback = true;
    return perComm();
  };
  await m2._loadFromKernel();
  state.manager2 = m2;
  const el = document.createElement('div');
  el.className = 'reloaded';
  document.getElementById('reloaded').appendChild(el);
  const model = await m2.get_model(boxId);
  await m2.display_view(await m2.create_view(model), el);
  return { fallback, models: Object.keys(m2._models).length };
}

function managerOf(which) {
  return which === 2 ? state.manager2 : state.manager;
}

// modelValue reads a widget model's attribute as front end `which` (1, or 2
// after reconnect) holds it.
async function modelValue(modelId, key, which = 1) {
  const model = await managerOf(which).get_model(modelId);
  return model.get(key);
}

// setModelValue changes a model from front end `which`, as a view would.
async function setModelValue(modelId, key, value, which = 1) {
  const model = await managerOf(which).get_model(modelId);
  model.set(key, value);
  model.save_changes();
}

async function shutdown() {
  if (state.kernel) await state.kernel.shutdown();
}

window.peerscopeTest = { start, execute, reconnect, modelValue, setModelValue, shutdown, state };
document.body.dataset.ready = 'true';
