// The birthing person's page: plan and begin labour, time contractions, post updates, share, and finish.
import { api, ApiError, download, now, Offline, registerServiceWorker } from "./api.js";
import { $, el, problem, show } from "./dom.js";
import { amendLast, flush, record, version, waiting } from "./outbox.js";
import { signedIn } from "./signin.js";
import { ALERTS, EVENTS, KINDS, MOMENTS, PHASES, clock, duration, patternInWords, updateText } from "./words.js";

const RUNNING = "labour-tracker.running"; // when the contraction under way started, kept if the page reloads
const REFRESH_MS = 10_000;
const ROLES = { birth_partner: "birth partner", friends_and_family: "family & friends" };
// The role a follower's button moves them to.
const OTHER_ROLE = {
  birth_partner: { role: "friends_and_family", label: "family or a friend", short: "family" },
  friends_and_family: { role: "birth_partner", label: "a birth partner", short: "partner" },
};

let person = null;
let labour = null;
let intensity = null;
let editing = null; // the contraction the dialog edits, or null when it adds a missed one

// A failure nobody waits for: said on the page, unless it is only the connection, which the page says already.
function shown(error) {
  if (!(error instanceof Offline)) problem(error.message);
}

function running() {
  return localStorage.getItem(RUNNING);
}

function attempt(action) {
  return async (...args) => {
    try {
      problem(null);
      await action(...args);
    } catch (error) {
      problem(error instanceof Offline ? "No connection: try again when you are back online." : error.message);
    }
  };
}

async function loadPerson() {
  try {
    person = (await api("GET", "/birthing-person/")).birthing_person;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) person = null;
    else throw error;
  }
}

async function loadLabour() {
  const before = version();
  const answeredBefore = answered;
  let found;
  try {
    found = (await api("GET", "/labour/active")).labour;
  } catch (error) {
    if (error instanceof ApiError && error.code === "labour_not_found") found = null;
    else throw error;
  }
  if (version() !== before || answered !== answeredBefore) return; // out of date: a newer answer is shown
  labour = found;
  if (waiting().length === 0) {
    const active = labour && labour.contractions.find((each) => each.end_time === null);
    if (active) localStorage.setItem(RUNNING, active.start_time);
    else localStorage.removeItem(RUNNING);
  }
}

async function refresh() {
  try {
    const refused = await flush();
    if (refused.length) problem(`Not recorded: ${refused.join("; ")}`);
    await loadPerson();
    if (person) await loadLabour();
    render();
    if (person) renderSharing().catch(shown);
  } catch (error) {
    if (!(error instanceof Offline)) problem(error.message);
    render();
  }
  showConnection();
}

function showConnection() {
  const count = waiting().length;
  const offline = !navigator.onLine;
  const parts = [];
  if (offline) parts.push("Offline: your contractions are kept on this phone.");
  if (count) parts.push(`${count} change${count === 1 ? "" : "s"} waiting to be sent.`);
  if (waiting().some((item) => item.held)) parts.push("Tap how strong the last contraction was to send it.");
  $("connection").textContent = parts.join(" ");
  $("connection").hidden = parts.length === 0;
}

function render() {
  const registered = person !== null;
  const under = labour !== null && labour.end_time === null;
  show("register", !registered && navigator.onLine);
  show("before-labour", registered && !under && waiting().length === 0);
  show("labour", under || waiting().length > 0 || running() !== null);
  show("history", registered && person.labours.length > 0);
  if (registered && !under) renderPlan();
  if (registered) renderHistory();
  renderLabour();
}

function renderPlan() {
  const plan = person.plan;
  $("plan-summary").textContent = plan
    ? `Planned${plan.name ? ` “${plan.name}”` : ""}: due ${plan.due_date}${plan.first_labour ? ", first labour" : ""}.`
    : "Nothing planned yet: save a plan, or begin labour when it starts.";
  if (plan && !$("due-date").value) {
    $("due-date").value = plan.due_date;
    $("labour-name").value = plan.name || "";
    $("first-labour").checked = plan.first_labour;
  }
}

