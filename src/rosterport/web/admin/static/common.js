// Small behaviours of every page: the organization switcher and confirmations.
"use strict";
document.querySelectorAll("[data-org-switch]").forEach((select) => {
  select.addEventListener("change", () => {
    window.location.href = select.value ? `/orgs/${encodeURIComponent(select.value)}` : "/orgs";
  });
});
document.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
});
