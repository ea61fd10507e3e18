// SFTP app, Delivery Config: show the fields of the chosen server and authentication, and
// Test Connection through the API (each step in plain words, with the host key fingerprint).
"use strict";
(() => {
  const form = document.getElementById("delivery");
  if (!form) return;
  const show = (selector, visible) => form.querySelectorAll(selector).forEach((el) => { el.hidden = !visible; });
  function refresh() {
    const server = form.querySelector("[name=server]:checked") || form.querySelector("[name=server]");
    const custom = server && server.value === "custom";
    show("[data-custom], [data-custom-only]", custom);
    show("[data-hosted-only], [data-hosted-help]", !custom);
    const auth = form.querySelector("[name=auth]:checked").value;
    show("[data-auth-password]", auth === "password");
    show("[data-auth-key]", auth === "key");
  }
  form.querySelectorAll("[data-server], [data-auth]").forEach((input) => input.addEventListener("change", refresh));
  // a key file chosen with the file picker is read into its text box (nothing is sent until Save)
  form.querySelectorAll("input[data-fills]").forEach((input) => input.addEventListener("change", async () => {
    if (input.files[0]) document.getElementById(input.dataset.fills).value = (await input.files[0].text()).trim();
  }));
  refresh();

  const button = document.getElementById("test-connection");
  const out = document.getElementById("test-result");
  button.addEventListener("click", async () => {
    const value = (name) => (form.elements[name] ? form.elements[name].value : "");
    const id = form.dataset.integration;
    const api = `/api/v1/orgs/${encodeURIComponent(form.dataset.org)}/integrations`;
    const auth = form.querySelector("[name=auth]:checked").value;
    const body = id ? undefined : JSON.stringify({
      host: value("host"), port: Number(value("port") || 22), username: value("username"),
      password: auth === "password" ? value("password") : null,
      private_key: auth === "key" ? value("private_key") : null,
      path: form.elements.use_home && form.elements.use_home.checked ? "" : value("path"),
    });
    out.textContent = "Testing…";
    button.disabled = true;
    try {
      const response = await fetch(id ? `${api}/${id}/test` : `${api}/test`, {
        method: "POST", credentials: "same-origin", body,
        headers: { "X-CSRF-Token": form.dataset.csrf, "Content-Type": "application/json" },
      });
      const report = await response.json();
      if (!response.ok) throw new Error(report.error ? report.error.message : `the server answered ${response.status}`);
      const list = document.createElement("ul");
      list.className = "test-steps";
      for (const step of report.steps) {
        const li = document.createElement("li");
        li.className = step.ok ? "ok" : "bad";
        li.textContent = `${step.ok ? "✓" : "✗"} ${step.step}: ${step.message}`;
        list.append(li);
      }
      out.replaceChildren(list);
      const trust = document.getElementById("trust-form");
      if (trust && report.fingerprint && report.steps.length && report.steps.every((s) => s.ok || s.step === "host key")) {
        document.getElementById("trust-fingerprint").value = report.fingerprint;
        trust.querySelector("button").textContent = `Trust this host key (${report.fingerprint})`;
        trust.hidden = false;
      }
    } catch (error) {
      out.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  });
})();