function renderLabour() {
  const started = running();
  $("contraction-button").classList.toggle("running", started !== null);
  $("contraction-label").textContent = started ? "Stop contraction" : "Start contraction";
  $("contraction-button").setAttribute("aria-pressed", started ? "true" : "false");
  tick();
  $("intensity-legend").textContent = started && !waiting().some((item) => item.held)
    ? "How strong is it? (1 gentle – 10 strongest)"
    : "How strong was the last one? (1 gentle – 10 strongest)";
  for (const button of $("intensity-buttons").children) {
    button.setAttribute("aria-pressed", String(started !== null && Number(button.value) === intensity));
  }
  if (!labour) {
    $("phase").textContent = "Labour is being recorded on this phone.";
    $("pattern").textContent = "";
    $("alerts").replaceChildren();
    $("contractions").replaceChildren(...pendingRows());
    $("updates").replaceChildren();
    return;
  }
  $("phase").textContent = PHASES[labour.phase] || labour.phase;
  $("alerts").replaceChildren(...labour.alerts.map((alert) => el("li", { class: `alert ${alert}` }, ALERTS[alert] || alert)));
  $("pattern").textContent = patternInWords(labour.pattern);
  const rows = [...labour.contractions].reverse().map((each) =>
    el(
      "li",
      { class: "contraction-row", "data-id": each.id },
      el(
        "span",
        { class: "what" },
        `${clock(each.start_time)} · ${each.end_time ? duration(each.duration_seconds) : "under way"}`,
        each.intensity ? ` · strength ${each.intensity}` : "",
        each.notes ? ` · ${each.notes}` : "",
      ),
      each.end_time
        ? el(
            "span",
            { class: "actions" },
            el("button", { type: "button", class: "edit", "aria-label": `Edit the contraction at ${clock(each.start_time)}`, onclick: () => openDialog(each) }, "Edit"),
            el("button", { type: "button", class: "delete", "aria-label": `Delete the contraction at ${clock(each.start_time)}`, onclick: attempt(() => removeContraction(each)) }, "Delete"),
          )
        : null,
    ),
  );
  $("contractions").replaceChildren(...pendingRows(), ...rows);
  $("updates").replaceChildren(
    ...[...labour.updates].reverse().map((update) =>
      el(
        "li",
        {},
        el("span", { class: "what" }, `${clock(update.posted_at)} · ${KINDS[update.kind].split(" (")[0]}: ${updateText(update)}`),
        el("button", { type: "button", "aria-label": `Delete the update posted at ${clock(update.posted_at)}`, onclick: attempt(() => change("DELETE", `/labour/updates/${update.id}`)) }, "Delete"),
      ),
    ),
  );
}

function pendingRows() {
  return waiting()
    .filter((item) => item.path.startsWith("/labour/contraction"))
    .reverse()
    .map((item) =>
      el("li", { class: "contraction-row waiting" }, el("span", { class: "what" }, `${item.label} · ${item.held ? "how strong was it?" : "waiting to be sent"}`)),
    );
}

