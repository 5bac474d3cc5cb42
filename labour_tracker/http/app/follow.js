// A follower's page: from the share link, sign in, follow, and watch the labour.
import { api, ApiError, Offline, registerServiceWorker } from "./api.js";
import { $, el, problem, show } from "./dom.js";
import { watchLabour } from "./live.js";
import { signedIn } from "./signin.js";
import { ALERTS, PHASES, clock, duration, patternInWords, updateText } from "./words.js";

const LINK = "labour-tracker.follow"; // the share link's person and token, kept while signing in at the issuer

function shareLink() {
  const fromHash = new URLSearchParams(location.hash.slice(1));
  if (fromHash.get("person") && fromHash.get("token")) {
    const link = { person: fromHash.get("person"), token: fromHash.get("token") };
    sessionStorage.setItem(LINK, JSON.stringify(link));
    history.replaceState(null, "", location.pathname); // the share token leaves the address bar
    return link;
  }
  const saved = sessionStorage.getItem(LINK);
  return saved ? JSON.parse(saved) : null;
}

function chosen(form) {
  return [...form.querySelectorAll("input[name=method]:checked")].map((box) => box.value);
}

async function subscriber() {
  try {
    return (await api("GET", "/subscriber/")).subscriber;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

function render(found) {
  if (found === null) {
    $("phase").textContent = "No labour under way yet. This page updates by itself.";
    $("pattern").textContent = "";
    $("alerts").replaceChildren();
    $("contractions").replaceChildren();
    $("updates").replaceChildren();
    return;
  }
  $("phase").textContent = PHASES[found.phase] || found.phase;
  $("alerts").replaceChildren(...found.alerts.map((alert) => el("li", { class: `alert ${alert}` }, ALERTS[alert] || alert)));
  $("pattern").textContent = patternInWords(found.pattern);
  const updates = [...found.updates].reverse().map((update) => el("li", {}, `${clock(update.posted_at)} · ${updateText(update)}`));
  $("updates").replaceChildren(...(updates.length ? updates : [el("li", {}, "No updates yet.")]));
  $("contractions").replaceChildren(
    ...[...found.contractions].reverse().map((each) =>
      el(
        "li",
        { class: "contraction-row" },
        `${clock(each.start_time)} · ${each.end_time ? duration(each.duration_seconds) : "under way"}${each.intensity ? ` · strength ${each.intensity}` : ""}`,
      ),
    ),
  );
}

async function nameTheLabour(personId) {
  const { subscriptions } = await api("GET", "/subscriber/subscriptions?limit=100");
  const found = subscriptions.find((each) => each.id === personId);
  if (found && found.first_name) $("watched-name").textContent = `${found.first_name}'s labour`;
}

let stopWatching = () => {};

function watch(link, me) {
  show("join", false);
  show("watching", true);
  nameTheLabour(link.person).catch(() => {}); // the mirror may not have the name yet: the heading stays general
  const told = (me.subscription_contact_methods && me.subscription_contact_methods[link.person]) || me.contact_methods;
  $("told-sms").checked = told.includes("sms");
  $("told-email").checked = told.includes("email");
  stopWatching = watchLabour(
    link.person,
    (found) => {
      problem(null);
      render(found);
    },
    (error) => problem(error.message),
  );
}

// Where the person approves followers first, the request waits for them: look again now and then.
function waitForApproval(link) {
  show("join", false);
  $("connection").textContent = "Asked to follow: you will see the labour once they let you.";
  $("connection").hidden = false;
  const again = async () => {
    const me = await subscriber().catch(() => null);
    if (me && me.subscribed_to.includes(link.person)) {
      $("connection").hidden = true;
      watch(link, me);
    } else setTimeout(again, 5000);
  };
  setTimeout(again, 5000);
}

async function start() {
  registerServiceWorker();
  const link = shareLink();
  if (link === null) {
    show("no-link", true);
    return;
  }
  await signedIn("Sign in to follow this labour.");
  $("methods-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("PUT", `/subscriber/subscriptions/${encodeURIComponent(link.person)}/contact-methods`, { contact_methods: chosen($("methods-form")) });
      problem(null);
    } catch (error) {
      problem(error.message);
    }
  });
  $("stop-following").addEventListener("click", async () => {
    try {
      await api("POST", "/subscriber/unsubscribe_from", { birthing_person_id: link.person });
      stopWatching();
      show("watching", false);
      $("connection").textContent = "You no longer follow this labour.";
      $("connection").hidden = false;
    } catch (error) {
      problem(error.message);
    }
  });
  let me = await subscriber();
  if (me && me.subscribed_to.includes(link.person)) {
    watch(link, me);
    return;
  }
  show("join", true);
  $("join-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const methods = chosen($("join-form"));
    try {
      if (me === null) me = (await api("POST", "/subscriber/register", { contact_methods: methods })).subscriber;
      me = (await api("POST", `/subscriber/subscribe_to/${encodeURIComponent(link.person)}`, { token: link.token, contact_methods: methods })).subscriber;
      problem(null);
      if (me.subscribed_to.includes(link.person)) watch(link, me);
      else waitForApproval(link);
    } catch (error) {
      problem(error.message);
    }
  });
}

start().catch((error) => problem(error instanceof Offline ? "No connection: try again when you are back online." : error.message));
