// The sign-in panel both pages share: the issuer's sign-in, or, locally, the development sign-in.
import { devSignIn, finishIssuerSignIn, hasSession, issuerSignIn, loadConfig, signOut } from "./api.js";
import { $, el, problem, show } from "./dom.js";

// Resolves once there is a token: at once if this tab has one, else after the person signs in.
export async function signedIn(reason) {
  $("sign-out").addEventListener("click", () => {
    signOut();
    location.reload();
  });
  try {
    await finishIssuerSignIn();
  } catch (error) {
    problem(error.message);
  }
  if (hasSession()) {
    show("sign-out", true);
    return;
  }
  const settings = await loadConfig();
  const panel = $("signing-in");
  panel.replaceChildren(el("h2", {}, "Sign in"), el("p", {}, reason));
  panel.hidden = false;
  await new Promise((resolve) => {
    if (settings.dev_sign_in) panel.append(devForm(resolve));
    else panel.append(el("button", { type: "button", id: "issuer-sign-in", class: "primary", onclick: issuerSignIn }, "Sign in or create an account"));
  });
  panel.hidden = true;
  show("sign-out", true);
}

function devForm(done) {
  const form = el(
    "form",
    { id: "dev-sign-in" },
    el("p", { class: "development" }, "Development only: this sign-in trusts whatever you type. It exists only while no identity provider is configured."),
    el("label", { for: "dev-name" }, "Your name"),
    el("input", { id: "dev-name", required: true, maxlength: "100", autocomplete: "name" }),
    el("label", { for: "dev-email" }, "Email (optional)"),
    el("input", { id: "dev-email", type: "email", maxlength: "254", autocomplete: "email" }),
    el("label", { for: "dev-phone" }, "Phone, as +44… (optional)"),
    el("input", { id: "dev-phone", type: "tel", maxlength: "20", autocomplete: "tel" }),
    el("button", { type: "submit", class: "primary" }, "Sign in (development)"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await devSignIn($("dev-name").value, $("dev-email").value, $("dev-phone").value);
      problem(null);
      done();
    } catch (error) {
      problem(error.message);
    }
  });
  return form;
}