function tick() {
  const started = running();
  const seconds = started ? Math.max(0, Math.floor((now() - Date.parse(started)) / 1000)) : 0;
  $("timer").textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

let answered = 0; // how many changes the service answered with the labour: a reading begun before one is stale

async function change(method, path, body) {
  const answer = await api(method, path, body);
  if (answer && answer.labour) {
    labour = answer.labour;
    answered += 1;
  } else await loadLabour();
  renderLabour();
}

// Never before the labour began nor before the contraction under way started: a clock learnt to the second may lag.
function momentAfter(...earliest) {
  const times = [now().getTime(), ...earliest.filter(Boolean).map((each) => Date.parse(each) + 1)];
  return new Date(Math.max(...times)).toISOString();
}

async function pressContraction() {
  const at = momentAfter(labour && labour.start_time, running());
  if (running()) {
    const body = { end_time: at };
    if (intensity) body.intensity = intensity;
    const notes = $("contraction-notes").value.trim();
    if (notes) body.notes = notes;
    record("PUT", "/labour/contraction/end", body, `ended ${clock(at)}`, { held: !intensity });
    localStorage.removeItem(RUNNING);
    $("contraction-notes").value = "";
  } else {
    record("POST", "/labour/contraction/start", { start_time: at }, `started ${clock(at)}`);
    localStorage.setItem(RUNNING, at);
    intensity = null;
  }
  render();
  showConnection();
  await refresh();
}

// The scale answers the question its legend asks: the ended contraction still without a strength first.
async function pickIntensity(value) {
  const held = waiting().some((item) => item.held);
  if (running() && !held) {
    intensity = value;
    renderLabour();
    return;
  }
  if (amendLast("/labour/contraction/end", { intensity: value })) {
    showConnection();
    await refresh();
    return;
  }
  const last = labour && [...labour.contractions].reverse().find((each) => each.end_time !== null);
  if (last) await change("PUT", `/labour/contractions/${last.id}`, { intensity: value });
}

async function removeContraction(contraction) {
  await change("DELETE", `/labour/contractions/${contraction.id}`);
}

function localInput(iso) {
  const date = new Date(iso);
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
}

function openDialog(contraction) {
  editing = contraction;
  $("contraction-dialog-title").textContent = contraction ? "Change the contraction" : "Add a missed contraction";
  const moment = now();
  $("edit-start").value = localInput(contraction ? contraction.start_time : new Date(moment - 120_000).toISOString());
  $("edit-end").value = localInput(contraction ? contraction.end_time : new Date(moment - 60_000).toISOString());
  $("edit-intensity").value = contraction && contraction.intensity ? contraction.intensity : "";
  $("edit-notes").value = contraction && contraction.notes ? contraction.notes : "";
  $("contraction-dialog").showModal();
}

// The form shows whole seconds: a time left as it was is not sent, so it keeps its fraction of a second.
async function saveDialog() {
  const start = $("edit-start").value;
  const end = $("edit-end").value;
  const body = { intensity: Number($("edit-intensity").value), notes: $("edit-notes").value.trim() };
  if (editing) {
    if (start !== localInput(editing.start_time)) body.start_time = new Date(start).toISOString();
    if (end !== localInput(editing.end_time)) body.end_time = new Date(end).toISOString();
    await change("PUT", `/labour/contractions/${editing.id}`, body);
  } else {
    const added = { ...body, start_time: new Date(start).toISOString(), end_time: new Date(end).toISOString() };
    if (!added.notes) delete added.notes;
    await change("POST", "/labour/contractions", added);
  }
}

function renderHistory() {
  $("labours").replaceChildren(
    ...person.labours.map((past) =>
      el(
        "li",
        {},
        el("span", { class: "what" }, `${new Date(past.start_time).toLocaleDateString()} · ${past.phase}`),
        el("button", { type: "button", "aria-label": "Download as a spreadsheet (CSV)", onclick: attempt(() => download(`/birthing-person/labours/${past.id}/export?format=csv`, `labour-${past.id}.csv`)) }, "CSV"),
        el("button", { type: "button", "aria-label": "Download as JSON", onclick: attempt(() => download(`/birthing-person/labours/${past.id}/export?format=json`, `labour-${past.id}.json`)) }, "JSON"),
      ),
    ),
  );
}

let shared = null;

async function renderSharing() {
  show("sharing", true);
  if (shared === null) {
    const { token } = await api("GET", "/birthing-person/subscription-token");
    const link = `${location.origin}/app/follow#person=${encodeURIComponent(person.id)}&token=${encodeURIComponent(token)}`;
    shared = link;
    $("share-link").href = link;
    $("share-link").textContent = link;
    const answer = await fetch("/app/qr", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text: link }) });
    if (answer.ok) {
      $("share-qr").src = URL.createObjectURL(await answer.blob());
      $("share-qr").hidden = false;
    }
  }
  await Promise.all([renderFollowers(), renderFollowRequests(), renderNotifications()]);
}

// The names come from the mirror, which may trail by a moment; `roles`, from an answer just given, are the latest.
async function renderFollowers(roles = {}) {
  const { subscribers } = await api("GET", "/birthing-person/subscribers");
  $("followers").replaceChildren(
    ...(subscribers.length
      ? subscribers.map((each) => {
          const role = roles[each.id] || each.role;
          const other = OTHER_ROLE[role];
          const change = attempt(async () => {
            const answer = await api("PUT", `/birthing-person/subscribers/${each.id}/role`, { role: other.role });
            await renderFollowers(answer.birthing_person.roles);
          });
          return el(
            "li",
            {},
            el("span", { class: "what" }, `${each.first_name} ${each.last_name} · ${ROLES[role] || "follows you"} · told by ${each.contact_methods.join(" and ") || "the app only"}`),
            el("button", { type: "button", "aria-label": `Make ${each.first_name} ${other.label}`, onclick: change }, `Make ${other.short}`),
            el("button", { type: "button", "aria-label": `Stop ${each.first_name} following you`, onclick: attempt(async () => { await api("DELETE", `/birthing-person/subscribers/${each.id}`); await renderFollowers(); }) }, "Remove"),
            el("button", { type: "button", "aria-label": `Block ${each.first_name} from following you again`, onclick: attempt(async () => { await api("PUT", `/birthing-person/blocked/${each.id}`); await renderFollowers(); }) }, "Block"),
          );
        })
      : [el("li", {}, "Nobody yet: share the link or the QR code.")]),
  );
}

// Follow requests come with roles on a service that has them; without those routes the panel stays hidden.
async function renderFollowRequests() {
  let answer;
  try {
    answer = await api("GET", "/birthing-person/follow-requests");
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) return;
    throw error;
  }
  const requests = answer.follow_requests;
  show("follow-requests-panel", true);
  $("follow-requests").replaceChildren(
    ...(requests.length
      ? requests.map((each) => {
          const name = `${each.first_name || ""} ${each.last_name || ""}`.trim() || "Someone";
          const decide = (verdict, body) => attempt(async () => { await api("POST", `/birthing-person/follow-requests/${each.id}/${verdict}`, body); await renderSharing(); });
          return el(
            "li",
            {},
            el("span", { class: "what" }, name),
            el("button", { type: "button", "aria-label": `Let ${name} follow you as a birth partner`, onclick: decide("approve", { role: "birth_partner" }) }, "Birth partner"),
            el("button", { type: "button", "aria-label": `Let ${name} follow you as family or a friend`, onclick: decide("approve", { role: "friends_and_family" }) }, "Family & friends"),
            el("button", { type: "button", "aria-label": `Refuse ${name}`, onclick: decide("reject", {}) }, "Refuse"),
          );
        })
      : [el("li", {}, "No one is waiting.")]),
  );
}

async function renderNotifications() {
  const { notifications } = await api("GET", "/birthing-person/notifications?limit=20");
  $("notifications").replaceChildren(
    ...(notifications.length
      ? notifications.map((each) =>
          el(
            "li",
            {},
            el("span", { class: "what" }, `${clock(each.created_at)} · ${EVENTS[each.event_type] || each.event_type} · to ${each.subscriber_name || "a follower"} by ${each.channel === "sms" ? "text" : "email"} (${each.destination}): ${each.status}${each.failure ? `, ${each.failure}` : ""}`),
            each.status === "failed"
              ? el("button", { type: "button", "aria-label": `Send again to ${each.subscriber_name || "the follower"}`, onclick: attempt(async () => { await api("POST", `/birthing-person/notifications/${each.id}/resend`); await renderNotifications(); }) }, "Send again")
              : null,
          ),
        )
      : [el("li", {}, "Nothing sent yet.")]),
  );
}

function wire() {
  const scale = $("intensity-buttons");
  for (let value = 1; value <= 10; value += 1) {
    scale.append(el("button", { type: "button", value: String(value), "aria-label": `Strength ${value}`, onclick: attempt(() => pickIntensity(value)) }, String(value)));
  }
  for (const [moment, words] of Object.entries(MOMENTS)) {
    $("moments").append(el("button", { type: "button", onclick: attempt(() => change("POST", "/labour/updates/quick", { moment })) }, words));
  }
  for (const [kind, words] of Object.entries(KINDS)) $("update-kind").append(el("option", { value: kind }, words));
  $("update-kind").value = "status_update";
  $("contraction-button").addEventListener("click", attempt(pressContraction));
  $("register-button").addEventListener("click", attempt(async () => { await api("POST", "/birthing-person/register"); await refresh(); }));
  $("plan-form").addEventListener("submit", attempt(async (event) => {
    event.preventDefault();
    const name = $("labour-name").value.trim();
    await api("POST", "/labour/plan", { due_date: $("due-date").value, first_labour: $("first-labour").checked, ...(name ? { name } : {}) });
    await refresh();
  }));
  $("begin-button").addEventListener("click", attempt(async () => {
    await api("POST", "/labour/begin", person.plan ? {} : { first_labour: $("first-labour").checked });
    await refresh();
  }));
  $("add-missed").addEventListener("click", () => openDialog(null));
  $("undo").addEventListener("click", attempt(() => change("POST", "/labour/contractions/undo")));
  $("contraction-dialog").addEventListener("close", attempt(async () => {
    if ($("contraction-dialog").returnValue === "save") await saveDialog();
  }));
  $("update-form").addEventListener("submit", attempt(async (event) => {
    event.preventDefault();
    await change("POST", "/labour/updates", { kind: $("update-kind").value, message: $("update-message").value });
    $("update-message").value = "";
  }));
  $("complete-button").addEventListener("click", () => show("complete-confirm", true));
  $("complete-confirm").addEventListener("click", attempt(async () => {
    await api("PUT", "/labour/complete", {});
    show("complete-confirm", false);
    await refresh();
  }));
  $("copy-link").addEventListener("click", attempt(() => navigator.clipboard.writeText(shared)));
  $("new-link").addEventListener("click", attempt(async () => {
    await api("POST", "/birthing-person/subscription-token/rotate");
    shared = null;
    await renderSharing();
  }));
  window.addEventListener("online", refresh);
  window.addEventListener("offline", showConnection);
  setInterval(tick, 1000);
  setInterval(() => { if (navigator.onLine && !$("contraction-dialog").open) refresh(); }, REFRESH_MS);
}

registerServiceWorker();
wire();
try {
  await signedIn("Sign in to record your labour.");
  await refresh();
} catch (error) {
  shown(error);
}
